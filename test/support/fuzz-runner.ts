// How the fuzz tests run: their settings, their fixtures, and what they report.
//
// - Runs and seed: `npm test` runs a fixed number of cases from a fixed seed, so a failure shows
//   again on the next run; fast-check shrinks it and prints the counterexample with its seed and
//   path. `npm run fuzz` (scripts/fuzz.mjs) passes VITE_FUZZ_RUNS, VITE_FUZZ_SEED and
//   VITE_FUZZ_KEEP_GOING through Vite's environment (the only way into workerd).
// - Replay: VITE_FUZZ_SEED=<seed> VITE_FUZZ_PATH=<path> npx vitest run --project workerd <file>.
//   Fixtures (keys, slugs) are new each run; cases name them symbolically ($slug, $adminKey).
// - Keep going: instead of stopping at the first failure, every distinct failure (its kind and
//   route) is collected with the smallest case that showed it, and all are reported at the end.

import * as fc from 'fast-check';
import { env } from 'cloudflare:workers';
import { createWorkspace, createWorkspaceKey, createVirtualKeyIn, WORKSPACE_SCOPES } from './access';
import { azureApiKeyBody } from './azure';
import { bedrockAccessKeyBody } from './bedrock';
import { printable, type Violation } from './fuzz-answers';
import type { RequestCase } from './fuzz-inputs';
import type { FixtureName, Fixtures } from './fuzz-values';
import { ADMIN_API_KEY, createKeyFromBody } from './keygate';

// process.env, not import.meta.env: Vite writes import.meta.env into the transformed module, and
// its module cache would then replay the settings of an earlier run.
const fuzzEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};

/** The seed of `npm test`'s runs. */
const FIXED_SEED = 20_261_117;

export interface FuzzSettings {
  runs: number;
  seed: number;
  path: string | undefined;
  keepGoing: boolean;
}

/** `share` of VITE_FUZZ_RUNS when set, else `defaultRuns`. */
export function fuzzSettings(share: number, defaultRuns: number): FuzzSettings {
  const total = Number(fuzzEnv.VITE_FUZZ_RUNS);
  const seed = Number(fuzzEnv.VITE_FUZZ_SEED);
  return {
    runs: Number.isInteger(total) && total > 0 ? Math.max(1, Math.round(total * share)) : defaultRuns,
    seed: Number.isInteger(seed) ? seed : FIXED_SEED,
    path: fuzzEnv.VITE_FUZZ_PATH || undefined,
    keepGoing: fuzzEnv.VITE_FUZZ_KEEP_GOING === '1',
  };
}

/** Enough time for `runs` cases at a slow pace, and for shrinking a failure. */
export function timeoutFor(settings: FuzzSettings): number {
  return 120_000 + settings.runs * 100;
}

const budgetKeyBody = (workspaceId: string) => ({
  name: 'fuzz budget',
  provider: 'openai',
  key: 'sk-fake-fuzz-budget-000000000000000',
  usage_limits: { credit_limit: 1_000_000, type: 'cost' },
  rate_limits: [{ type: 'requests', unit: 'rpm', value: 1_000_000 }],
  workspace_id: workspaceId,
});

/** A workspace with two keys in it, and virtual keys of each provider, with and without limits. */
export async function createFixtures(): Promise<Fixtures> {
  const workspaceId = await createWorkspace('fuzz');
  const workspaceKey = await createWorkspaceKey(workspaceId, WORKSPACE_SCOPES);
  const completionsKey = await createWorkspaceKey(workspaceId, ['completions.write']);
  const readOnlyKey = await createWorkspaceKey(workspaceId, ['virtual_keys.read']);
  const inWorkspace = { workspace_id: workspaceId };
  return {
    adminKey: ADMIN_API_KEY,
    workspaceKey: workspaceKey.key,
    workspaceKeyId: workspaceKey.id,
    completionsKey: completionsKey.key,
    completionsKeyId: completionsKey.id,
    readOnlyKey: readOnlyKey.key,
    workspaceId,
    slug: await createVirtualKeyIn(workspaceId, ADMIN_API_KEY, 'fuzz'),
    budgetSlug: await createKeyFromBody(budgetKeyBody(workspaceId)),
    limitedSlug: await createKeyFromBody({
      name: 'fuzz limited',
      provider: 'openai',
      key: 'sk-fake-fuzz-limited-00000000000000',
      usage_limits: { credit_limit: 50, type: 'tokens' },
      rate_limits: [{ type: 'requests', unit: 'rpm', value: 1 }],
      ...inWorkspace,
    }),
    azureSlug: await createKeyFromBody(azureApiKeyBody(inWorkspace)),
    bedrockSlug: await createKeyFromBody(bedrockAccessKeyBody(inWorkspace)),
  };
}

