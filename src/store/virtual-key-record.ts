// The stored shape of a virtual key, validated wherever it is read back (D1 row or KV value).
// It carries the sealed secret envelope and never a plaintext credential.

import * as z from 'zod/mini';
import { RateLimitRuleSchema } from '../limits/rate-limit-rules';
import { StoredUsageLimitsSchema } from '../limits/usage-limits';
import { StoredModelLimitSchema } from '../limits/limit-levels';

export const VIRTUAL_KEY_STATUSES = ['active', 'disabled'] as const;
export type VirtualKeyStatus = (typeof VIRTUAL_KEY_STATUSES)[number];

export const VirtualKeyRecordSchema = z.object({
  id: z.string().check(z.minLength(1)),
  workspaceId: z.string().check(z.minLength(1)),
  slug: z.string().check(z.minLength(1)),
  name: z.string(),
  note: z.nullable(z.string()),
  provider: z.string().check(z.minLength(1)),
  status: z.enum(VIRTUAL_KEY_STATUSES),
  providerConfig: z.record(z.string(), z.unknown()),
  secretEnvelope: z.string().check(z.minLength(1)),
  secretKeyId: z.string().check(z.minLength(1)),
  maskedSecrets: z.record(z.string(), z.string()),
  expiresAt: z.nullable(z.string()),
  rateLimits: z.array(RateLimitRuleSchema),
  usageLimits: z.nullable(StoredUsageLimitsSchema),
  // Defaulted: a record cached before allow-lists existed has none.
  allowedModels: z._default(z.array(z.string()), []),
  modelLimits: z._default(z.array(StoredModelLimitSchema), []),
  revision: z.int().check(z.minimum(1)),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type VirtualKeyRecord = z.infer<typeof VirtualKeyRecordSchema>;

/** The row as D1 returns it: JSON columns are text. */
const VirtualKeyRowSchema = z.object({
  id: z.string(),
  workspace_id: z.string(),
  slug: z.string(),
  name: z.string(),
  note: z.nullable(z.string()),
  provider: z.string(),
  status: z.string(),
  provider_config: z.string(),
  secret_envelope: z.string(),
  secret_key_id: z.string(),
  masked_secrets: z.string(),
  expires_at: z.nullable(z.string()),
  rate_limits: z.string(),
  usage_limits: z.nullable(z.string()),
  allowed_models: z.string(),
  model_limits: z.string(),
  revision: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
});

export function recordFromRow(row: unknown): VirtualKeyRecord {
  const parsed = VirtualKeyRowSchema.parse(row);
  return VirtualKeyRecordSchema.parse({
    id: parsed.id,
    workspaceId: parsed.workspace_id,
    slug: parsed.slug,
    name: parsed.name,
    note: parsed.note,
    provider: parsed.provider,
    status: parsed.status,
    providerConfig: JSON.parse(parsed.provider_config),
    secretEnvelope: parsed.secret_envelope,
    secretKeyId: parsed.secret_key_id,
    maskedSecrets: JSON.parse(parsed.masked_secrets),
    expiresAt: parsed.expires_at,
    rateLimits: JSON.parse(parsed.rate_limits),
    usageLimits: parsed.usage_limits === null ? null : JSON.parse(parsed.usage_limits),
    allowedModels: JSON.parse(parsed.allowed_models),
    modelLimits: JSON.parse(parsed.model_limits),
    revision: parsed.revision,
    createdAt: parsed.created_at,
    updatedAt: parsed.updated_at,
  });
}

/** Whether the key is past its `expires_at` at `now`. */
export function isExpired(record: Pick<VirtualKeyRecord, 'expiresAt'>, now: Date = new Date()): boolean {
  return record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime();
}
