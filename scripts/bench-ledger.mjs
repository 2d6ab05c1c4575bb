#!/usr/bin/env node
// `npm run bench:ledger`: what admission leases (src/limits/admission-leases.ts) save when a key's
// ledger is far away. Keygate runs with every ledger call delayed by 0, 20 and 100 ms (a Durable
// Object in another region; scripts/lib/delayed-ledger-worker.ts), with leases on and off, at 1
// and 32 connections. For each it reports the latency limits add over the same Keygate calling a
// key without limits (p50 and p99), and the ledger calls per 1,000 requests. Then, at 32
// connections, it drives a request limit and a token budget past their end, and reports the worst
// overshoot seen against each, which must be zero. Nothing is asserted; the numbers are for reading
// (docs/benchmarks.md records a run).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startFakeOpenAI } from './lib/fake-openai.mjs';
import { createVirtualKey, gatewayApiKey, gatewayHeaders } from './lib/gateway-keys.mjs';
import { buildWorker, launchKeygate } from './lib/launch-worker.mjs';

const DELAYS_MS = (process.env.BENCH_LEDGER_DELAYS ?? '0,20,100').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = [1, 32];
const body = (model = 'gpt-4o-mini') => JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 24 });

// Far from exhaustion, as the targets ask: a request limit and a token budget, as in `npm run bench`.
const ROOMY = {
  rate_limits: [{ type: 'requests', unit: 'rpm', value: 100_000_000 }],
  usage_limits: { credit_limit: 1_000_000_000_000, type: 'tokens' },
};

function run(url, headers, connections, options) {
  return autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body(), connections, ...options });
}

async function ledgerCalls(keygate) {
  return (await (await fetch(`${keygate.url}/__bench/ledger-calls`)).json()).calls;
}

/** Latency of `slug` (p50, p99) and ledger calls per 1,000 requests, after a warm-up. */
async function measure(keygate, apiKey, slug, connections) {
  const url = `${keygate.url}/v1/chat/completions`;
  await run(url, gatewayHeaders(apiKey, slug), connections, { duration: 1 });
  const before = await ledgerCalls(keygate);
  const result = await run(url, gatewayHeaders(apiKey, slug), connections, { duration: SECONDS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
  const calls = (await ledgerCalls(keygate)) - before;
  return { p50: result.latency.p50, p99: result.latency.p99, perThousand: (calls / result.requests.total) * 1000 };
}

/**
 * Sends `total` calls at 32 connections to a key whose limit admits `bound` of them, and returns
 * how many beyond the bound were admitted (0 when the limit held).
 */
async function overshoot(keygate, apiKey, limits, model, total, bound) {
  const slug = await createVirtualKey(keygate, 'bench-overshoot', limits);
  let admitted = 0;
  const instance = autocannon({
    url: `${keygate.url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...gatewayHeaders(apiKey, slug) },
    body: body(model),
    connections: 32,
    amount: total,
  });
  instance.on('response', (_client, statusCode) => {
    if (statusCode === 200) admitted++;
  });
  await instance;
  return Math.max(0, admitted - bound);
}

const fake = await startFakeOpenAI();
const buildDir = await mkdtemp(join(tmpdir(), 'keygate-bench-ledger-'));
const rows = [];
const overshoots = [];
try {
  await buildWorker(buildDir, { entry: 'scripts/lib/delayed-ledger-worker.ts' });
  for (const delay of DELAYS_MS) {
    for (const leases of ['on', 'off']) {
      const keygate = await launchKeygate({
        bundleDir: buildDir,
        vars: { OPENAI_BASE_URL: `${fake.url}/v1`, BENCH_LEDGER_DELAY_MS: String(delay), LEDGER_LEASES: leases },
      });
      try {
        const apiKey = await gatewayApiKey(keygate, 'workspace');
        const plain = await createVirtualKey(keygate, 'bench-plain');
        const limited = await createVirtualKey(keygate, 'bench-limited', ROOMY);
        for (const connections of CONNECTIONS) {
          const base = await measure(keygate, apiKey, plain, connections);
          const withLimits = await measure(keygate, apiKey, limited, connections);
          rows.push({
            'ledger delay ms': delay,
            leases,
            connections,
            'added p50 ms': (withLimits.p50 - base.p50).toFixed(1),
            'added p99 ms': (withLimits.p99 - base.p99).toFixed(1),
            'ledger calls / 1000 req': Math.round(withLimits.perThousand),
          });
        }
        // 600 calls against 300 a day; 600 calls of 17 tokens (estimated at more) against a
        // budget that 200 calls in a row spend.
        overshoots.push({
          'ledger delay ms': delay,
          leases,
          'requests limit (300/day)': await overshoot(keygate, apiKey, { rate_limits: [{ type: 'requests', unit: 'rpd', value: 300 }] }, 'gpt-4o-mini', 600, 300),
          'token budget (200 calls)': await overshoot(keygate, apiKey, { usage_limits: { credit_limit: 17 * 200, type: 'tokens' } }, 'usage-17', 600, 200),
        });
      } finally {
        await keygate.close();
      }
    }
  }
} finally {
  await rm(buildDir, { recursive: true, force: true });
  await fake.close();
}
console.log(`\nlimited chat completions (a request limit and a token budget, far from exhaustion), ${SECONDS} s per run, ${new Date().toISOString()}`);
console.log('added: over the same Keygate calling a key without limits, at the same connections');
console.table(rows);
console.log('overshoot: calls admitted beyond what the limit allows, at 32 connections (must be 0)');
console.table(overshoots);
const worst = Math.max(...overshoots.flatMap((row) => [row['requests limit (300/day)'], row['token budget (200 calls)']]));
console.log(`worst overshoot: ${worst}`);
