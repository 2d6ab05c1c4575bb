// Zod schemas for /v1/audit-logs: what the routes validate. The answers' schemas, which only the
// OpenAPI document needs, are in audit-log-answers.ts, out of the bundle.

import * as z from 'zod/mini';
import { ACTIONS, RESOURCE_TYPES, USER_TYPES } from '../audit/audit-record';
import { coercedNumber, isoDate, isoDateTime } from '../schemas/checks';
import { pageFields } from './shared-schemas';

type Accepts = () => z.ZodMiniType<string, unknown>;

/** An ISO 8601 date-time, or a date: its first millisecond, or for `end_time` its last. */
const instant = (accepts: Accepts, endOfDay: boolean) =>
  z.pipe(
    accepts(),
    z.transform((value) => new Date(endOfDay && value.length === 10 ? `${value}T23:59:59.999Z` : value).toISOString()),
  );
const text = (max = 200) => z.optional(z.string().check(z.maxLength(max)));

const auditLogQuery = (accepts: Accepts) =>
  z
    .object({
      start_time: instant(accepts, false),
      end_time: instant(accepts, true),
      organisation_id: z.optional(z.string().check(z.maxLength(64))),
      method: z.optional(z.enum(['POST', 'PUT', 'DELETE'])),
      uri: text(500),
      request_id: text(),
      user_id: text(),
      user_type: z.optional(z.enum(USER_TYPES)),
      api_key_id: text(),
      workspace_id: text(),
      response_status_code: z.optional(coercedNumber().check(z.int(), z.minimum(100), z.maximum(599))),
      resource_type: z.optional(z.enum(RESOURCE_TYPES)),
      action: z.optional(z.enum(ACTIONS)),
      resource_id: text(),
      client_ip: text(64),
      country: text(8),
      ...pageFields,
    })
    .check(z.refine((query) => query.start_time <= query.end_time, { message: 'must not be before start_time', path: ['end_time'] }));

const dateTime = isoDateTime();
const date = isoDate();

/**
 * The query as the OpenAPI document shows it: start_time and end_time each a union of an ISO 8601
 * date-time and a date. A function, so zod's union code (about 0.25 KiB of the 60 KiB gzipped
 * bundle) stays out of the Worker: AuditLogQuery accepts exactly what the union does, with the
 * union's message ("is not valid") for anything else.
 */
export const documentedAuditLogQuery = () => auditLogQuery(() => z.union([z.iso.datetime({ offset: true }), z.iso.date()]));

export const AuditLogQuery = auditLogQuery(() =>
  z.custom<string>((value) => z.safeParse(dateTime, value).success || z.safeParse(date, value).success, 'is not valid'),
);

export const MAX_VERIFY_PAGE = 1000;

export const VerifyQuery = z.object({
  cursor: z.optional(z.string().check(z.regex(/^\d{1,15}:[0-9a-f]{64}$/, 'must be a next_cursor this route answered'))),
  limit: z._default(coercedNumber().check(z.int(), z.minimum(1), z.maximum(MAX_VERIFY_PAGE, `is at most ${MAX_VERIFY_PAGE}`)), MAX_VERIFY_PAGE),
});
