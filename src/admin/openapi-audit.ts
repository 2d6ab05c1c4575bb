// The audit log's operations (audit-logs-routes.ts), for the OpenAPI document: Portkey's query,
// and Keygate's check of the hash chain.

import { AuditLogQueryDocument } from './audit-log-docs';
import { MAX_VERIFY_PAGE, VerifyQuery } from './audit-log-schemas';
import { parameters } from './openapi-components';
import { denied, invalid, needsScope, operation } from './openapi-paths';

export function auditLogPaths() {
  const tag = 'Audit logs';
  const organisationOnly = 'Only organisation keys can hold it.';
  const refused = { 403: 'The API key lacks the scope, or organisation_id names another organisation.' };
  return {
    '/v1/audit-logs': {
      get: operation(tag, {
        operationId: 'listAuditLogs',
        summary: 'List audit records',
        needs: needsScope('audit_logs.list'),
        notes:
          `${organisationOnly} The organisation’s records from start_time to end_time, both included (a date alone is its ` +
          'midnight UTC), oldest first in chain order; every other filter given must match exactly. A record is written ' +
          'for every admin change (in the same transaction as the change), every 401 or 403 on an admin route, each ' +
          're-seal batch (the Cron Trigger’s too) and each budget event of a virtual key; secret fields of request bodies ' +
          'are masked. Pending records are sealed into the chain first, so every record on the page carries its hash.',
        parameters: parameters(AuditLogQueryDocument, 'query'),
        ok: ['A page of records, oldest first', 'AuditLogList'],
        errors: { ...invalid, ...denied, ...refused },
      }),
    },
    '/v1/audit-logs/verify': {
      get: operation(tag, {
        operationId: 'verifyAuditLogs',
        summary: 'Verify the audit chain',
        needs: needsScope('audit_logs.list'),
        notes:
          `${organisationOnly} Walks the chain from its first record (or from cursor), up to limit records (default ` +
          `${MAX_VERIFY_PAGE}): each must be sealed, name the previous record’s hash, and carry the MAC its chain key ` +
          'gives, and the walk must end at the chain’s head. Stops at the first record that breaks the chain. While ' +
          'next_cursor is not null, call again with it as cursor: the whole chain holds when a call answers valid true ' +
          'and next_cursor null. Pending records are sealed into the chain first.',
        parameters: parameters(VerifyQuery, 'query'),
        ok: ['Whether the records checked hold, and where to go on', 'AuditChainVerification'],
        errors: { ...invalid, ...denied, 403: 'The API key lacks the scope.' },
      }),
    },
  };
}
