// The Worker's side of the ledger: ask before forwarding, settle to the actual usage afterwards.

import { recordBudgetEvent } from '../audit/budget-events';
import { invalidRequest, KeygateError, quoted } from '../errors';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { priceOf, type ModelPrice } from '../usage/prices';
import { holdSettlements, returnSettlements, sendAlerts, sendSettlementsNow, takeHeldSettlements } from './held-settlements';
import { ledgerOf } from './ledger-stub';
import type { Admission, BudgetAlert, PendingSettlement, WindowState } from './ledger-types';
import { budgetPeriod, type BudgetPeriod, type StoredUsageLimits } from './usage-limits';

const UNIT_NAMES = { rpm: 'minute', rph: 'hour', rpd: 'day' } as const;

function describeAmount(limits: StoredUsageLimits, amount: number): string {
  return limits.type === 'cost' ? `$${amount.toFixed(4)}` : `${Math.round(amount)} tokens`;
}

function refusal(record: VirtualKeyRecord, admission: Exclude<Admission, { admitted: true }>): KeygateError {
  if (admission.reason === 'rate_limit') {
    const { rule, retryAfterSeconds } = admission;
    return new KeygateError(
      'rate_limited',
      'rate_limit_exceeded',
      `Virtual key ${record.slug} reached its limit of ${rule.value} ${rule.type} per ${UNIT_NAMES[rule.unit]}; try again in ${retryAfterSeconds} s.`,
      null,
      retryAfterSeconds,
    );
  }
  const limits = record.usageLimits!;
  const resets = admission.resetsAt === null ? 'It is a lifetime budget and does not reset' : `It resets at ${new Date(admission.resetsAt).toISOString()}`;
  return new KeygateError(
    'budget_exhausted',
    'budget_exhausted',
    `Virtual key ${record.slug} has used its budget of ${describeAmount(limits, admission.limit)} (${describeAmount(limits, admission.spent)} spent). ${resets}; raise usage_limits.credit_limit to continue now.`,
  );
}

/** The price a cost budget charges `model` at; a model without one is refused, never let through free. */
export function requiredPrice(record: VirtualKeyRecord, limits: StoredUsageLimits, model: string | null): ModelPrice {
  const found = model === null ? null : priceOf(model, limits.model_prices);
  if (found) return found;
  // The model is the client's input, quoted twice (and the body repeats the message): bounded.
  const name = JSON.stringify(quoted(model ?? '(none)', 100));
  throw invalidRequest(
    'unknown_model_price',
    `Virtual key ${record.slug} has a cost budget, and Keygate has no price for model ${name}. Add one with PUT /v1/virtual-keys/${record.slug} and usage_limits.model_prices: {${name}: {"input_per_million": …, "output_per_million": …}} (USD).`,
    'model',
  );
}

/** The ledger's own failures (overload, an outage) are the gateway's, not the client's: 503. */
async function fromLedger<Result>(slug: string, call: () => Promise<Result>): Promise<Result> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof KeygateError) throw error;
    throw new KeygateError('unavailable', 'ledger_unavailable', `The limits ledger of virtual key ${slug} could not be reached; try again shortly.`);
  }
}

/**
 * Admits a call against the key's rate limits and budget, or throws 429 / 412. `estimate` is in
 * the budget's unit; `estimatedTokens` is held against token limits. Returns the reservation.
 */
export async function admitToLedger(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  record: VirtualKeyRecord,
  estimate: { amount: number; tokens: number },
  now: number,
): Promise<string | null> {
  const limits = record.usageLimits;
  const budget = limits ? { limit: limits.credit_limit, unit: limits.type, period: budgetPeriod(limits, now), estimate: estimate.amount } : undefined;
  const carried = takeHeldSettlements(record);
  const admission = await fromLedger(record.slug, async () => {
    try {
      return await ledgerOf(env, record).admit(
        { revision: record.revision, rateLimits: record.rateLimits, estimatedTokens: estimate.tokens, ...(budget ? { budget } : {}) },
        now,
        carried,
      );
    } catch (error) {
      returnSettlements(env, context, record, carried, error);
      throw error;
    }
  });
  // A ledger still running older code during a deploy ignores what it does not know.
  if (carried.length > 0 && admission.applied !== carried.length) returnSettlements(env, context, record, carried);
  sendAlerts(env, context, record, admission.alerts);
  if (!admission.admitted && admission.reason === 'budget' && admission.firstExhausted) {
    context.waitUntil(recordBudgetEvent(env, record, 'exhausted', { credit_limit: admission.limit, spent: admission.spent }));
  }
  if (!admission.admitted) throw refusal(record, admission);
  return admission.reservationId;
}

/**
 * Settles an admitted call: held for the key's next ledger call (held-settlements.ts), or sent at
 * once when `usedMoreThanReserved`, so the ledger stops judging other calls by a low estimate.
 */
export function settleInLedger(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  record: VirtualKeyRecord,
  settlement: { reservationId: string | null; tokens: number; amount: number },
  now: number,
  usedMoreThanReserved: boolean,
): void {
  const limits = record.usageLimits;
  const budget = limits
    ? { unit: limits.type, period: budgetPeriod(limits, now), ...(limits.alert_threshold !== undefined ? { alertThreshold: limits.alert_threshold } : {}) }
    : undefined;
  const entry: PendingSettlement = { settlement: { id: crypto.randomUUID(), revision: record.revision, ...settlement, ...(budget ? { budget } : {}) }, now };
  if (usedMoreThanReserved) sendSettlementsNow(env, context, record, [entry]);
  else holdSettlements(env, context, record, [entry]);
}

/** Pushes a key's limits to its ledger, which then corrects Workers still holding an older record. */
export async function configureLedger(env: Env, record: VirtualKeyRecord): Promise<void> {
  await fromLedger(record.slug, () =>
    ledgerOf(env, record).configure({ revision: record.revision, rateLimits: record.rateLimits, usageLimits: record.usageLimits }),
  );
}

/** `reset_usage`: the key's budget starts its current period afresh. 503 when the ledger can't be reached. */
export async function resetLedgerUsage(env: Env, record: VirtualKeyRecord): Promise<void> {
  await fromLedger(record.slug, () => ledgerOf(env, record).resetUsage());
}

export interface LimitsState {
  windows: WindowState[];
  budget: { spent: number; reserved: number; period: BudgetPeriod; alerts: BudgetAlert[] } | null;
}

/** The live state of a key's limits, for retrieve; settlements this isolate holds go first. */
export async function limitsState(env: Env, context: Pick<ExecutionContext, 'waitUntil'>, record: VirtualKeyRecord, now: number = Date.now()): Promise<LimitsState> {
  if (record.rateLimits.length === 0 && !record.usageLimits) return { windows: [], budget: null };
  const period = record.usageLimits ? budgetPeriod(record.usageLimits, now) : null;
  const budget = record.usageLimits && period ? { unit: record.usageLimits.type, period } : null;
  const carried = takeHeldSettlements(record);
  const state = await fromLedger(record.slug, async () => {
    try {
      return await ledgerOf(env, record).state(record.rateLimits, budget, now, carried);
    } catch (error) {
      returnSettlements(env, context, record, carried, error);
      throw error;
    }
  });
  if (carried.length > 0 && state.applied !== carried.length) returnSettlements(env, context, record, carried);
  sendAlerts(env, context, record, state.raised);
  return { windows: state.windows, budget: period ? { spent: state.spent, reserved: state.reserved, period, alerts: state.alerts } : null };
}
