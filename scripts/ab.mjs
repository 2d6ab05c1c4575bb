#!/usr/bin/env node
// `npm run ab -- <bundle dir A> <bundle dir B> [--limits] [--stream]`: is build B faster than A?
// Runs both bundles side by side against one fake upstream and alternates short autocannon runs
// between them, in both orders, at 1 and 32 connections; prints the medians and B/A. Build each
// bundle with `npx wrangler deploy --dry-run --outdir <dir>` (say, before and after a change).
//
// Identical bundles come out up to about 5% apart on this machine, so read smaller differences
// as noise. `--limits` uses a key with a rate limit and a budget (one ledger call per request);
// `--stream` asks for streamed (SSE) answers.

import autocannon from 'autocannon';
import { startFakeOpenAI } from './lib/fake-openai.mjs';
import { launchKeygate } from './lib/launch-worker.mjs';

const [dirA, dirB] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
if (!dirA || !dirB) {
  console.error('usage: npm run ab -- <bundle dir A> <bundle dir B> [--limits] [--stream]');
  process.exit(2);
}
const withLimits = process.argv.includes('--limits');
const stream = process.argv.includes('--stream');
const ROUNDS = Number(process.env.AB_ROUNDS ?? 6);
const SECONDS = Number(process.env.AB_SECONDS ?? 2);
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16, ...(stream ? { stream: true } : {}) });
const limits = withLimits
  ? { rate_limits: [{ type: 'requests', unit: 'rpm', value: 100_000_000 }], usage_limits: { credit_limit: 1e12, type: 'tokens' } }
  : {};

async function start(bundleDir) {
  const keygate = await launchKeygate({ vars: { OPENAI_BASE_URL: `${fake.url}/v1` }, bundleDir });
  const created = await fetch(`${keygate.url}/v1/virtual-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keygate.adminApiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ab', provider: 'openai', key: 'sk-fake-ab-000000000000000001', ...limits }),
  });
  if (!created.ok) throw new Error(`creating a key in ${bundleDir} failed: ${created.status} ${await created.text()}`);
  const { slug } = (await created.json()).data;
  const load = (connections, duration) =>
    autocannon({
      url: `${keygate.url}/v1/chat/completions`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keygate.adminApiKey}`, 'x-portkey-virtual-key': slug },
      body,
      connections,
      duration,
    });
  return { keygate, load };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const fake = await startFakeOpenAI();
const builds = { A: await start(dirA), B: await start(dirB) };
try {
  for (const build of Object.values(builds)) await build.load(1, 1); // warm-up
  const runs = { A: { 1: [], 32: [] }, B: { 1: [], 32: [] } };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    for (const connections of [1, 32]) {
      for (const name of order) runs[name][connections].push((await builds[name].load(connections, SECONDS)).requests.average);
    }
  }
  for (const connections of [1, 32]) {
    const a = median(runs.A[connections]);
    const b = median(runs.B[connections]);
    console.log(`@${connections}: A ${Math.round(a)} req/s, B ${Math.round(b)} req/s, B/A ${(b / a).toFixed(3)}`);
  }
} finally {
  for (const build of Object.values(builds)) await build.keygate.close();
  await fake.close();
}
