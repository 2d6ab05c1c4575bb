// The Worker's side of the ledger: ask before forwarding, settle to the actual usage afterwards.

import { invalidRequest, KeygateError } from '../errors';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { priceOf, type ModelPrice } from '../usage/prices';
import { sendBudgetAlert } from './budget-alert';
import type { Admission, BudgetAlert, PendingSettlement, WindowState } from './ledger-types';
import { budgetPeriod, type BudgetPeriod, type StoredUsageLimits } from './usage-limits';

function ledgerOf(env: Env, record: Pick<VirtualKeyRecord, 'id'>) {
  // Named from the key's id (not its slug), so nothing a key can change moves its ledger.
  return env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(record.id));
}

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
  const name = model ?? '(none)';
  throw invalidRequest(
    'unknown_model_price',
    `Virtual key ${record.slug} has a cost budget, and Keygate has no price for model ${name}. Add one with PUT /v1/virtual-keys/${record.slug} and usage_limits.model_prices: {"${name}": {"input_per_million": …, "output_per_million": …}} (USD).`,
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

// Settlements wait here, per key, and ride along with the key's next admission: a busy key then
// costs its ledger one call and one durable write per request instead of two, and a write was the
// ledger's largest cost (docs/benchmarks.md). A key with no next request in SETTLEMENT_DELAY_MS
// gets its settlements sent on their own. Until a settlement arrives its reservation stays held,
// so the delay can only make the ledger stricter, never let a call through that it should refuse.
export const SETTLEMENT_DELAY_MS = 25;
const heldSettlements = new Map<string, { record: VirtualKeyRecord; entries: PendingSettlement[] }>();

function takeHeldSettlements(record: Pick<VirtualKeyRecord, 'id'>): PendingSettlement[] {
  const held = heldSettlements.get(record.id);
  if (!held) return [];
  heldSettlements.delete(record.id);
  return held.entries;
}

function sendAlerts(env: Env, context: Pick<ExecutionContext, 'waitUntil'>, record: VirtualKeyRecord, alerts: readonly BudgetAlert[] | undefined): void {
  for (const alert of alerts ?? []) context.waitUntil(sendBudgetAlert(env, record, alert));
}

function logLostSettlements(record: VirtualKeyRecord, count: number, error: unknown): void {
  // Not lost for good: each reservation is charged its estimate when it expires (key-ledger.ts).
  console.error(JSON.stringify({ level: 'warn', code: 'ledger_settle_failed', slug: record.slug, count, message: error instanceof Error ? error.message : '' }));
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
      if (carried.length > 0) logLostSettlements(record, carried.length, error);
      throw error;
    }
  });
  sendAlerts(env, context, record, admission.alerts);
  if (!admission.admitted) throw refusal(record, admission);
  return admission.reservationId;
}

/**
 * Settles an admitted call: held for the key's next admission, or sent after SETTLEMENT_DELAY_MS
 * (kept alive with waitUntil) when none comes. Alerts the settlement raises are sent then.
 */
export function settleInLedger(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  record: VirtualKeyRecord,
  settlement: { reservationId: string | null; tokens: number; amount: number },
  now: number,
): void {
  const limits = record.usageLimits;
  const budget = limits
    ? { unit: limits.type, period: budgetPeriod(limits, now), ...(limits.alert_threshold !== undefined ? { alertThreshold: limits.alert_threshold } : {}) }
    : undefined;
  const entry: PendingSettlement = { settlement: { revision: record.revision, ...settlement, ...(budget ? { budget } : {}) }, now };
  const held = heldSettlements.get(record.id);
  if (held) {
    held.entries.push(entry);
    held.record = record;
    return;
  }
  heldSettlements.set(record.id, { record, entries: [entry] });
  context.waitUntil(sendHeldSettlementsLater(env, context, record));
}

async function sendHeldSettlementsLater(env: Env, context: Pick<ExecutionContext, 'waitUntil'>, record: VirtualKeyRecord): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLEMENT_DELAY_MS));
  const latest = heldSettlements.get(record.id)?.record ?? record;
  const entries = takeHeldSettlements(record);
  if (entries.length === 0) return; // an admission took them along
  try {
    sendAlerts(env, context, latest, await ledgerOf(env, record).settleAll(entries));
  } catch (error) {
    logLostSettlements(latest, entries.length, error);
  }
}

/** Pushes a key's limits to its ledger, which then corrects Workers still holding an older record. */
export async function configureLedger(env: Env, record: VirtualKeyRecord): Promise<void> {
  await fromLedger(record.slug, () =>
    ledgerOf(env, record).configure({ revision: record.revision, rateLimits: record.rateLimits, usageLimits: record.usageLimits }),
  );
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
      if (carried.length > 0) logLostSettlements(record, carried.length, error);
      throw error;
    }
  });
  sendAlerts(env, context, record, state.raised);
  return { windows: state.windows, budget: period ? { spent: state.spent, reserved: state.reserved, period, alerts: state.alerts } : null };
}
