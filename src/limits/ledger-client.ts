// The Worker's side of the ledgers: ask each limited level before forwarding (or admit from this
// isolate's lease), settle to the actual usage afterwards.

import { recordBudgetEvent } from '../audit/budget-events';
import { invalidRequest, KeygateError, quoted } from '../errors';
import { priceOf, type ModelPrice } from '../usage/prices';
import { holdSettlements, returnSettlements, sendAlerts, sendSettlementsNow, takeHeldSettlements } from './held-settlements';
import { admitFromLease, askForLease, giveBackToLease, keepLease, leasesOn, settleIntoLease, takeLeaseReturn, type LeaseShare } from './admission-leases';
import { ledgerOf } from './ledger-stub';
import type { LevelKind, LimitLevel } from './limit-levels';
import type { Admission, BudgetAlert, PendingSettlement, WindowState } from './ledger-types';
import { budgetPeriod, type BudgetPeriod, type StoredUsageLimits } from './usage-limits';

const UNIT_NAMES = { rpm: 'minute', rph: 'hour', rpd: 'day' } as const;

function describeAmount(limits: StoredUsageLimits, amount: number): string {
  return limits.type === 'cost' ? `$${amount.toFixed(4)}` : `${Math.round(amount)} tokens`;
}

const BUDGET_CODES: Record<LevelKind, string> = {
  workspace: 'workspace_budget_exhausted',
  api_key: 'api_key_budget_exhausted',
  virtual_key: 'budget_exhausted',
  model: 'model_budget_exhausted',
};

function refusal(level: LimitLevel, admission: Exclude<Admission, { admitted: true }>): KeygateError {
  if (admission.reason === 'rate_limit') {
    const { rule, retryAfterSeconds } = admission;
    return new KeygateError(
      'rate_limited',
      'rate_limit_exceeded',
      `${level.name} reached its limit of ${rule.value} ${rule.type} per ${UNIT_NAMES[rule.unit]}; try again in ${retryAfterSeconds} s.`,
      null,
      retryAfterSeconds,
    );
  }
  const limits = level.usageLimits!;
  const resets = admission.resetsAt === null ? 'It is a lifetime budget and does not reset' : `It resets at ${new Date(admission.resetsAt).toISOString()}`;
  return new KeygateError(
    'budget_exhausted',
    BUDGET_CODES[level.kind],
    `${level.name} has used its budget of ${describeAmount(limits, admission.limit)} (${describeAmount(limits, admission.spent)} spent). ${resets}; raise ${level.field}.credit_limit to continue now.`,
  );
}

/** The price a cost budget charges `model` at; a model without one is refused, never let through free. */
export function requiredPrice(level: LimitLevel, limits: StoredUsageLimits, model: string | null): ModelPrice {
  const found = model === null ? null : priceOf(model, limits.model_prices);
  if (found) return found;
  // The model is the client's input, quoted twice (and the body repeats the message): bounded.
  const name = JSON.stringify(quoted(model ?? '(none)', 100));
  throw invalidRequest(
    'unknown_model_price',
    `${level.name} has a cost budget, and Keygate has no price for model ${name}. Add one with PUT ${level.path} and ${level.field}.model_prices: {${name}: {"input_per_million": …, "output_per_million": …}} (USD).`,
    'model',
  );
}

/** The ledger's own failures (overload, an outage) are the gateway's, not the client's: 503. */
async function fromLedger<Result>(level: LimitLevel, call: () => Promise<Result>): Promise<Result> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof KeygateError) throw error;
    throw new KeygateError('unavailable', 'ledger_unavailable', `The limits ledger of ${level.name} could not be reached; try again shortly.`);
  }
}

/**
 * Admits a call against a level's rate limits and budget by its ledger, or throws 429 / 412.
 * `estimate.amount` is in the budget's unit; `estimate.tokens` is held against token limits.
 */
export async function admitToLedger(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  level: LimitLevel,
  estimate: { amount: number; tokens: number },
  now: number,
): Promise<AdmittedAt> {
  const limits = level.usageLimits;
  const budget = limits ? { limit: limits.credit_limit, unit: limits.type, period: budgetPeriod(limits, now), estimate: estimate.amount } : undefined;
  // A lease that could not cover this call goes back with it.
  const carried = [...takeHeldSettlements(level), ...takeLeaseReturn(level, now)];
  const lease = askForLease(env, level);
  const admission = await fromLedger(level, async () => {
    try {
      return await ledgerOf(env, level).admit(
        { revision: level.revision, rateLimits: level.rateLimits, estimatedTokens: estimate.tokens, ...(budget ? { budget } : {}), ...(lease.ask ? { lease: true } : {}) },
        now,
        carried,
      );
    } catch (error) {
      returnSettlements(env, context, level, carried, error);
      throw error;
    } finally {
      lease.done();
    }
  });
  // A ledger still running older code during a deploy ignores what it does not know.
  if (carried.length > 0 && admission.applied !== carried.length) returnSettlements(env, context, level, carried);
  sendAlerts(env, context, level, admission.alerts);
  if (!admission.admitted && admission.reason === 'budget' && admission.firstExhausted) {
    context.waitUntil(recordBudgetEvent(env, level, 'exhausted', { credit_limit: admission.limit, spent: admission.spent }));
  }
  if (!admission.admitted) throw refusal(level, admission);
  const at = admission.at ?? now;
  if (admission.lease) keepLease(env, context, level, admission.lease, at, now);
  return { level, reservationId: admission.reservationId, at };
}

