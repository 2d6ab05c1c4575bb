// What the /v1/audit-logs query fields mean, for the OpenAPI document only: openapi-docs.ts says
// why this text is kept apart from audit-log-schemas.ts (the Worker's bundle budget).

import { documentedAuditLogQuery, VerifyQuery } from './audit-log-schemas';
import { fields, schema, type DocEntry } from './openapi-docs';
import type * as z from 'zod/mini';

/** AuditLogQuery as the document shows it (audit-log-schemas.ts says why it is apart). */
export const AuditLogQueryDocument = documentedAuditLogQuery();

/** What start_time and end_time accept: the schema before the pipe turns it into a date-time. */
const accepted = (field: 'start_time' | 'end_time') => (AuditLogQueryDocument.shape[field]._zod.def as unknown as { in: z.ZodMiniType }).in;

export const auditLogDocs: DocEntry[] = [
  ...schema(accepted('start_time'), 'ISO 8601, e.g. 2026-11-30T00:00:00Z, or a date: from its first millisecond (UTC)', 'start_time'),
  ...schema(accepted('end_time'), 'ISO 8601, e.g. 2026-11-30T23:59:59Z, or a date: up to its last millisecond (UTC). Both ends are included.', 'end_time'),
  ...fields(AuditLogQueryDocument, { organisation_id: "Optional: the caller's own organisation." }),
  ...fields(VerifyQuery, { cursor: 'Where to go on from: the next_cursor of the previous page. Leave it out to start at the first record.' }),
];
