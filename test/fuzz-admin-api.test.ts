// Fuzzing every admin route: /v1/virtual-keys (and Portkey's /v1/virtual_keys), /v1/api-keys,
// /v1/admin/workspaces and the reserved prefixes, with generated methods, paths, queries, headers
// and bodies. Besides the rules every answer keeps (fuzz-answers.ts), a refused write must leave
// the row counts of virtual_keys, api_keys, api_key_credentials and workspaces as they were.
// test/support/fuzz-runner.ts says how to replay a failure and how `npm run fuzz` runs 50,000.

import { beforeAll, describe, it } from 'vitest';
import { adminCase } from './support/fuzz-admin-cases';
import { answerViolations, buildRequest, send, settleBackgroundWork, type Violation } from './support/fuzz-answers';
import { changedCounts, createFixtures, fuzzSettings, replaceFixture, rowCounts, runFuzz, timeoutFor } from './support/fuzz-runner';
import { Ref, type Fixtures } from './support/fuzz-values';

const settings = fuzzSettings(0.5, 1_000);

const isWrite = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());

describe('fuzzing the admin API', () => {
  let fixtures: Fixtures;
  // The counts after the last write: reads change nothing, so they are the counts before the next.
  let counts: Record<string, number>;
  beforeAll(async () => {
    fixtures = await createFixtures();
    counts = await rowCounts();
  });

  it(`keeps every rule for ${settings.runs} generated requests (seed ${settings.seed})`, async () => {
    await runFuzz(settings, adminCase, async (requestCase) => {
      const built = buildRequest(requestCase, fixtures);
      if (!built) return [];
      const answer = await send(built.request);
      const violations: Violation[] = answerViolations(requestCase, answer, built.inputs);
      if (!isWrite(requestCase.method)) return violations;
      const before = counts;
      counts = await rowCounts();
      const changed = changedCounts(before, counts);
      if (answer.status >= 400 && changed) {
        violations.push({ kind: `refused write (${answer.status}) changed row counts`, detail: `${changed}; answer ${answer.text.slice(0, 300)}` });
      }
      // A write that deleted, rotated, narrowed or disabled a fixture would blunt every later case.
      if (answer.status < 300) {
        const named = requestCase.segments.filter((segment) => segment instanceof Ref);
        for (const { name } of named) if (requestCase.method.toUpperCase() !== 'PUT' || name !== 'workspaceId') await replaceFixture(fixtures, name);
        if (named.length > 0) counts = await rowCounts();
      }
      return violations;
    });
    await settleBackgroundWork();
  }, timeoutFor(settings));
});
