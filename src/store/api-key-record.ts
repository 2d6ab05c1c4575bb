// The stored shape of an API key, validated wherever it is read back (D1 row or KV value). It holds
// a mask of the key and never the key: the digests that open it live in api_key_credentials.

import * as z from 'zod/mini';
import { API_KEY_TYPES, SCOPES } from '../auth/scopes';
import { NO_LIMITS, StoredLimitsSchema } from '../limits/limit-levels';
import { rowFields } from './row-fields';

export const MetadataSchema = z.record(z.string(), z.string());
export const DefaultsSchema = z.object({ metadata: z.optional(MetadataSchema) });
export type Defaults = z.infer<typeof DefaultsSchema>;

export const ApiKeyRecordSchema = z.object({
  id: z.string().check(z.minLength(1)),
  organisationId: z.string(),
  workspaceId: z.nullable(z.string()),
  type: z.enum(API_KEY_TYPES),
  userId: z.nullable(z.string()),
  name: z.string(),
  description: z.nullable(z.string()),
  scopes: z.array(z.enum(SCOPES)),
  defaults: DefaultsSchema,
  // Defaulted: a record cached before allow-lists existed has none.
  allowedModels: z._default(z.array(z.string()), []),
  // Defaulted, as allowedModels: for records cached before limits at every level.
  limits: z._default(StoredLimitsSchema, NO_LIMITS),
  maskedKey: z.string(),
  expiresAt: z.nullable(z.string()),
  lastUsedAt: z.nullable(z.string()),
  revision: z.int().check(z.minimum(1)),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;

/** A key as one of its credentials opens it: the key, and when that credential stops working. */
export const AuthenticatedApiKeySchema = z.object({
  key: ApiKeyRecordSchema,
  credentialExpiresAt: z.nullable(z.string()),
});
export type AuthenticatedApiKey = z.infer<typeof AuthenticatedApiKeySchema>;

export const API_KEY_COLUMNS = [
  'id',
  'organisation_id',
  'workspace_id',
  'type',
  'user_id',
  'name',
  'description',
  'scopes',
  'defaults',
  'allowed_models',
  'limits',
  'masked_key',
  'expires_at',
  'last_used_at',
  'revision',
  'created_at',
  'last_updated_at',
];

export function apiKeyFromRow(row: unknown): ApiKeyRecord {
  return ApiKeyRecordSchema.parse(rowFields(row, ['scopes', 'defaults', 'allowed_models', 'limits']));
}

/** Whether an ISO time is at or before `now`. */
export function hasPassed(time: string | null, now: number = Date.now()): boolean {
  return time !== null && Date.parse(time) <= now;
}
