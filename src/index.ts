// The Worker entry. Durable Object classes are exported from here as they arrive.

import { createFetch } from './app';
import { resealSecrets } from './admin/vault-service';
import { failureFields, logEvent } from './log';

export { AuditChain } from './audit/audit-chain';
export { KeyLedger } from './limits/key-ledger';

const fetchHandler = createFetch();

// Records one Cron run re-seals at most: a rotation finishes without anyone calling the route.
// Not exported: workerd accepts only handlers and classes as the entry module's exports.
const SCHEDULED_RESEAL_LIMIT = 500;

export default {
  fetch: (request, env, context) => fetchHandler(request, env, context),
  // [triggers] crons in wrangler.toml: re-seals what older master keys still seal.
  // The run is awaited, not handed to waitUntil: the handler's promise is what keeps it alive.
  async scheduled(controller, env, _context) {
    try {
      const outcome = await resealSecrets(env, SCHEDULED_RESEAL_LIMIT, null);
      // A quiet run (nothing left, nothing unreadable) logs nothing worth reading every 5 minutes.
      if (outcome.resealed + outcome.skipped + outcome.remaining > 0) {
        logEvent(outcome.unreadable > 0 ? 'warn' : 'info', 'vault_reseal', { cron: controller.cron, ...outcome });
      }
    } catch (error) {
      logEvent('error', 'vault_reseal_failed', { cron: controller.cron, ...failureFields(error) });
    }
  },
} satisfies ExportedHandler<Env>;
