// What an audit record says of the request it is about: built from the request once the body is
// read and checked. No header is recorded (several carry credentials); secret body fields are masked.

import type { Context } from 'hono';
import type { AuditRequest } from '../audit/audit-log';
import { maskedForAudit } from '../audit/masking';
import { quoted } from '../errors';
import type { AppEnv } from './context';

export function auditRequest(c: Context<AppEnv>, body: unknown = {}): AuditRequest {
  const cf = c.req.raw.cf as { country?: unknown } | undefined;
  return {
    method: c.req.method,
    uri: quoted(c.req.path, 500),
    request_id: c.get('requestId'),
    request_body: JSON.stringify(maskedForAudit(body)),
    query_params: JSON.stringify(maskedForAudit(c.req.query())),
    client_ip: c.req.raw.headers.get('cf-connecting-ip')?.slice(0, 64) ?? null,
    country: typeof cf?.country === 'string' ? cf.country.slice(0, 8) : null,
    principal: c.get('principal') ?? null,
  };
}
