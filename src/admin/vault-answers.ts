// The answers of /v1/admin/vault, and what the request's fields mean, for the OpenAPI document only
// (openapi-components.ts). Kept out of vault-schemas.ts so their descriptions stay out of the
// Worker's bundle; vault-service.ts types the same shapes, and test/vault-rotation.test.ts checks
// them field by field.

import * as z from 'zod/mini';
import { fields, type DocEntry } from './openapi-docs';
import { DEFAULT_RESEAL_LIMIT, ResealBody } from './vault-schemas';

export const vaultDocs: DocEntry[] = [
  ...fields(ResealBody, {
    limit: `How many virtual keys to re-seal at most in this call (default ${DEFAULT_RESEAL_LIMIT}); older audit chain keys are all re-sealed.`,
  }),
];

export const ResealResult = z.object({
  resealed: z.number().check(z.describe('Virtual keys sealed again under the current key by this call.')),
  skipped: z.number().check(z.describe('Virtual keys changed by an update while this ran: the next call finds them again.')),
  unreadable: z.number().check(z.describe('Virtual keys no key of the ring opens (an unknown key id or a damaged envelope): left as they are.')),
  remaining: z.number().check(
    z.describe('Virtual keys and audit chain keys still sealed by another key than the current one, unreadable ones included.'),
  ),
  current_key_id: z.string().check(z.meta({ example: 'mk_3f9a1c0d2b4e6f70' })),
});

export const VaultStatusResult = z.object({
  current_key_id: z.string(),
  keys: z.array(
    z.object({
      id: z.string().check(z.describe('A master key id: a fingerprint of the key, never the key.')),
      records: z.number().check(
        z.describe(
          'Virtual keys whose secret this key seals, and audit chain keys it produces: its own, derived from it, and older ones ' +
            'a re-seal stored sealed under it.',
        ),
      ),
      in_ring: z.boolean().check(
        z.describe(
          'Whether VAULT_KEYS (or VAULT_KEY) holds this key. A key with records and in_ring false is missing: those records ' +
            'cannot be opened, and audit records under its chain key fail verification (unknown_key).',
        ),
      ),
      current: z.boolean().check(z.describe('Whether this key seals new secrets.')),
    }),
  ),
});
