// The stored shape of an API key, validated wherever it is read back (D1 row or KV value). It holds
// a mask of the key and never the key: the digests that open it live in api_key_credentials.

import * as z from 'zod/mini';
import { API_KEY_TYPES, SCOPES } from '../auth/scopes';
import { NO_LIMITS, StoredLimitsSchema } from '../limits/limit-levels';

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

const ApiKeyRowSchema = z.object({
  id: z.string(),
  organisation_id: z.string(),
  workspace_id: z.nullable(z.string()),
  type: z.string(),
  user_id: z.nullable(z.string()),
  name: z.string(),
  description: z.nullable(z.string()),
  scopes: z.string(),
  defaults: z.string(),
  allowed_models: z.string(),
  limits: z.string(),
  masked_key: z.string(),
  expires_at: z.nullable(z.string()),
  last_used_at: z.nullable(z.string()),
  revision: z.int(),
  created_at: z.string(),
  last_updated_at: z.string(),
});

export const API_KEY_COLUMNS = Object.keys(ApiKeyRowSchema.shape);

export function apiKeyFromRow(row: unknown): ApiKeyRecord {
  const parsed = ApiKeyRowSchema.parse(row);
  return ApiKeyRecordSchema.parse({
    id: parsed.id,
    organisationId: parsed.organisation_id,
    workspaceId: parsed.workspace_id,
    type: parsed.type,
    userId: parsed.user_id,
    name: parsed.name,
    description: parsed.description,
    scopes: JSON.parse(parsed.scopes),
    defaults: JSON.parse(parsed.defaults),
    allowedModels: JSON.parse(parsed.allowed_models),
    limits: JSON.parse(parsed.limits),
    maskedKey: parsed.masked_key,
    expiresAt: parsed.expires_at,
    lastUsedAt: parsed.last_used_at,
    revision: parsed.revision,
    createdAt: parsed.created_at,
    updatedAt: parsed.last_updated_at,
  });
}

/** Whether an ISO time is at or before `now`. */
export function hasPassed(time: string | null, now: number = Date.now()): boolean {
  return time !== null && Date.parse(time) <= now;
}
