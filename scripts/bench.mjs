#!/usr/bin/env node
// `npm run bench`: what Keygate adds to an LLM call, side by side with Portkey's gateway and with
// the floor of the runtime, all against one fake OpenAI upstream on loopback, in one process.
//
// Targets (measured in BENCH_ROUNDS interleaved rounds, each run after a warm-up; see below):
//   direct          straight to the fake upstream
//   floor           a Worker that only passes requests on, under the same launcher as Keygate
//   work floor      a Worker that does only the work any vault gateway must do (hash and compare
//                   the API key, find the virtual key in a Map, parse the body, decrypt the secret,
//                   fresh upstream headers, parse the answer's usage or each SSE event once, a new
//                   Response with x-request-id): scripts/lib/work-floor-worker.js
//   portkey         @portkey-ai/gateway (Node), pointed at the fake with x-portkey-custom-host;
//                   installed on the first run that measures it, not by `npm install`
//   keygate         Keygate as it deploys (wrangler's dry-run bundle under Miniflare), no limits
//   keygate+limits  the same with a rate limit and a token budget, far from exhaustion (admitted
//                   from admission leases, LEDGER_LEASES; one ledger call per request without)
//   keygate+4 levels
//                   the same limits on the workspace, the API key, the virtual key and a model
//                   rule of each key: five ledgers per request
//   keygate+limits (ledger in memory)
//                   the same, with Durable Object storage in memory instead of on local disk: the
//                   difference is what the ledger's durable write costs on this machine
// Never `wrangler dev`: its proxy alone costs milliseconds. Load comes from autocannon at 1 and 32
// connections. Times are this machine's; the ratios are what to compare. Nothing is asserted.
//
// This machine's speed drifts by 20% and more within a minute, so targets measured one after
// another could differ by the drift alone. Each round runs every target for BENCH_SECONDS (2),
// each run after a BENCH_WARMUP_SECONDS (1) warm-up, at 1 connection, then every target at 32, in
// the opposite order every other round; the table shows each target's medians over BENCH_ROUNDS
// (3) rounds.
//
// Keygate's virtual keys are created with the admin key; gateway requests carry a workspace
// service key holding only `completions.write` (BENCH_API_KEY=workspace, the default), as an
// application would, or the bootstrap admin key (BENCH_API_KEY=admin). The header line says which.

import autocannon from 'autocannon';
import { startFakeOpenAI } from './lib/fake-openai.mjs';
import { apiKeyKindFromEnv, createFourLevels, createVirtualKey, gatewayApiKey, gatewayHeaders } from './lib/gateway-keys.mjs';
import { launchKeygate, launchScript } from './lib/launch-worker.mjs';
import { startPortkeyGateway } from './lib/portkey-gateway.mjs';
import { launchWorkFloor } from './lib/work-floor.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
// BENCH_TARGETS=floor,keygate runs only those (with direct, which every ratio needs); for quick
// comparisons while working on one path. Ratios against a target that did not run are skipped.
const ONLY = process.env.BENCH_TARGETS?.split(',').map((name) => name.trim());
// BENCH_STREAM=1 measures streamed chat completions (SSE) instead of JSON answers.
const STREAM = process.env.BENCH_STREAM === '1';
const API_KEY_KIND = apiKeyKindFromEnv();
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16, ...(STREAM ? { stream: true } : {}) });

