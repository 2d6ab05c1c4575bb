// Limits on the admin API, for every holder (workspace, API key, virtual key): turning input into
// what is stored, showing it with the live state of its ledgers, and keeping those ledgers in step
// with a change (new limits, reset_usage, a delete).

import { failureFields, logEvent } from '../log';
import { configureLedger, limitsState, resetLedgerUsage, type LimitsState } from '../limits/ledger-client';
import { ledgerOf } from '../limits/ledger-stub';
import { hasLimits, modelLevel, type LimitLevel, type StoredLimits, type StoredModelLimit } from '../limits/limit-levels';
import type { RateLimitRule } from '../limits/rate-limit-rules';
import type { StoredUsageLimits, UsageLimitsInput } from '../limits/usage-limits';
import type { ModelLimitsInput } from './limit-schemas';

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

/** The rules to store: given, they replace every rule; a rule for the same models keeps its anchor. */
function storedModelLimits(input: ModelLimitsInput | undefined, current: StoredModelLimit[], now: Date): StoredModelLimit[] {
  if (input === undefined) return current;
  return (input ?? []).map((rule) => {
    const kept = current.find((old) => JSON.stringify(old.models) === JSON.stringify(rule.models));
    return { models: rule.models, rateLimits: rule.rate_limits ?? [], usageLimits: storedUsageLimits(rule.usage_limits ?? null, kept?.usageLimits ?? null, now) };
  });
}

export interface LimitsInput {
  rate_limits?: RateLimitRule[] | undefined;
  usage_limits?: UsageLimitsInput | null | undefined;
  model_limits?: ModelLimitsInput | undefined;
}

/** JSON with every object's keys in order: two limits compare equal however their input was spelled. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1))) : inner,
  );

/** Whether `input` changes or resets `current` limits (sending back what is stored changes nothing). */
export function changesLimits(input: LimitsInput & { reset_usage?: boolean | undefined }, current: StoredLimits): boolean {
  return input.reset_usage === true || canonical(storedLimits(input, current)) !== canonical(current);
}

/** A holder's limits after `input` (create: `current` is NO_LIMITS). */
export function storedLimits(input: LimitsInput, current: StoredLimits, now: Date = new Date()): StoredLimits {
  return {
    rateLimits: input.rate_limits ?? current.rateLimits,
    usageLimits: storedUsageLimits(input.usage_limits, current.usageLimits, now),
    modelLimits: storedModelLimits(input.model_limits, current.modelLimits, now),
  };
}

/** `usage_limits` as shown: the settings, and with a ledger state what is spent and when it resets. */
function usageLimitsView(limits: StoredUsageLimits | null, state?: LimitsState) {
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

function levelView(level: { rateLimits: RateLimitRule[]; usageLimits: StoredUsageLimits | null }, state?: LimitsState) {
  return { rate_limits: level.rateLimits, usage_limits: usageLimitsView(level.usageLimits, state), ...(state ? { rate_limit_windows: state.windows } : {}) };
}

/** Every level of a holder: its own, then one per model rule. */
export function holderLevels(owner: LimitLevel, modelLimits: readonly StoredModelLimit[]): LimitLevel[] {
  return [owner, ...modelLimits.map((rule, index) => modelLevel(owner, rule, index))];
}

/** A holder's limit fields as shown; with `states` (one per level, holderLevels' order) live. */
export function limitsView(owner: LimitLevel, modelLimits: readonly StoredModelLimit[], states?: readonly LimitsState[]) {
  return {
    ...levelView(owner, states?.[0]),
    model_limits: modelLimits.map((rule, index) => ({ models: rule.models, ...levelView(rule, states?.[index + 1]) })),
  };
}

/** The live state of each of a holder's levels, from their ledgers (none asked for a level without limits). */
export function liveStates(env: Env, context: Pick<ExecutionContext, 'waitUntil'>, levels: readonly LimitLevel[]): Promise<LimitsState[]> {
  return Promise.all(levels.map((level) => limitsState(env, context, level)));
}

/** Whether a level's budget is spent: a key then reads `exhausted` until it resets or is raised. */
export function isExhausted(level: LimitLevel, state: LimitsState): boolean {
  return level.usageLimits !== null && state.budget !== null && state.budget.spent >= level.usageLimits.credit_limit;
}

/**
 * After a change is in D1: each ledger gets the limits at once, which corrects Workers still
 * holding an older copy; a rule that is gone has its ledger emptied; `reset` starts every budget's
 * current period afresh. Only the reset was asked for, so only its failure is the client's (503);
 * the rest is logged.
 */
export async function applyLimitChange(env: Env, before: readonly LimitLevel[], after: readonly LimitLevel[], reset?: boolean): Promise<void> {
  const kept = new Set(after.map((level) => level.id));
  const limitedBefore = new Set(before.filter(hasLimits).map((level) => level.id));
  await Promise.all([
    ...after.filter((level) => hasLimits(level) || limitedBefore.has(level.id)).map((level) => logFailure(level, 'ledger_configure_failed', () => configureLedger(env, level))),
    clearLedgers(env, before.filter((level) => !kept.has(level.id))),
  ]);
  if (reset) await Promise.all(after.filter(hasLimits).map((level) => resetLedgerUsage(env, level)));
}

/** A deleted holder's ledgers are emptied; it is gone already, so a failure is logged, not reported. */
export async function clearLedgers(env: Env, levels: readonly LimitLevel[]): Promise<void> {
  await Promise.all(levels.map((level) => logFailure(level, 'ledger_clear_failed', () => ledgerOf(env, level).clear())));
}

async function logFailure(level: LimitLevel, event: string, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (error) {
    logEvent('warn', event, { limitLevel: level.name, ...failureFields(error) });
  }
}
