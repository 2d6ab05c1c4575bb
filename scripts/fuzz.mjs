#!/usr/bin/env node
// `npm run fuzz`: the fuzz tests (test/fuzz-*.test.ts) with 50,000 generated requests instead of
// `npm test`'s 2,200, half to the admin API and half to the gateway, against the real Worker in
// workerd with real local D1 and KV. It takes a few minutes.
//
//   FUZZ_RUNS=200000 npm run fuzz     more cases
//   FUZZ_SEED=1234 npm run fuzz       replay a run (each run prints its seed)
//   FUZZ_STOP=1 npm run fuzz          stop at the first failure and shrink it to a minimal case,
//                                     instead of collecting every distinct failure with the
//                                     smallest case that showed it (the default here)
//
// The settings reach the tests through Vite's environment (VITE_FUZZ_*): that is the only way
// into workerd. test/support/fuzz-runner.ts reads them.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = process.env.FUZZ_RUNS ?? '50000';
const seed = process.env.FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
if (!/^\d+$/.test(runs) || !/^-?\d+$/.test(seed)) {
  console.error('FUZZ_RUNS must be a whole number and FUZZ_SEED an integer.');
  process.exit(2);
}
console.log(`fuzz: ${runs} cases from seed ${seed} (FUZZ_SEED=${seed} npm run fuzz replays them)`);

const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const child = spawn(process.execPath, [vitest, 'run', '--project', 'workerd', 'test/fuzz-', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    VITE_FUZZ_RUNS: runs,
    VITE_FUZZ_SEED: seed,
    VITE_FUZZ_KEEP_GOING: process.env.FUZZ_STOP ? '0' : '1',
  },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