const FLOOR_WORKER = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname + url.search, request);
  },
};`;

function load(url, headers, connections, duration) {
  return autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections, duration });
}

/**
 * One run after a warm-up at the same connection count (which fills caches and admission leases
 * the other targets' runs let lapse): req/s and latency, and the runtime's CPU per request where
 * `instance` can say (not direct).
 */
async function measure(url, headers, connections, instance) {
  await warmUp(url, headers, connections);
  const cpuBefore = await instance?.cpuSeconds();
  const result = await load(url, headers, connections, SECONDS);
  const cpuAfter = await instance?.cpuSeconds();
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  const cpuUs = instance ? ((cpuAfter - cpuBefore) * 1e6) / result.requests.total : NaN;
  return { rps: result.requests.average, p99: result.latency.p99, cpuUs };
}

/** Warms a target up; throws what a failing target answers. */
async function warmUp(url, headers, connections) {
  const result = await load(url, headers, connections, WARMUP_SECONDS);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
}

/** The middle value; for an even count, the mean of the two middle ones. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The medians of one target's runs at one connection count. */
function medians(runs) {
  return { rps: median(runs.map((run) => run.rps)), p99: median(runs.map((run) => run.p99)), cpuUs: median(runs.map((run) => run.cpuUs)) };
}

// Portkey's gateway is installed on first use (scripts/lib/portkey-gateway.mjs), and only when
// this run measures it; first, so a failed install leaves nothing else running.
const wants = (name) => !ONLY || ONLY.includes(name);
const portkey = wants('portkey') ? await startPortkeyGateway() : undefined;
const fake = await startFakeOpenAI();
const floor = await launchScript({ script: FLOOR_WORKER, vars: { UPSTREAM: fake.url } });
const workFloor = await launchWorkFloor(fake.url);
const keygate = await launchKeygate({ vars: { OPENAI_BASE_URL: `${fake.url}/v1` } });
const keygateLedgerInMemory = await launchKeygate({ vars: { OPENAI_BASE_URL: `${fake.url}/v1` }, ledgerInMemory: true });
try {
  const plain = await createVirtualKey(keygate, 'bench');
  const limits = {
    rate_limits: [{ type: 'requests', unit: 'rpm', value: 100_000_000 }],
    usage_limits: { credit_limit: 1_000_000_000_000, type: 'tokens' },
  };
  const limited = await createVirtualKey(keygate, 'bench', limits);
  const limitedInMemory = await createVirtualKey(keygateLedgerInMemory, 'bench', limits);
  const levels = await createFourLevels(keygate, limits);
  // One gateway key per instance: each has its own D1 and KV.
  const apiKeys = new Map([
    [keygate, await gatewayApiKey(keygate, API_KEY_KIND)],
    [keygateLedgerInMemory, await gatewayApiKey(keygateLedgerInMemory, API_KEY_KIND)],
  ]);
  const keygateHeaders = (instance, slug) => gatewayHeaders(apiKeys.get(instance), slug);
  const targets = {
    direct: [`${fake.url}/v1/chat/completions`, { authorization: 'Bearer sk-fake-bench' }],
    floor: [`${floor.url}/v1/chat/completions`, { authorization: 'Bearer sk-fake-bench' }, floor],
    'work floor': [`${workFloor.url}/v1/chat/completions`, workFloor.headers, workFloor],
    ...(portkey && {
      portkey: [`${portkey.url}/v1/chat/completions`, { authorization: 'Bearer sk-fake-bench', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${fake.url}/v1` }],
    }),
    keygate: [`${keygate.url}/v1/chat/completions`, keygateHeaders(keygate, plain), keygate],
    'keygate+limits': [`${keygate.url}/v1/chat/completions`, keygateHeaders(keygate, limited), keygate],
    'keygate+4 levels': [`${keygate.url}/v1/chat/completions`, gatewayHeaders(levels.apiKey, levels.slug), keygate],
    'keygate+limits (ledger in memory)': [`${keygateLedgerInMemory.url}/v1/chat/completions`, keygateHeaders(keygateLedgerInMemory, limitedInMemory), keygateLedgerInMemory],
  };

  // Portkey's gateway answers the fake's streams with errors: a run that fails for it leaves it
  // out of the results, and the bench goes on. Any other target's failure ends the run.
  const leftOut = new Set();
  const leaveOut = (name, error) => {
    if (name !== 'portkey') throw error;
    console.log(`portkey left out of this run: ${error.message}`);
    leftOut.add(name);
  };
  const measured = Object.keys(targets).filter((name) => name === 'direct' || wants(name));
  const runs = Object.fromEntries(measured.map((name) => [name, { 1: [], 32: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? measured : [...measured].reverse();
    for (const connections of [1, 32]) {
      for (const name of order.filter((target) => !leftOut.has(target))) {
        const [url, headers, instance] = targets[name];
        try {
          runs[name][connections].push(await measure(url, headers, connections, instance));
        } catch (error) {
          leaveOut(name, error);
        }
      }
    }
  }
  const results = Object.fromEntries(
    measured.filter((name) => !leftOut.has(name)).map((name) => [name, { one: medians(runs[name][1]), many: medians(runs[name][32]) }]),
  );

  const added = (name) => 1000 / results[name].one.rps - 1000 / results.direct.one.rps;
  console.log(`\n${STREAM ? 'streamed ' : ''}chat completions, medians of ${ROUNDS} interleaved rounds of ${SECONDS} s runs after ${WARMUP_SECONDS} s warm-ups, Keygate called with the ${API_KEY_KIND} key (BENCH_API_KEY=${API_KEY_KIND}), ${new Date().toISOString()}`);
  console.table(
    Object.entries(results).map(([target, { one, many }]) => ({
      target,
      'req/s @1': Math.round(one.rps),
      'ms/req @1': (1000 / one.rps).toFixed(3),
      'added ms @1': target === 'direct' ? '-' : added(target).toFixed(3),
      'p99 ms @1': one.p99,
      'req/s @32': Math.round(many.rps),
      'p99 ms @32': many.p99,
      // The Worker runtime's own CPU per request (Portkey's is Node's, not counted): what decides
      // req/s at 32 connections once the runtime's thread is the bottleneck.
      'runtime CPU µs/req @32': Number.isNaN(many.cpuUs) ? '-' : Math.round(many.cpuUs),
    })),
  );
  const has = (...names) => names.every((name) => results[name]);
  const ratio = (a, b, at) => results[a][at].rps / results[b][at].rps;
  console.log('ratios of req/s:');
  for (const name of ['keygate', 'keygate+limits', 'keygate+4 levels']) {
    if (has(name, 'work floor')) console.log(`  ${name} / work floor: ${ratio(name, 'work floor', 'one').toFixed(2)} at 1 connection, ${ratio(name, 'work floor', 'many').toFixed(2)} at 32`);
    if (has(name, 'floor')) console.log(`  ${name} / floor: ${ratio(name, 'floor', 'one').toFixed(2)} at 1 connection, ${ratio(name, 'floor', 'many').toFixed(2)} at 32`);
    if (has(name, 'portkey')) console.log(`  ${name} / portkey: ${ratio(name, 'portkey', 'one').toFixed(2)} at 1 connection, ${ratio(name, 'portkey', 'many').toFixed(2)} at 32`);
  }
  if (has('keygate', 'work floor') && !Number.isNaN(results.keygate.many.cpuUs)) {
    const cpu = (name) => results[name].many.cpuUs;
    console.log(`runtime CPU per request at 32 connections: keygate ${Math.round(cpu('keygate'))} µs, work floor ${Math.round(cpu('work floor'))} µs (keygate spends ${(cpu('keygate') / cpu('work floor')).toFixed(2)}x)`);
  }
  const addedTimes = Object.keys(results).filter((name) => name !== 'direct').map((name) => `${name} ${added(name).toFixed(3)} ms`);
  console.log(`added time per request at 1 connection: ${addedTimes.join(', ')}`);
  if (has('keygate', 'keygate+limits')) {
    console.log(`the ledger's cost (keygate+limits over keygate) at 1 connection: ${(added('keygate+limits') - added('keygate')).toFixed(3)} ms`);
  }
  if (has('keygate+limits', 'keygate+limits (ledger in memory)')) {
    console.log(`of which its durable write to local disk: ${(added('keygate+limits') - added('keygate+limits (ledger in memory)')).toFixed(3)} ms`);
  }
  const bundleKiB = keygate.bundleGzipBytes / 1024;
  console.log(`deployable bundle: ${bundleKiB.toFixed(1)} KiB gzipped`);

  // The goals of issue 16 (and 13), each with how far off it is. Nothing fails on a miss: this
  // machine's timings are noisy, and the numbers are for reading.
  const goals = [];
  const goal = (what, value, target, higherIsBetter, unit) => {
    const met = higherIsBetter ? value >= target : value <= target;
    const by = Math.abs(value - target);
    goals.push({ goal: what, value: `${value.toFixed(unit === 'ms' ? 3 : 2)}${unit === 'ms' ? ' ms' : unit === 'KiB' ? ' KiB' : ''}`, target: `${higherIsBetter ? '>=' : '<='} ${target.toFixed(unit === 'ms' ? 3 : 2)}`, result: met ? 'met' : `missed by ${by.toFixed(unit === 'ms' ? 3 : 2)}${unit === 'ms' ? ' ms' : unit === 'KiB' ? ' KiB' : ''}` });
  };
  if (has('keygate', 'work floor')) {
    if (STREAM) {
      goal('keygate / work floor req/s @1 (streams)', ratio('keygate', 'work floor', 'one'), 0.85, true, 'ratio');
      goal('keygate / work floor req/s @32 (streams)', ratio('keygate', 'work floor', 'many'), 0.85, true, 'ratio');
    } else {
      goal('keygate / work floor req/s @32', ratio('keygate', 'work floor', 'many'), 0.9, true, 'ratio');
      goal('keygate added @1 (<= work floor + 0.05 ms)', added('keygate'), added('work floor') + 0.05, false, 'ms');
    }
  }
  if (has('keygate', 'portkey')) {
    goal('keygate / portkey req/s @1', ratio('keygate', 'portkey', 'one'), 1, true, 'ratio');
    goal('keygate / portkey req/s @32', ratio('keygate', 'portkey', 'many'), 1, true, 'ratio');
  }
  // Issue 13: limits far from exhaustion cost little, at one level or at every level.
  if (has('keygate+limits', 'keygate')) {
    goal('keygate+limits / keygate req/s @1', ratio('keygate+limits', 'keygate', 'one'), 0.9, true, 'ratio');
    goal('keygate+limits / keygate req/s @32', ratio('keygate+limits', 'keygate', 'many'), 0.9, true, 'ratio');
  }
  if (has('keygate+4 levels', 'keygate+limits')) {
    goal('keygate+4 levels / keygate+limits req/s @1', ratio('keygate+4 levels', 'keygate+limits', 'one'), 1, true, 'ratio');
    goal('keygate+4 levels / keygate+limits req/s @32', ratio('keygate+4 levels', 'keygate+limits', 'many'), 1, true, 'ratio');
  }
  goal('bundle gzipped', bundleKiB, 60, false, 'KiB');
  console.table(goals);
} finally {
  await keygate.close();
  await keygateLedgerInMemory.close();
  await portkey?.close();
  await floor.close();
  await workFloor.close();
  await fake.close();
}
