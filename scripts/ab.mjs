#!/usr/bin/env node
// `npm run ab -- <bundle dir A> <bundle dir B> [--limits] [--stream]`: is build B faster than A?
// `npm run ab -- [<bundle dir>] --keys[=admin,workspace] [--limits] [--stream]`: on one bundle
// (the working tree's, built now, when no dir is given), is the gateway slower with key kind B
// than with key kind A? Kinds as in BENCH_API_KEY: `admin` (the bootstrap key) or `workspace` (a
// workspace service key with only completions.write); `--keys=workspace,workspace` is an A/A run.
// `npm run ab -- [<bundle dir>] --targets=<A>,<B>`: on one bundle, is target B slower than A?
// Targets: `keygate` (a key without limits), `limits` (a key with a rate limit and a budget far
// from exhaustion), `levels` (the same limits on the workspace, the API key, the virtual key
// and a model rule of each key), `work-floor` (not Keygate: the benchmark's work floor,
// scripts/lib/work-floor-worker.js, for issue 16's ratio measured in alternated rounds) and
// `no-usage-rows` (Keygate from the working tree, in an instance of its own, with its usage rows
// never run against local D1: scripts/lib/no-usage-rows-worker.ts).
//
// Runs both side by side against one fake upstream and alternates short autocannon runs between
// them, in both orders, at 1 and 32 connections; prints the medians and B/A. Build each bundle
// with `npx wrangler deploy --dry-run --outdir <dir>` (say, before and after a change). Two
// bundles are called with the BENCH_API_KEY kind of key (default `workspace`); two key kinds
// share one Keygate instance and one virtual key, so only the key differs. Each round also
// measures the fake upstream alone at 1 connection, for the time Keygate adds to a request.
//
// Identical bundles come out up to about 5% apart on this machine, so read smaller differences
// as noise; the runtime's CPU per request (the last two lines) varies less. `--limits` uses a
// key with a rate limit and a budget (one ledger call per request);
// `--stream` asks for streamed (SSE) answers. AB_ROUNDS and AB_SECONDS set the rounds (6) and the
// length of each run (2 s).

import autocannon from 'autocannon';
import { startFakeOpenAI } from './lib/fake-openai.mjs';
import { apiKeyKindFromEnv, checkApiKeyKind, createFourLevels, createVirtualKey, gatewayApiKey, gatewayHeaders } from './lib/gateway-keys.mjs';
import { launchKeygate } from './lib/launch-worker.mjs';
import { launchWorkFloor } from './lib/work-floor.mjs';

const args = process.argv.slice(2);
const dirs = args.filter((arg) => !arg.startsWith('--'));
const keysOption = args.find((arg) => arg === '--keys' || arg.startsWith('--keys='));
const keyKinds = keysOption ? (keysOption.split('=')[1] ?? 'admin,workspace').split(',').map(checkApiKeyKind) : null;
const TARGETS = ['keygate', 'limits', 'levels', 'work-floor', 'no-usage-rows'];
const targetsOption = args.find((arg) => arg.startsWith('--targets='));
const targets = targetsOption ? targetsOption.split('=')[1].split(',') : null;
if (targets && (targets.length !== 2 || targets.some((target) => !TARGETS.includes(target)))) {
  console.error(`--targets takes two of: ${TARGETS.join(', ')}`);
  process.exit(2);
}
if (keyKinds || targets ? dirs.length > 1 : dirs.length !== 2) {
  console.error('usage: npm run ab -- <bundle dir A> <bundle dir B> [--limits] [--stream]');
  console.error('       npm run ab -- [<bundle dir>] --keys[=<kind A>,<kind B>] [--limits] [--stream]   (kinds: admin, workspace)');
  console.error(`       npm run ab -- [<bundle dir>] --targets=<A>,<B> [--stream]   (targets: ${TARGETS.join(', ')})`);
  process.exit(2);
}
const withLimits = args.includes('--limits');
const stream = args.includes('--stream');
const ROUNDS = Number(process.env.AB_ROUNDS ?? 6);
const SECONDS = Number(process.env.AB_SECONDS ?? 2);
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16, ...(stream ? { stream: true } : {}) });
const LIMITS = { rate_limits: [{ type: 'requests', unit: 'rpm', value: 100_000_000 }], usage_limits: { credit_limit: 1e12, type: 'tokens' } };
const limits = withLimits ? LIMITS : {};

/**
 * A function that loads `url` for a while and returns autocannon's result, refusing failures,
 * with `cpuUs`: the CPU per request of `instance`'s runtime (workerd) during the run, if known.
 */
function loader(url, headers, instance) {
  return async (connections, duration) => {
    const cpuBefore = await instance?.cpuSeconds();
    const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections, duration });
    const cpuAfter = await instance?.cpuSeconds();
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    return { ...result, cpuUs: instance ? ((cpuAfter - cpuBefore) * 1e6) / result.requests.total : NaN };
  };
}

/** A variant to measure: one Keygate instance, one virtual key, one kind of gateway key. */
async function variant(keygate, slug, kind) {
  return loader(`${keygate.url}/v1/chat/completions`, gatewayHeaders(await gatewayApiKey(keygate, kind), slug), keygate);
}

