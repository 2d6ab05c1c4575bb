// Limits on the admin API: turning `usage_limits` input into the stored budget, and showing a
// key's limits with their live state from its ledger.

import type { LimitsState } from '../limits/ledger-client';
import type { StoredUsageLimits, UsageLimitsInput } from '../limits/usage-limits';
import type { VirtualKeyRecord } from '../store/virtual-key-record';

/**
 * The budget to store for `input` (undefined: keep `current`; null: none). A custom period keeps
 * counting from its old anchor unless its length changes.
 */
export function storedUsageLimits(
  input: UsageLimitsInput | null | undefined,
  current: StoredUsageLimits | null,
  now: Date,
): StoredUsageLimits | null {
  if (input === undefined) return current;
  if (input === null) return null;
  const keepAnchor = current !== null && current.periodic_reset_days === input.periodic_reset_days;
  return { ...input, period_anchor: keepAnchor ? current.period_anchor : now.toISOString() };
}

/** `usage_limits` as shown: the settings, and with a ledger state what is spent and when it resets. */
export function usageLimitsView(record: VirtualKeyRecord, state?: LimitsState) {
  const limits = record.usageLimits;
  if (!limits) return null;
  const { period_anchor: _anchor, ...settings } = limits;
  if (!state?.budget) return settings;
  const { spent, period, alerts } = state.budget;
  return {
    ...settings,
    spent,
    remaining: Math.max(0, limits.credit_limit - spent),
    next_usage_reset_at: period.end === null ? null : new Date(period.end).toISOString(),
    alerts,
  };
}

/** Whether the key's budget is spent: it then reads `exhausted` until it resets or is raised. */
export function isExhausted(record: VirtualKeyRecord, state: LimitsState): boolean {
  return record.usageLimits !== null && state.budget !== null && state.budget.spent >= record.usageLimits.credit_limit;
}
