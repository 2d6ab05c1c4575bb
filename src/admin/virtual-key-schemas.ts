// Zod schemas for the virtual-key admin API: the single source of validation, types and the
// OpenAPI document. Provider-specific fields come from each provider module.

import { z } from '@hono/zod-openapi';
import { PROVIDERS } from '../providers/registry';
import { RateLimitListSchema, RateLimitRuleSchema } from '../limits/rate-limit-rules';
import { UsageLimitsSchema } from '../limits/usage-limits';
import { acceptingBothSpellings } from './field-names';

const MAX_NAME_LENGTH = 200;
const MAX_NOTE_LENGTH = 2000;

const futureTimestamp = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z' })
  .refine((value) => Date.parse(value) > Date.now(), 'must be in the future');

const commonCreateFields = {
  name: z.string().trim().min(1, 'must not be empty').max(MAX_NAME_LENGTH).openapi({ example: 'openai-prod' }),
  note: z.string().max(MAX_NOTE_LENGTH).nullish(),
  expires_at: futureTimestamp.nullish().openapi({ description: 'After this time the key is refused.' }),
  workspace_id: z.string().optional().openapi({ description: 'Defaults to the caller’s workspace.' }),
  rate_limits: RateLimitListSchema.optional().openapi({ description: 'Counted per virtual key in its ledger; [] for none.' }),
  usage_limits: UsageLimitsSchema.nullish().openapi({ description: 'A budget, counted in the key’s ledger.' }),
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
).openapi('CreateVirtualKey');

const providerUpdateFields = Object.assign({}, ...PROVIDERS.map((provider) => provider.updateFields)) as Record<
  string,
  z.ZodType
>;

/** Fields every update may carry, whatever the provider. */
export const commonUpdateFields = {
  name: commonCreateFields.name.optional(),
  note: commonCreateFields.note,
  expires_at: futureTimestamp.nullish().openapi({ description: 'null removes the expiry.' }),
  status: z.enum(['active', 'disabled']).optional().openapi({ description: 'disabled refuses every request.' }),
  rate_limits: RateLimitListSchema.optional().openapi({ description: 'Replaces the list; [] removes every limit.' }),
  usage_limits: UsageLimitsSchema.nullish().openapi({ description: 'Replaces the budget; null removes it.' }),
};

export const UpdateVirtualKeyBody = acceptingBothSpellings(
  z.strictObject({ ...commonUpdateFields, ...providerUpdateFields }),
).openapi('UpdateVirtualKey');

export const SlugParams = z.object({
  slug: z.string().min(1).max(200).openapi({ param: { name: 'slug', in: 'path' }, example: 'openai-prod-3kq7m2x9a4b5c6d7' }),
});

export const ListQuery = z.object({
  current_page: z.coerce.number().int().min(0, 'starts at 0').default(0),
  page_size: z.coerce.number().int().min(1).max(100, 'is at most 100').default(50),
  workspace_id: z.string().optional(),
});

export const VirtualKeyObject = z
  .object({
    object: z.literal('virtual-key'),
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    note: z.string().nullable(),
    ai_provider_name: z.string(),
    masked_api_key: z.string().nullable(),
    masked_secrets: z.record(z.string(), z.string()).openapi({ description: 'Every stored secret field, masked.' }),
    status: z.enum(['active', 'disabled', 'expired', 'exhausted']),
    workspace_id: z.string(),
    expires_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    model_config: z.record(z.string(), z.unknown()),
    rate_limits: z.array(RateLimitRuleSchema),
    usage_limits: z
      .object({
        credit_limit: z.number(),
        type: z.enum(['tokens', 'cost']),
        periodic_reset: z.enum(['weekly', 'monthly']).optional(),
        periodic_reset_days: z.number().optional(),
        alert_threshold: z.number().optional(),
        model_prices: z.record(z.string(), z.object({ input_per_million: z.number(), output_per_million: z.number() })).optional(),
        spent: z.number().optional(),
        remaining: z.number().optional(),
        next_usage_reset_at: z.string().nullable().optional(),
        alerts: z.array(z.object({ at: z.string(), threshold: z.number(), spent: z.number(), period_start: z.string() })).optional(),
      })
      .nullable()
      .openapi({ description: 'The budget; on retrieve also what is spent and when it resets.' }),
    rate_limit_windows: z
      .array(
        z.object({
          type: z.enum(['requests', 'tokens']),
          unit: z.enum(['rpm', 'rph', 'rpd']),
          value: z.number(),
          used: z.number(),
          remaining: z.number(),
          resets_at: z.string(),
        }),
      )
      .optional()
      .openapi({ description: 'On retrieve: each rate limit’s current window.' }),
  })
  .openapi('VirtualKey');

export const VirtualKeyList = z
  .object({ object: z.literal('list'), total: z.number().int(), data: z.array(VirtualKeyObject) })
  .openapi('VirtualKeyList');

export const SlugResult = z
  .object({ success: z.literal(true), data: z.object({ id: z.string(), slug: z.string() }) })
  .openapi('VirtualKeySlug');

export const ErrorObject = z
  .object({
    error: z.object({ message: z.string(), type: z.string(), code: z.string(), param: z.string().nullable() }),
    message: z.string(),
  })
  .openapi('Error');
