// The limit fields every limited holder takes and shows: workspaces, API keys and virtual keys
// (same fields, same validation), and the model rules (`model_limits`) of the two kinds of key.

import * as z from 'zod/mini';
import { RateLimitListSchema } from '../limits/rate-limit-rules';
import { UsageLimitsSchema } from '../limits/usage-limits';
import { allowedModelsField, modelPattern } from './shared-schemas';

// Factories: each object gets its own field schemas, so the OpenAPI document can describe each
// field where it is used (openapi-docs.ts).

/** On create and update; an update without a field keeps what is stored. */
export const limitFields = () => ({
  rate_limits: z.optional(RateLimitListSchema),
  usage_limits: z.nullish(UsageLimitsSchema),
});

const ModelLimitInput = z
  .strictObject({
    models: z.array(modelPattern).check(z.minLength(1, 'must name at least one model'), z.maxLength(20)),
    ...limitFields(),
  })
  .check(z.refine((rule) => (rule.rate_limits?.length ?? 0) > 0 || Boolean(rule.usage_limits), 'must set rate_limits or usage_limits'));

/** `model_limits` on keys: null or [] removes every rule. */
export const modelLimitsField = () =>
  z.nullish(
    z
      .array(ModelLimitInput)
      .check(
        z.maxLength(10),
        z.refine((rules) => new Set(rules.map((rule) => JSON.stringify(rule.models))).size === rules.length, 'must not have two rules for the same models'),
      ),
  );

export type ModelLimitsInput = z.infer<ReturnType<typeof modelLimitsField>>;

/** Update only: every budget of the holder (its model rules' too) starts its current period afresh. */
export const resetUsageField = () => ({ reset_usage: z.optional(z.boolean()) });

/** The key fields: limits, the allow-list, and model rules. */
export const keyLimitFields = () => ({ ...limitFields(), allowed_models: allowedModelsField(), model_limits: modelLimitsField() });
