// The audit log's two hooks into the admin API: sealing after a change, and recording refusals.

import type { Context, MiddlewareHandler } from 'hono';
import { auditChain, auditRecord, recordEvent, sealInBackground } from '../audit/audit-log';
import { refusalFolds } from '../audit/refusal-folds';
import { errorStatus, type KeygateError } from '../errors';
import { failureFields, logEvent } from '../log';
import { auditRequest } from './audit-request';
import type { AppEnv } from './context';

/** A change committed its record with it; this seals it into the chain after the response. */
export function sealAuditLogAfterChange(): MiddlewareHandler<AppEnv> {
  return async function sealAfterChange(c, next) {
    await next();
    if (c.req.method !== 'GET' && c.res.status < 400) sealInBackground(c.env, c.executionCtx);
  };
}

/**
 * Records a 401 or 403 on an admin route, after the response. A 401 names no known key, so it is
 * folded with its source's other 401s of the same minute into one record (src/audit/refusal-folds.ts).
 * The request's body is never read for this.
 */
export function recordRefusal(c: Context<AppEnv>, error: KeygateError): void {
  const status = errorStatus(error);
  if (status !== 401 && status !== 403) return;
  const principal = c.get('principal') ?? null;
  const record = auditRecord(c.env, auditRequest(c), {
    resource_type: 'auth',
    action: 'refused',
    resource_id: null,
    workspace_id: principal?.workspaceId ?? null,
    response_status_code: status,
  });
  if (status === 403) {
    c.executionCtx.waitUntil(recordEvent(c.env, record));
    return;
  }
  c.executionCtx.waitUntil(
    (async () => {
      const due = refusalFolds.add(await record);
      if (due.length === 0) return;
      const chain = await auditChain(c.env);
      await Promise.all(due.map((folded) => chain.refused(folded)));
    })().catch((failure: unknown) => logEvent('warn', 'audit_record_failed', failureFields(failure))),
  );
}