/** One level's admission of a call: what to settle, or to release if another level refuses. */
export interface AdmittedAt {
  level: LimitLevel;
  reservationId: string | null;
  /** The ledger's time of the admission: a release takes the request back from that window. */
  at: number;
  /** Set when admitted from this isolate's lease, not by the ledger. */
  lease?: LeaseShare;
}

/**
 * Admits a call at every level: from this isolate's leases where they cover it, and by the other
 * levels' ledgers, asked at once (none when leases cover every level). If any refuses (or can't
 * be reached), the levels that admitted it are released at once (its request and reservation
 * taken back), and the first refusal in level order is thrown: the workspace's before the API
 * key's, the virtual key's and its model rules'.
 */
export async function admitAtEveryLevel(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  asks: readonly { level: LimitLevel; estimate: { amount: number; tokens: number } }[],
  now: number,
): Promise<AdmittedAt[]> {
  const leases = leasesOn(env);
  const leased = asks.map(({ level, estimate }): AdmittedAt | null => {
    const lease = leases ? admitFromLease(level, estimate, now) : null;
    return lease && { level, reservationId: null, at: now, lease };
  });
  if (leased.every((admission) => admission !== null)) return leased;
  const answers = await Promise.allSettled(asks.map(({ level, estimate }, index) => leased[index] ?? admitToLedger(env, context, level, estimate, now)));
  const refused = answers.find((answer) => answer.status === 'rejected');
  const admitted = answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
  if (!refused) return admitted;
  for (const { level, reservationId, at, lease } of admitted) {
    // A lease's share goes back into the lease; once the lease has gone back, the ledger takes it
    // out of the lease (its request and its share) as it takes back any other admission.
    if (lease && giveBackToLease(level, lease)) continue;
    const settlement = { id: crypto.randomUUID(), revision: level.revision, reservationId, tokens: 0, amount: 0, release: at, ...(lease ? { lease } : {}) };
    sendSettlementsNow(env, context, level, [{ settlement, now }]);
  }
  throw refused.reason;
}

/**
 * Settles an admitted call: held for the level's next ledger call (held-settlements.ts), or sent at
 * once when `usedMoreThanReserved`, so the ledger stops judging other calls by a low estimate.
 */
export function settleInLedger(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  level: LimitLevel,
  settlement: { reservationId: string | null; tokens: number; amount: number; lease?: LeaseShare },
  now: number,
  usedMoreThanReserved: boolean,
): void {
  const limits = level.usageLimits;
  const budget = limits
    ? { unit: limits.type, period: budgetPeriod(limits, now), ...(limits.alert_threshold !== undefined ? { alertThreshold: limits.alert_threshold } : {}) }
    : undefined;
  if (settlement.lease && settleIntoLease(level, settlement.lease, settlement)) {
    // A call that used more than it took from the lease ends the lease at once: the ledger then
    // judges the next call by what was really used, as it would without leases.
    if (usedMoreThanReserved) sendSettlementsNow(env, context, level, takeLeaseReturn(level, now));
    return;
  }
  const entry: PendingSettlement = { settlement: { id: crypto.randomUUID(), revision: level.revision, ...settlement, ...(budget ? { budget } : {}) }, now };
  if (usedMoreThanReserved) sendSettlementsNow(env, context, level, [entry]);
  else holdSettlements(env, context, level, [entry]);
}

/** Pushes a level's limits to its ledger, which then corrects Workers still holding an older copy. */
export async function configureLedger(env: Env, level: LimitLevel): Promise<void> {
  await fromLedger(level, () =>
    ledgerOf(env, level).configure({ revision: level.revision, rateLimits: level.rateLimits, usageLimits: level.usageLimits }),
  );
}

/** `reset_usage`: the level's budget starts its current period afresh. 503 when the ledger can't be reached. */
export async function resetLedgerUsage(env: Env, level: LimitLevel): Promise<void> {
  await fromLedger(level, () => ledgerOf(env, level).resetUsage());
}

export interface LimitsState {
  windows: WindowState[];
  budget: { spent: number; reserved: number; period: BudgetPeriod; alerts: BudgetAlert[] } | null;
}

/** The live state of a level's limits, for reads; what this isolate holds for it (settlements, its lease) goes first. */
export async function limitsState(env: Env, context: Pick<ExecutionContext, 'waitUntil'>, level: LimitLevel, now: number = Date.now()): Promise<LimitsState> {
  if (level.rateLimits.length === 0 && !level.usageLimits) return { windows: [], budget: null };
  const period = level.usageLimits ? budgetPeriod(level.usageLimits, now) : null;
  const budget = level.usageLimits && period ? { unit: level.usageLimits.type, period } : null;
  // This isolate's lease goes back first, so that what it did not use is not read as used.
  const carried = [...takeHeldSettlements(level), ...takeLeaseReturn(level, now)];
  const state = await fromLedger(level, async () => {
    try {
      return await ledgerOf(env, level).state(level.rateLimits, budget, now, carried);
    } catch (error) {
      returnSettlements(env, context, level, carried, error);
      throw error;
    }
  });
  if (carried.length > 0 && state.applied !== carried.length) returnSettlements(env, context, level, carried);
  sendAlerts(env, context, level, state.raised);
  return { windows: state.windows, budget: period ? { spent: state.spent, reserved: state.reserved, period, alerts: state.alerts } : null };
}
