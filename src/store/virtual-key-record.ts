// The stored shape of a virtual key, validated wherever it is read back (D1 row or KV value).
// It carries the sealed secret envelope and never a plaintext credential.

import * as z from 'zod/mini';
import { RateLimitRuleSchema } from '../limits/rate-limit-rules';
import { StoredUsageLimitsSchema } from '../limits/usage-limits';
import { StoredModelLimitSchema } from '../limits/limit-levels';
import { rowFields } from './row-fields';

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

export function recordFromRow(row: unknown): VirtualKeyRecord {
  return VirtualKeyRecordSchema.parse(rowFields(row, ['provider_config', 'masked_secrets', 'rate_limits', 'usage_limits', 'allowed_models', 'model_limits']));
}

/** Whether the key is past its `expires_at` at `now`. */
export function isExpired(record: Pick<VirtualKeyRecord, 'expiresAt'>, now: Date = new Date()): boolean {
  return record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime();
}
