#!/usr/bin/env node
// `npm run bench`: what Keygate adds to a call, and what its ledger adds on top.
//
// One process, one fake OpenAI upstream, one connection, requests one after another:
//   direct          straight to the fake upstream
//   keygate         through Keygate, a key without limits (no ledger hop)
//   keygate+limits  through Keygate, a key with a rate limit and a token budget (ledger hop)
// Keygate runs as it deploys (the `wrangler deploy --dry-run` bundle under Miniflare), never
// under `wrangler dev`, whose proxy alone costs milliseconds. Prints p50 / p99 latency, the added
// time per request, and each as a ratio to the direct call. Times are this machine's; the
// ratios are what to compare.

import { performance } from 'node:perf_hooks';
import { startFakeOpenAI } from './lib/fake-openai.mjs';
import { launchKeygate } from './lib/launch-worker.mjs';

const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 });

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

async function measure(url, headers) {
  const send = async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  };
  for (let index = 0; index < WARMUP; index++) await send();
  const times = [];
  for (let index = 0; index < REQUESTS; index++) {
    const started = performance.now();
    await send();
    times.push(performance.now() - started);
  }
  times.sort((left, right) => left - right);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

async function createKey(keygate, extra) {
  const response = await fetch(`${keygate.url}/v1/virtual-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keygate.adminApiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', provider: 'openai', key: 'sk-fake-bench-0000000000000001', ...extra }),
  });
  if (!response.ok) throw new Error(`creating a key failed: ${response.status} ${await response.text()}`);
  return (await response.json()).data.slug;
}

const fake = await startFakeOpenAI();
const keygate = await launchKeygate({ vars: { OPENAI_BASE_URL: `${fake.url}/v1` } });
try {
  const plain = await createKey(keygate, {});
  const limited = await createKey(keygate, {
    rate_limits: [{ type: 'requests', unit: 'rpm', value: 1_000_000 }],
    usage_limits: { credit_limit: 1_000_000_000, type: 'tokens' },
  });
  const gateway = (slug) => ({ authorization: `Bearer ${keygate.adminApiKey}`, 'x-portkey-virtual-key': slug });
  const results = {
    direct: await measure(`${fake.url}/v1/chat/completions`, { authorization: 'Bearer sk-fake-bench' }),
    keygate: await measure(`${keygate.url}/v1/chat/completions`, gateway(plain)),
    'keygate+limits': await measure(`${keygate.url}/v1/chat/completions`, gateway(limited)),
  };
  const direct = results.direct;
  const rows = Object.entries(results).map(([target, { p50, p99 }]) => ({
    target,
    'p50 ms': p50.toFixed(3),
    'p99 ms': p99.toFixed(3),
    'added p50 ms': (p50 - direct.p50).toFixed(3),
    'added p99 ms': (p99 - direct.p99).toFixed(3),
    'p50 / direct': (p50 / direct.p50).toFixed(2),
    'p99 / direct': (p99 / direct.p99).toFixed(2),
  }));
  console.log(`\n${REQUESTS} sequential chat completions per target after ${WARMUP} warm-up, one connection, ${new Date().toISOString()}`);
  console.table(rows);
  console.log(`ledger cost (keygate+limits minus keygate): p50 ${(results['keygate+limits'].p50 - results.keygate.p50).toFixed(3)} ms, p99 ${(results['keygate+limits'].p99 - results.keygate.p99).toFixed(3)} ms`);
} finally {
  await keygate.close();
  await fake.close();
}
