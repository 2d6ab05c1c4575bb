// The answers of /v1/audit-logs, for the OpenAPI document only (openapi-components.ts), so their
// descriptions stay out of the Worker's bundle. src/audit/audit-record.ts and
// src/audit/verify-chain.ts type the same shapes.

import * as z from 'zod/mini';
import { ACTIONS, RESOURCE_TYPES, USER_TYPES, type StoredAuditRecord } from '../audit/audit-record';
import type { BreakReason, VerifyResult } from '../audit/verify-chain';

const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const count = (min: number) => z.int().check(z.minimum(min));

/** One record: Portkey's fields, then the chain's. */
export const AuditLogRecord = z.object({
  id: z.string().check(z.describe('The record’s own random id (Keygate’s): a copy of a record can’t be stored beside it.')),
  timestamp: z.string().check(z.describe('When it happened, ISO 8601 in UTC.'), z.meta({ example: '2026-11-30T09:41:07.512Z' })),
  method: z.string().check(z.describe('The request’s method (POST for Keygate’s own records).')),
  uri: z.string().check(z.describe('The request’s path; `cron:/v1/admin/vault/reseal` for the Cron Trigger’s re-seal.')),
  request_id: z.string(),
  request_body: z.string().check(
    z.describe('The request’s body as JSON text, every secret field masked and long values cut; `{}` when it had none.'),
  ),
  query_params: z.string().check(z.describe('The request’s query parameters as JSON text.')),
  user_id: z.nullable(z.string()).check(z.describe('The user id of a user API key.')),
  user_type: z.enum(USER_TYPES).check(
    z.describe(
      'user: a user API key. api_key: any other caller, or none recognised. system: Keygate itself (the Cron re-seal, budget ' +
        'events, a new master key).',
    ),
  ),
  api_key_id: z.nullable(z.string()).check(
    z.describe('The API key that made the request; null for the admin key (ADMIN_API_KEY), a key not recognised, or Keygate’s own records.'),
  ),
  organisation_id: z.string(),
  workspace_id: z.nullable(z.string()),
  response_status_code: z.int().check(z.minimum(100), z.maximum(599), z.describe('What the request was answered.')),
  resource_type: z.enum(RESOURCE_TYPES),
  action: z.enum(ACTIONS).check(
    z.describe(
      'rotate: an API key rotated, or (vault) the chain moved on to a new master key. refused: a 401 or 403 on an admin route. ' +
        'exhausted and alert: a virtual key’s budget found spent, or its alert threshold crossed (once per budget period).',
    ),
  ),
  resource_id: z.nullable(z.string()).check(
    z.describe('The virtual key’s slug, the API key’s or workspace’s id, or the current master key id for a re-seal.'),
  ),
  client_ip: z.nullable(z.string()),
  country: z.nullable(z.string()).check(z.describe('Cloudflare’s two-letter country code of the client.')),
  entry: count(1).check(z.describe('The record’s position in the chain: commit order, never reused.')),
  count: count(1).check(
    z.describe('How many requests the record stands for: refused sign-ins (401) are folded, one record per source and minute; otherwise 1.'),
  ),
  key_id: z.string().check(
    z.describe('The master key id whose derived chain key MACs the record.'),
    z.meta({ example: 'mk_3f9a1c0d2b4e6f70' }),
  ),
  prev_hash: z.nullable(hex64).check(
    z.describe('The previous record’s hash (64 zeros for the first record); null while the record is not yet sealed into the chain.'),
  ),
  hash: hex64.check(
    z.describe('HMAC-SHA-256, under the chain key, over prev_hash and the record’s canonical bytes. Before sealing: the record’s own MAC.'),
  ),
});

export const AuditLogList = z.object({
  object: z.literal('list'),
  total: count(0).check(z.describe('Records matching the query, on every page.')),
  records: z.array(AuditLogRecord).check(z.describe('This page, oldest first (chain order).')),
});

const BREAK_REASONS = ['unsealed', 'broken_link', 'unknown_key', 'altered', 'truncated', 'not_in_chain'] as const satisfies readonly BreakReason[];

export const AuditChainVerification = z.object({
  valid: z.boolean().check(
    z.describe('false: first_invalid names where the chain breaks. true: this page holds, and the whole chain does once next_cursor is null.'),
  ),
  checked: count(0).check(z.describe('Records this call checked, the first invalid one included.')),
  first_invalid: z.nullable(
    z.object({
      entry: z.nullable(z.int().check(z.minimum(1))).check(z.describe('The record’s position in the chain; null for truncated.')),
      request_id: z.nullable(z.string()).check(z.describe('The record’s; null for truncated.')),
      timestamp: z.nullable(z.string()).check(z.describe('The record’s; null for truncated.')),
      reason: z.enum(BREAK_REASONS).check(
        z.describe(
          'unsealed: not sealed into the chain. broken_link: its prev_hash is not the previous record’s hash (a record deleted, ' +
            'inserted or reordered). unknown_key: neither VAULT_KEYS nor a stored chain key gives its chain key. altered: its hash ' +
            'does not match its content. truncated: the records end before the chain’s head (the newest records are gone). ' +
            'not_in_chain: a row after the chain’s head that its writer did not seal (written by someone else).',
        ),
      ),
    }),
  ).check(z.describe('The first record that breaks the chain; null when none does.')),
  next_cursor: z.nullable(z.string()).check(
    z.describe('Not null: this page holds, and more records follow; pass it back as cursor to check the next page. Null: the walk ended.'),
  ),
});

/** True when A and B are the same type: the answers above must keep the services' shapes. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<z.output<typeof AuditLogRecord>, StoredAuditRecord>;
true satisfies Same<z.output<typeof AuditChainVerification>, VerifyResult>;
