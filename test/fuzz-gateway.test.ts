// Fuzzing the gateway: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses,
// /v1/models and arbitrary /v1/* paths, through virtual keys of every provider, with generated
// methods, headers and bodies. Besides the rules every answer keeps (fuzz-answers.ts), whatever
// reached the fake provider used a method the OpenAI surface forwards and carried none of
// Keygate's own credentials. test/support/fuzz-runner.ts says how to replay a failure.

import { beforeAll, describe, it } from 'vitest';
import { answerViolations, buildRequest, send, settleBackgroundWork, type Violation } from './support/fuzz-answers';
import { gatewayCase } from './support/fuzz-gateway-cases';
import { createFixtures, fuzzSettings, runFuzz, timeoutFor } from './support/fuzz-runner';
import type { Fixtures } from './support/fuzz-values';
import { upstreamRequests } from './support/keygate';

const settings = fuzzSettings(0.5, 1_200);

/** The methods an OpenAI-compatible provider is ever sent; TRACE, OPTIONS, WebDAV's never. */
const FORWARDED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

describe('fuzzing the gateway', () => {
  let fixtures: Fixtures;
  beforeAll(async () => {
    fixtures = await createFixtures();
  });

  it(`keeps every rule for ${settings.runs} generated requests (seed ${settings.seed})`, async () => {
    let sent = 0;
    await runFuzz(settings, gatewayCase, async (requestCase) => {
      const testId = `fuzz-gateway-${settings.seed}-${++sent}`;
      const built = buildRequest(requestCase, fixtures, { 'x-test-id': testId });
      if (!built) return [];
      const answer = await send(built.request);
      const violations: Violation[] = answerViolations(requestCase, answer, built.inputs);
      if (answer.relayed) {
        const ours = [fixtures.adminKey, fixtures.workspaceKey, fixtures.completionsKey, fixtures.readOnlyKey];
        for (const upstream of await upstreamRequests(testId)) {
          if (!FORWARDED_METHODS.has(upstream.method)) {
            violations.push({ kind: `${upstream.method} reached the provider`, detail: `${upstream.method} ${upstream.path}; answer ${answer.status}` });
          }
          // The credential headers only: a client may well put anything in its user-agent.
          const credentials = [upstream.headers.authorization, upstream.headers['api-key'], upstream.headers['x-api-key']].join(' ');
          if (ours.some((key) => credentials.includes(key)) || Object.keys(upstream.headers).some((name) => name.startsWith('x-portkey-'))) {
            violations.push({ kind: 'Keygate credentials reached the provider', detail: `${upstream.method} ${upstream.path}` });
          }
        }
      }
      return violations;
    });
    await settleBackgroundWork();
  }, timeoutFor(settings));
});
