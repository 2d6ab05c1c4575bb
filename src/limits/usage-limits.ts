// A virtual key's budget (Portkey's `usage_limits`), and the period it currently counts in.

import * as z from 'zod/mini';
import { wholeNumber } from '../schemas/checks';

const ModelPriceSchema = z.strictObject({
  input_per_million: z.number().check(z.minimum(0)),
  output_per_million: z.number().check(z.minimum(0)),
});

export const UsageLimitsSchema = z
  .strictObject({
    credit_limit: wholeNumber().check(z.minimum(1, 'must be at least 1')),
    type: z._default(z.enum(['tokens', 'cost']), 'cost'),
    alert_threshold: z.optional(z.int().check(z.minimum(1))),
    periodic_reset: z.optional(z.enum(['weekly', 'monthly'])),
    periodic_reset_days: z.optional(z.int().check(z.minimum(1, 'must be 1 to 365'), z.maximum(365, 'must be 1 to 365'))),
    model_prices: z.optional(z.record(z.string().check(z.minLength(1), z.maxLength(200)), ModelPriceSchema)),
  })
  .check(
    z.refine((limits) => limits.alert_threshold === undefined || limits.alert_threshold < limits.credit_limit, {
      message: 'alert_threshold must be below credit_limit',
      path: ['alert_threshold'],
    }),
    z.refine((limits) => !(limits.periodic_reset && limits.periodic_reset_days), {
      message: 'give periodic_reset or periodic_reset_days, not both',
      path: ['periodic_reset_days'],
    }),
  );

export type UsageLimitsInput = z.infer<typeof UsageLimitsSchema>;

/** As stored: the input plus when a custom period started counting. */
export const StoredUsageLimitsSchema = z.object({
  credit_limit: z.number(),
  type: z.enum(['tokens', 'cost']),
  alert_threshold: z.optional(z.number()),
  periodic_reset: z.optional(z.enum(['weekly', 'monthly'])),
  periodic_reset_days: z.optional(z.number()),
  model_prices: z.optional(z.record(z.string(), ModelPriceSchema)),
  period_anchor: z.string(),
});

export type StoredUsageLimits = z.infer<typeof StoredUsageLimitsSchema>;

export interface BudgetPeriod {
  start: number;
  /** Null for a lifetime budget. */
  end: number | null;
}

const DAY = 86_400_000;

/** The budget period containing `now`, at UTC boundaries (weeks start on Monday). */
export function budgetPeriod(limits: StoredUsageLimits, now: number): BudgetPeriod {
  const date = new Date(now);
  if (limits.periodic_reset === 'monthly') {
    return { start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1), end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
  }
  if (limits.periodic_reset === 'weekly') {
    const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    const start = midnight - ((date.getUTCDay() + 6) % 7) * DAY;
    return { start, end: start + 7 * DAY };
  }
  if (limits.periodic_reset_days) {
    const length = limits.periodic_reset_days * DAY;
    const anchor = Date.parse(limits.period_anchor);
    const start = anchor + Math.max(0, Math.floor((now - anchor) / length)) * length;
    return { start, end: start + length };
  }
  return { start: 0, end: null };
}