/** The middle value; for an even count, the mean of the two middle ones. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const fake = await startFakeOpenAI();
const instances = [];
const launch = async (bundleDir) => {
  const keygate = await launchKeygate({ vars: { OPENAI_BASE_URL: `${fake.url}/v1` }, bundleDir });
  instances.push(keygate);
  return keygate;
};
try {
  const variants = {};
  let description;
  if (targets) {
    const keygate = await launch(dirs[0]);
    const kind = apiKeyKindFromEnv();
    const url = `${keygate.url}/v1/chat/completions`;
    const make = {
      keygate: async () => variant(keygate, await createVirtualKey(keygate, 'ab'), kind),
      limits: async () => variant(keygate, await createVirtualKey(keygate, 'ab', LIMITS), kind),
      'work-floor': async () => {
        const workFloor = await launchWorkFloor(fake.url);
        instances.push(workFloor);
        return loader(`${workFloor.url}/v1/chat/completions`, workFloor.headers, workFloor);
      },
      // Keygate built from the working tree with its usage rows never run against local D1
      // (scripts/lib/no-usage-rows-worker.ts): what the local write costs, which production's
      // remote D1 does not charge to the Worker.
      'no-usage-rows': async () => {
        const withoutRows = await launchKeygate({ vars: { OPENAI_BASE_URL: `${fake.url}/v1` }, entry: 'scripts/lib/no-usage-rows-worker.ts' });
        instances.push(withoutRows);
        return variant(withoutRows, await createVirtualKey(withoutRows, 'ab'), kind);
      },
      levels: async () => {
        const levels = await createFourLevels(keygate, LIMITS);
        return loader(url, gatewayHeaders(levels.apiKey, levels.slug), keygate);
      },
    };
    variants.A = await make[targets[0]]();
    variants.B = await make[targets[1]]();
    description = `A: ${targets[0]}, B: ${targets[1]}, one instance of ${dirs[0] ?? 'the working tree'}`;
  } else if (keyKinds) {
    const keygate = await launch(dirs[0]);
    const slug = await createVirtualKey(keygate, 'ab', limits);
    variants.A = await variant(keygate, slug, keyKinds[0]);
    variants.B = await variant(keygate, slug, keyKinds[1]);
    description = `A: ${keyKinds[0]} key, B: ${keyKinds[1]} key, one instance of ${dirs[0] ?? 'the working tree'}`;
  } else {
    const kind = apiKeyKindFromEnv();
    for (const [name, dir] of [['A', dirs[0]], ['B', dirs[1]]]) {
      const keygate = await launch(dir);
      variants[name] = await variant(keygate, await createVirtualKey(keygate, 'ab', limits), kind);
    }
    description = `A: ${dirs[0]}, B: ${dirs[1]}, ${kind} key (BENCH_API_KEY=${kind})`;
  }
  const direct = loader(`${fake.url}/v1/chat/completions`, { authorization: 'Bearer sk-fake-bench' });

  for (const load of [direct, ...Object.values(variants)]) await load(1, 1); // warm-up
  const runs = { A: { 1: [], 32: [] }, B: { 1: [], 32: [] } };
  const cpu = { A: { 1: [], 32: [] }, B: { 1: [], 32: [] } };
  const directRuns = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    directRuns.push((await direct(1, 1)).requests.average);
    for (const connections of [1, 32]) {
      for (const name of order) {
        const result = await variants[name](connections, SECONDS);
        runs[name][connections].push(result.requests.average);
        cpu[name][connections].push(result.cpuUs);
      }
    }
  }

  console.log(`\n${targets ? 'targets' : withLimits ? 'keygate+limits' : 'keygate'}${stream ? ', streamed' : ''}; ${description}; ${ROUNDS} interleaved rounds of ${SECONDS} s; ${new Date().toISOString()}`);
  const directMs = 1000 / median(directRuns);
  for (const connections of [1, 32]) {
    const a = median(runs.A[connections]);
    const b = median(runs.B[connections]);
    const perRound = runs.A[connections].map((value, round) => runs.B[connections][round] / value);
    let line = `@${connections}: A ${Math.round(a)} req/s, B ${Math.round(b)} req/s, B/A ${(b / a).toFixed(3)} (rounds ${Math.min(...perRound).toFixed(2)} to ${Math.max(...perRound).toFixed(2)})`;
    if (connections === 1) {
      const added = (rps) => 1000 / rps - directMs;
      line += `; added ms/req: A ${added(a).toFixed(3)}, B ${added(b).toFixed(3)}, B - A ${(added(b) - added(a)).toFixed(3)} (upstream alone ${directMs.toFixed(3)})`;
    }
    console.log(line);
  }
  // The runtime's CPU per request varies much less than req/s on this machine; at 1 connection,
  // where the machine is not saturated, least of all.
  for (const connections of [1, 32]) {
    const cpuA = median(cpu.A[connections]);
    const cpuB = median(cpu.B[connections]);
    if (Number.isNaN(cpuA)) continue;
    const perRound = cpu.A[connections].map((value, round) => cpu.B[connections][round] / value);
    console.log(`runtime CPU @${connections}: A ${Math.round(cpuA)} µs/req, B ${Math.round(cpuB)} µs/req, B/A ${(cpuB / cpuA).toFixed(3)} (rounds ${Math.min(...perRound).toFixed(2)} to ${Math.max(...perRound).toFixed(2)})`);
  }
} finally {
  for (const keygate of instances) await keygate.close();
  await fake.close();
}
