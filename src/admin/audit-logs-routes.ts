// /v1/audit-logs: Portkey's audit log query, and Keygate's chain verification. Organisation keys
// only (`audit_logs.list`).

import { Hono } from 'hono/tiny';
import { sealAuditLog } from '../audit/audit-log';
import { verifyChain } from '../audit/verify-chain';
import { forbidden } from '../errors';
import type { AppEnv } from '../http/context';
import { requireScope } from '../http/require-scope';
import { parseInput } from '../http/validation';
import { listAuditRecords } from '../store/audit-log-table';
import { AuditLogQuery, VerifyQuery } from './audit-log-schemas';

export function auditLogRoutes() {
  return new Hono<AppEnv>()
    .get('/', requireScope('audit_logs.list'), async (c) => {
      const { start_time, end_time, organisation_id, current_page, page_size, ...filter } = parseInput(AuditLogQuery, c.req.query(), 'query');
      const principal = c.get('principal');
      if (organisation_id !== undefined && organisation_id !== principal.organisationId) {
        throw forbidden('organisation_forbidden', 'organisation_id names another organisation than this API key’s.');
      }
      // Seal first, so the page shows every committed record with its hash. If the chain writer
      // can't be reached, the records are still shown, the newest perhaps with prev_hash null.
      await sealAuditLog(c.env);
      const page = await listAuditRecords(c.env.DB, { start: start_time, end: end_time }, filter, { index: current_page, size: page_size });
      return c.json({ object: 'list' as const, total: page.total, records: page.records }, 200);
    })
    .get('/verify', requireScope('audit_logs.list'), async (c) => {
      const { cursor, limit } = parseInput(VerifyQuery, c.req.query(), 'query');
      return c.json(await verifyChain(c.env, cursor, limit), 200);
    });
}
