// Launches the benchmarks' work floor (work-floor-worker.js): a Worker doing only what any vault
// gateway must do, under the same launcher as Keygate, with a key, a virtual key and a sealed
// secret of its own. `headers` are what a request to it carries.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gatewayHeaders } from './gateway-keys.mjs';
import { launchScript } from './launch-worker.mjs';

export async function launchWorkFloor(upstreamOrigin, { inspectorPort } = {}) {
  const vars = {
    UPSTREAM: upstreamOrigin,
    API_KEY: `wf-${randomBytes(24).toString('base64url')}`,
    VAULT_KEY: randomBytes(32).toString('base64'),
    SLUG: 'work-floor-key',
    PROVIDER_KEY: 'sk-fake-bench-0000000000000001',
  };
  const worker = await launchScript({ script: await readFile(new URL('./work-floor-worker.js', import.meta.url), 'utf8'), vars, inspectorPort });
  return { ...worker, headers: gatewayHeaders(vars.API_KEY, vars.SLUG) };
}
