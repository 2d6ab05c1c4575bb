#!/usr/bin/env node
// `npm run bench:analytics`: how long the analytics API takes over many usage rows on local D1.
// It seeds BENCH_ROWS rows (default 200,000) spread over the last 30 days, through the insert path
// the gateway uses (scripts/lib/analytics-seed-worker.ts), then asks every 30-day graph and group
// BENCH_REPEATS times (default 5) and prints the median and worst milliseconds of each, over every
// workspace's rows and over one workspace's (a quarter of them). Nothing is asserted;
// docs/benchmarks.md records a run. The target: a 30-day graph under 500 ms.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker, launchKeygate } from './lib/launch-worker.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const DAY = 86_400_000;
const SEED_CHUNK = 20_000;
const ROUTES = [
  'graphs/requests',
  'graphs/cost',
  'graphs/tokens',
  'graphs/latency',
  'graphs/errors',
  'graphs/errors/rate',
  'graphs/errors/status-codes',
  'groups/ai-models',
  'groups/virtual-keys',
  'groups/api-keys',
];

async function apiKey(keygate, body) {
  const response = await fetch(`${keygate.url}/v1/api-keys/${body.workspace_id ? 'workspace' : 'organisation'}/service`, {
    method: 'POST',
    headers: { 'x-portkey-api-key': keygate.adminApiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench analytics', scopes: ['analytics.view'], ...body }),
  });
  if (!response.ok) throw new Error(`creating an API key: ${response.status} ${await response.text()}`);
  return (await response.json()).key;
}

async function timed(url, key) {
  const started = performance.now();
  const response = await fetch(url, { headers: { 'x-portkey-api-key': key } });
  const body = await response.text();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${body}`);
  return performance.now() - started;
}

const buildDir = await mkdtemp(join(tmpdir(), 'keygate-bench-analytics-'));
const rows = [];
try {
  await buildWorker(buildDir, { entry: 'scripts/lib/analytics-seed-worker.ts' });
  const keygate = await launchKeygate({ bundleDir: buildDir });
  try {
    const to = Date.now();
    const from = to - 30 * DAY;
    const seedStarted = performance.now();
    for (let start = 0; start < ROWS; start += SEED_CHUNK) {
      const count = Math.min(SEED_CHUNK, ROWS - start);
      const chunkFrom = from + ((to - from) * start) / ROWS;
      const chunkTo = from + ((to - from) * (start + count)) / ROWS;
      const response = await fetch(`${keygate.url}/__bench/seed?count=${count}&from=${chunkFrom}&to=${chunkTo}&start=${start}`, { method: 'POST' });
      if (!response.ok) throw new Error(`seeding: ${response.status} ${await response.text()}`);
    }
    const stored = (await (await fetch(`${keygate.url}/__bench/rows`)).json()).rows;
    if (stored !== ROWS) throw new Error(`seeding stored ${stored} of ${ROWS} rows (the log says why)`);
    console.log(`seeded ${ROWS} rows over 30 days in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
    const keys = { organisation: await apiKey(keygate, {}) };
    const range = `time_of_generation_min=${new Date(from).toISOString()}&time_of_generation_max=${new Date(to).toISOString()}`;
    for (const [who, key] of Object.entries(keys)) {
      for (const route of ROUTES) {
        for (const filter of ['', '&workspace_slug=ws-bench-1']) {
          const url = `${keygate.url}/v1/analytics/${route}?${range}${filter}`;
          await timed(url, key); // warm-up
          const times = [];
          for (let repeat = 0; repeat < REPEATS; repeat++) times.push(await timed(url, key));
          times.sort((a, b) => a - b);
          rows.push({ caller: who, route, rows: filter ? 'one workspace (1/4)' : 'every workspace', 'median ms': Math.round(times[Math.floor(times.length / 2)]), 'worst ms': Math.round(times.at(-1)) });
        }
      }
    }
  } finally {
    await keygate.close();
  }
} finally {
  await rm(buildDir, { recursive: true, force: true });
}
console.log(`\nanalytics over ${ROWS} usage rows, 30-day range, ${REPEATS} runs each after a warm-up, local D1 (Miniflare), ${new Date().toISOString()}`);
console.table(rows);