/**
 * Puts back a fixture that a successful write may have deleted, rotated, narrowed or disabled, so
 * later cases still reach the routes behind it. A workspace that was deleted takes all with it.
 */
export async function replaceFixture(fixtures: Fixtures, name: FixtureName): Promise<void> {
  const { workspaceId } = fixtures;
  if (name === 'workspaceId') Object.assign(fixtures, await createFixtures());
  else if (name === 'slug') fixtures.slug = await createVirtualKeyIn(workspaceId, ADMIN_API_KEY, 'fuzz');
  else if (name === 'budgetSlug') fixtures.budgetSlug = await createKeyFromBody(budgetKeyBody(workspaceId));
  else if (name === 'workspaceKeyId') {
    const { id, key } = await createWorkspaceKey(workspaceId, WORKSPACE_SCOPES);
    Object.assign(fixtures, { workspaceKeyId: id, workspaceKey: key });
  } else if (name === 'completionsKeyId') {
    const { id, key } = await createWorkspaceKey(workspaceId, ['completions.write']);
    Object.assign(fixtures, { completionsKeyId: id, completionsKey: key });
  }
}

/** Row counts of what admin writes change: a refused write must leave them as they were. */
export async function rowCounts(): Promise<Record<string, number>> {
  const row = await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM virtual_keys) AS virtual_keys, (SELECT COUNT(*) FROM api_keys) AS api_keys,
       (SELECT COUNT(*) FROM api_key_credentials) AS api_key_credentials, (SELECT COUNT(*) FROM workspaces) AS workspaces`,
  ).first<Record<string, number>>();
  return row!;
}

export function changedCounts(before: Record<string, number>, after: Record<string, number>): string | null {
  const changes = Object.keys(before)
    .filter((table) => before[table] !== after[table])
    .map((table) => `${table} ${before[table]} -> ${after[table]}`);
  return changes.length > 0 ? changes.join(', ') : null;
}

interface Finding {
  kind: string;
  route: string;
  detail: string;
  example: string;
  count: number;
}

/** Every distinct failure seen, with the smallest case that showed it. */
class Findings {
  readonly #byKey = new Map<string, Finding>();

  note(requestCase: RequestCase, violations: Violation[]): void {
    const example = printable(fc.stringify(requestCase));
    for (const { kind, detail } of violations) {
      const route = `${requestCase.method.toUpperCase()} ${requestCase.route}`;
      const key = `${kind} | ${route}`;
      const known = this.#byKey.get(key);
      if (!known) this.#byKey.set(key, { kind: printable(kind), route: printable(route), detail: printable(detail), example, count: 1 });
      else {
        known.count += 1;
        if (example.length < known.example.length) Object.assign(known, { detail: printable(detail), example });
      }
    }
  }

  report(): string | null {
    if (this.#byKey.size === 0) return null;
    const findings = [...this.#byKey.values()].sort((first, second) => first.kind.localeCompare(second.kind) || first.route.localeCompare(second.route));
    return findings
      .map((finding, index) => `${index + 1}. ${finding.kind} — ${finding.route} (${finding.count} cases)\n   answer: ${finding.detail}\n   smallest case: ${finding.example}`)
      .join('\n\n');
  }
}

/** Runs `check` on `settings.runs` generated cases; fails with a shrunk counterexample, or with every finding. */
export async function runFuzz(settings: FuzzSettings, cases: fc.Arbitrary<RequestCase>, check: (requestCase: RequestCase) => Promise<Violation[]>): Promise<void> {
  const findings = new Findings();
  const property = fc.asyncProperty(cases, async (requestCase) => {
    const violations = await check(requestCase);
    if (violations.length === 0) return;
    if (settings.keepGoing) findings.note(requestCase, violations);
    else throw new Error(printable(violations.map(({ kind, detail }) => `${kind}\n${detail}`).join('\n\n')));
  });
  await fc.assert(property, { seed: settings.seed, path: settings.path, numRuns: settings.runs, timeout: 30_000 });
  const report = findings.report();
  if (report !== null) {
    console.log(report);
    throw new Error(`the fuzzer found these (seed ${settings.seed}, ${settings.runs} cases):\n\n${report}`);
  }
}
