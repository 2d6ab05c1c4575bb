// Rate limit rules as the admin API takes them (Portkey's field names) and the ledger applies them.

import { z } from '@hono/zod-openapi';

export const RATE_LIMIT_UNITS = { rpm: 60_000, rph: 3_600_000, rpd: 86_400_000 } as const;
export type RateLimitUnit = keyof typeof RATE_LIMIT_UNITS;

export const RateLimitRuleSchema = z
  .strictObject({
    type: z.enum(['requests', 'tokens']),
    unit: z.enum(['rpm', 'rph', 'rpd']),
    value: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000_000),
  })
  .openapi('RateLimit');

export type RateLimitRule = z.infer<typeof RateLimitRuleSchema>;

export const RateLimitListSchema = z
  .array(RateLimitRuleSchema)
  .max(6)
  .refine(
    (rules) => new Set(rules.map((rule) => `${rule.type}/${rule.unit}`)).size === rules.length,
    'must not have two limits of the same type and unit',
  );

/** The UTC-aligned window of `unit` that contains `now`: [start, end). */
export function windowOf(unit: RateLimitUnit, now: number): { start: number; end: number } {
  const length = RATE_LIMIT_UNITS[unit];
  const start = Math.floor(now / length) * length;
  return { start, end: start + length };
}
