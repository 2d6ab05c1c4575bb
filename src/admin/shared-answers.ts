// The answers' pieces the admin API's resources share (`defaults`, limits as shown, the error
// body), for the OpenAPI document and the services' types only. Every zod schema a bundled module
// declares stays in the Worker's bundle, used or not; these are imported by no module the Worker
// runs (the services import their types only).

import * as z from 'zod/mini';
import { RateLimitRuleSchema } from '../limits/rate-limit-rules';

export const DefaultsView = z.object({ metadata: z.optional(z.record(z.string(), z.string())) });

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

/** As shown: the settings, and on a single read their live state from the ledger. */
export const limitViewFields = () => ({
  rate_limits: z.array(RateLimitRuleSchema),
  usage_limits: z.nullable(UsageLimitsView),
  rate_limit_windows: z.optional(z.array(RateLimitWindow)),
});

export const keyLimitViewFields = () => ({
  ...limitViewFields(),
  allowed_models: z.array(z.string()),
  model_limits: z.array(z.object({ models: z.array(z.string()), ...limitViewFields() })),
});

export const EmptyResult = z.object({});

export const ErrorObject = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.string(), param: z.nullable(z.string()) }),
  message: z.string(),
});
