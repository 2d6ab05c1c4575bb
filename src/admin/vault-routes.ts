// /v1/admin/vault: master-key rotation. What each key seals, and re-sealing under the current key.
// Organisation keys only (`vault.manage`); the Cron Trigger re-seals without anyone calling these.

import { Hono } from 'hono/tiny';
import { auditRequest } from '../http/audit-request';
import type { AppEnv } from '../http/context';
import { requireScope } from '../http/require-scope';
import { parseInput, readOptionalJsonBody } from '../http/validation';
import { DEFAULT_RESEAL_LIMIT, ResealBody } from './vault-schemas';
import { resealSecrets, vaultStatus } from './vault-service';

export function vaultRoutes() {
  return new Hono<AppEnv>()
    .get('/', requireScope('vault.manage'), async (c) => c.json(await vaultStatus(c.env), 200))
    .post('/reseal', requireScope('vault.manage'), async (c) => {
      const body = parseInput(ResealBody, await readOptionalJsonBody(c.req.raw), 'json');
      return c.json(await resealSecrets(c.env, body.limit ?? DEFAULT_RESEAL_LIMIT, auditRequest(c, body)), 200);
    });
}
