// Rate limit rules as the admin API takes them (Portkey's field names) and the ledger applies them.

import * as z from 'zod/mini';
import { wholeNumber } from '../schemas/checks';

export const RATE_LIMIT_UNITS = { rpm: 60_000, rph: 3_600_000, rpd: 86_400_000 } as const;
export type RateLimitUnit = keyof typeof RATE_LIMIT_UNITS;

export const RateLimitRuleSchema = z.strictObject({
  type: z.enum(['requests', 'tokens']),
  unit: z.enum(['rpm', 'rph', 'rpd']),
  value: wholeNumber().check(z.minimum(1, 'must be at least 1'), z.maximum(1_000_000_000)),
});

export type RateLimitRule = z.infer<typeof RateLimitRuleSchema>;

export const RateLimitListSchema = z.array(RateLimitRuleSchema).check(
  z.maxLength(6),
  z.refine(
    (rules) => new Set(rules.map((rule) => `${rule.type}/${rule.unit}`)).size === rules.length,
    'must not have two limits of the same type and unit',
  ),
);

/** The UTC-aligned window of `unit` that contains `now`: [start, end). */
export function windowOf(unit: RateLimitUnit, now: number): { start: number; end: number } {
  const length = RATE_LIMIT_UNITS[unit];
  const start = Math.floor(now / length) * length;
  return { start, end: start + length };
}
