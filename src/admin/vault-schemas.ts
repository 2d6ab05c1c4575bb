// Zod schemas for /v1/admin/vault (master-key rotation): what the routes validate. The answers'
// schemas, which only the OpenAPI document needs, and the fields' documentation are in
// vault-answers.ts, out of the bundle.

import * as z from 'zod/mini';

export const DEFAULT_RESEAL_LIMIT = 100;

export const ResealBody = z.strictObject({
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
});
