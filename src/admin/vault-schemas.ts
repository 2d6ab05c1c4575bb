// Zod schemas for /v1/admin/vault (master-key rotation): validation, types and the OpenAPI document.

import * as z from 'zod/mini';

export const DEFAULT_RESEAL_LIMIT = 100;

export const ResealBody = z.strictObject({
  limit: z
    .optional(z.int().check(z.minimum(1), z.maximum(1000)))
    .check(z.describe(`How many records to re-seal at most in this call (default ${DEFAULT_RESEAL_LIMIT}).`)),
});

export const ResealResult = z.object({
  resealed: z.number().check(z.describe('Records sealed again under the current key by this call.')),
  skipped: z.number().check(z.describe('Records changed by an update while this ran: the next call finds them again.')),
  unreadable: z.number().check(z.describe('Records no key of the ring opens (an unknown key id or a damaged envelope): left as they are.')),
  remaining: z.number().check(z.describe('Records still sealed by another key than the current one, unreadable ones included.')),
  current_key_id: z.string().check(z.meta({ example: 'mk_3f9a1c0d2b4e6f70' })),
});

export const VaultStatusResult = z.object({
  current_key_id: z.string(),
  keys: z.array(
    z.object({
      id: z.string().check(z.describe('A master key id: a fingerprint of the key, never the key.')),
      records: z.number().check(z.describe('Virtual keys whose secret this key seals.')),
      in_ring: z.boolean().check(z.describe('Whether VAULT_KEYS (or VAULT_KEY) holds this key. A key with records and in_ring false is missing: those records cannot be opened.')),
      current: z.boolean().check(z.describe('Whether this key seals new secrets.')),
    }),
  ),
});
