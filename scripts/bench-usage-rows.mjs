#!/usr/bin/env node
// `npm run bench:usage-rows`: what writing usage rows costs the runtime (workerd's CPU) in local
// D1 as the table grows, with the gateway's time-ordered row ids and with random UUIDs. Every
// gateway call leaves one row, and locally D1's SQLite runs in the same process as Keygate, so
// this cost is part of `npm run bench`'s figures; in production D1 runs elsewhere and its CPU is
// not the Worker's. Rows go in as the gateway's usage windows write them (writeUsageEvents, 750
// rows a window, through scripts/lib/analytics-seed-worker.ts), BENCH_ROWS of them (default
// 200,000) in steps of 20,000, into a fresh database for each kind of id. Nothing is asserted;
// docs/benchmarks.md records a run.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorker, launchKeygate } from './lib/launch-worker.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const STEP = 20_000;
const KINDS = { 'time-ordered (the gateway)': '', 'random UUID': '&ids=random' };

/** Runtime CPU µs per row for each step of STEP rows, into a fresh database. */
async function costPerStep(buildDir, idsParameter) {
  const keygate = await launchKeygate({ bundleDir: buildDir });
  try {
    const costs = [];
    const from = Date.now() - 86_400_000;
    for (let start = 0; start < ROWS; start += STEP) {
      const count = Math.min(STEP, ROWS - start);
      // Each step's rows are later than the last step's, as the gateway's are.
      const at = (index) => from + (86_400_000 * index) / ROWS;
      const before = await keygate.cpuSeconds();
      const response = await fetch(`${keygate.url}/__bench/seed?count=${count}&from=${at(start)}&to=${at(start + count)}&start=${start}${idsParameter}`, { method: 'POST' });
      if (!response.ok) throw new Error(`seeding: ${response.status} ${await response.text()}`);
      costs.push(((await keygate.cpuSeconds()) - before) * 1e6 / count);
    }
    return costs;
  } finally {
    await keygate.close();
  }
}

const buildDir = await mkdtemp(join(tmpdir(), 'keygate-bench-usage-rows-'));
const columns = {};
try {
  await buildWorker(buildDir, { entry: 'scripts/lib/analytics-seed-worker.ts' });
  for (const [kind, parameter] of Object.entries(KINDS)) columns[kind] = await costPerStep(buildDir, parameter);
} finally {
  await rm(buildDir, { recursive: true, force: true });
}
console.log(`\nruntime CPU µs per usage row written, local D1 (Miniflare), steps of ${STEP} rows, ${new Date().toISOString()}`);
console.table(
  columns[Object.keys(KINDS)[0]].map((_, step) => ({
    'rows in the table after the step': Math.min(ROWS, (step + 1) * STEP),
    ...Object.fromEntries(Object.entries(columns).map(([kind, costs]) => [kind, Number.isNaN(costs[step]) ? '-' : costs[step].toFixed(1)])),
  })),
);
