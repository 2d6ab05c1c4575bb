// Zod schemas for the virtual-key admin API: the single source of validation, types and the
// OpenAPI document. Provider-specific fields come from each provider module. What the fields mean
// is in virtual-key-docs.ts, out of the Worker's bundle.

import * as z from 'zod/mini';
import { PROVIDERS } from '../providers/registry';
import { RateLimitListSchema, RateLimitRuleSchema } from '../limits/rate-limit-rules';
import { UsageLimitsSchema } from '../limits/usage-limits';
import { wholeNumber } from '../schemas/checks';
import { acceptingBothSpellings } from '../schemas/field-names';
import { allowedModelsField, description, futureTimestamp, pageFields, resourceName, workspaceIdField } from './shared-schemas';

const keyName = resourceName();
const note = description;

const commonCreateFields = {
  name: keyName,
  note,
  expires_at: z.nullish(futureTimestamp),
  workspace_id: workspaceIdField(),
  rate_limits: z.optional(RateLimitListSchema),
  usage_limits: z.nullish(UsageLimitsSchema),
  allowed_models: allowedModelsField(),
};

const createVariants = PROVIDERS.map((provider) =>
  z.strictObject({ ...commonCreateFields, provider: z.literal(provider.id), ...provider.createFields }),
);

export const CreateVirtualKeyBody = acceptingBothSpellings(
  z.discriminatedUnion('provider', createVariants as unknown as [(typeof createVariants)[number]], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `must be one of: ${PROVIDERS.map((provider) => provider.id).join(', ')}`
        : undefined,
  }),
);

const providerUpdateFields = Object.assign({}, ...PROVIDERS.map((provider) => provider.updateFields)) as Record<
  string,
  z.ZodMiniType
>;

/** Fields every update may carry, whatever the provider. */
export const commonUpdateFields = {
  name: z.optional(keyName),
  note,
  expires_at: z.nullish(futureTimestamp),
  status: z.optional(z.enum(['active', 'disabled'])),
  rate_limits: z.optional(RateLimitListSchema),
  usage_limits: z.nullish(UsageLimitsSchema),
  allowed_models: allowedModelsField(),
  reset_usage: z.optional(z.boolean()),
};

export const UpdateVirtualKeyBody = acceptingBothSpellings(z.strictObject({ ...commonUpdateFields, ...providerUpdateFields }));

export const SlugParams = z.object({
  slug: z.string().check(z.minLength(1), z.maxLength(200)),
});

export const ListQuery = z.object({
  ...pageFields,
  workspace_id: workspaceIdField(),
});

const UsageLimitsView = z.object({
  credit_limit: z.number(),
  type: z.enum(['tokens', 'cost']),
  periodic_reset: z.optional(z.enum(['weekly', 'monthly'])),
  periodic_reset_days: z.optional(z.number()),
  alert_threshold: z.optional(z.number()),
  model_prices: z.optional(z.record(z.string(), z.object({ input_per_million: z.number(), output_per_million: z.number() }))),
  spent: z.optional(z.number()),
  remaining: z.optional(z.number()),
  next_usage_reset_at: z.optional(z.nullable(z.string())),
  alerts: z.optional(z.array(z.object({ at: z.string(), threshold: z.number(), spent: z.number(), period_start: z.string() }))),
});

const RateLimitWindow = z.object({
  type: z.enum(['requests', 'tokens']),
  unit: z.enum(['rpm', 'rph', 'rpd']),
  value: z.number(),
  used: z.number(),
  remaining: z.number(),
  resets_at: z.string(),
});

export const VirtualKeyObject = z.object({
  object: z.literal('virtual-key'),
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  note: z.nullable(z.string()),
  ai_provider_name: z.string(),
  masked_api_key: z.nullable(z.string()),
  masked_secrets: z.record(z.string(), z.string()),
  status: z.enum(['active', 'disabled', 'expired', 'exhausted']),
  workspace_id: z.string(),
  expires_at: z.nullable(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  model_config: z.record(z.string(), z.unknown()),
  rate_limits: z.array(RateLimitRuleSchema),
  usage_limits: z.nullable(UsageLimitsView),
  allowed_models: z.array(z.string()),
  rate_limit_windows: z.optional(z.array(RateLimitWindow)),
});

export const VirtualKeyList = z.object({ object: z.literal('list'), total: wholeNumber(), data: z.array(VirtualKeyObject) });

export const SlugResult = z.object({ success: z.literal(true), data: z.object({ id: z.string(), slug: z.string() }) });

export const DeletedResult = z.object({ success: z.literal(true) });
