#!/usr/bin/env node
// `npm run bench:usage-rows`: what writing usage rows costs the runtime (workerd's CPU) in local
// D1 as the table grows, with the gateway's time-ordered row ids and with random UUIDs. Every
// gateway call leaves one row, and locally D1's SQLite runs in the same process as Keygate, so
// this cost is part of `npm run bench`'s figures; in production D1 runs elsewhere and its CPU is
// not the Worker's. Rows go in as the gateway's usage windows write them (writeUsageEvents, 750
// rows a window, through scripts/lib/analytics-seed-worker.ts), BENCH_ROWS of them (default
// 200,000) in steps of 20,000, into a fresh database for each kind of id, the two in turns.
// Nothing is asserted; docs/benchmarks.md records a run.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker, launchKeygate } from './lib/launch-worker.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const STEP = 20_000;
const KINDS = { 'time-ordered (the gateway)': '', 'random UUID': '&ids=random' };

/** Writes the rows of step `step` into `keygate`; the runtime CPU µs per row it cost. */
async function writeStep(keygate, step, idsParameter) {
  const start = step * STEP;
  const count = Math.min(STEP, ROWS - start);
  // Each step's rows are later than the last step's, as the gateway's are.
  const from = Date.now() - 86_400_000;
  const at = (index) => from + (86_400_000 * index) / ROWS;
  const before = await keygate.cpuSeconds();
  const response = await fetch(`${keygate.url}/__bench/seed?count=${count}&from=${at(start)}&to=${at(start + count)}&start=${start}${idsParameter}`, { method: 'POST' });
  if (!response.ok) throw new Error(`seeding: ${response.status} ${await response.text()}`);
  const cost = ((await keygate.cpuSeconds()) - before) * 1e6 / count;
  const stored = (await (await fetch(`${keygate.url}/__bench/rows`)).json()).rows;
  if (stored !== start + count) throw new Error(`seeding stored ${stored} of ${start + count} rows (the log says why)`);
  return cost;
}

// One fresh database for each kind of id, written step by step in turns (in the other order every
// other step), so the machine's drift hits both alike.
const buildDir = await mkdtemp(join(tmpdir(), 'keygate-bench-usage-rows-'));
const instances = [];
const columns = Object.fromEntries(Object.keys(KINDS).map((kind) => [kind, []]));
try {
  await buildWorker(buildDir, { entry: 'scripts/lib/analytics-seed-worker.ts' });
  for (const kind of Object.keys(KINDS)) instances.push([kind, await launchKeygate({ bundleDir: buildDir })]);
  for (let step = 0; step * STEP < ROWS; step++) {
    for (const [kind, keygate] of step % 2 === 0 ? instances : [...instances].reverse()) {
      columns[kind].push(await writeStep(keygate, step, KINDS[kind]));
    }
  }
} finally {
  for (const [, keygate] of instances) await keygate.close();
  await rm(buildDir, { recursive: true, force: true });
}
console.log(`\nruntime CPU µs per usage row written, local D1 (Miniflare), steps of ${STEP} rows, ${new Date().toISOString()}`);
console.table(
  columns[Object.keys(KINDS)[0]].map((_, step) => ({
    'rows in the table after the step': Math.min(ROWS, (step + 1) * STEP),
    ...Object.fromEntries(Object.entries(columns).map(([kind, costs]) => [kind, Number.isNaN(costs[step]) ? '-' : costs[step].toFixed(1)])),
  })),
);
