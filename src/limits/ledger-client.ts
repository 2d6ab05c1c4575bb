// The Worker's side of the ledger: ask before forwarding, settle to the actual usage afterwards.

import { invalidRequest, KeygateError } from '../errors';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { costOf, priceOf, type ModelPrice } from '../usage/prices';
import type { Usage } from '../usage/usage';
import { sendBudgetAlert } from './budget-alert';
import { estimateUsage } from './estimate';
import type { Admission, BudgetAlert, WindowState } from './key-ledger';
import { budgetPeriod, type BudgetPeriod, type StoredUsageLimits } from './usage-limits';

function ledgerOf(env: Env, record: Pick<VirtualKeyRecord, 'id'>) {
  // Named from the key's id (not its slug), so nothing a key can change moves its ledger.
  return env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(record.id));
}

/** Tells the ledger what an admitted call used. Settles exactly once. */
export interface Metering {
  /** The call's actual usage, once an answer or a stream reports it. */
  onUsage(usage: Usage): void;
  /**
   * The call is over. Without reported usage, an answered call is charged its estimate (a stream
   * cut short, say) and a failed one nothing.
   */
  finish(answered: boolean): void;
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
function requiredPrice(record: VirtualKeyRecord, limits: StoredUsageLimits, model: string | null): ModelPrice {
  const found = model === null ? null : priceOf(model, limits.model_prices);
  if (found) return found;
  const name = model ?? '(none)';
  throw invalidRequest(
    'unknown_model_price',
    `Virtual key ${record.slug} has a cost budget, and Keygate has no price for model ${name}. Add one with PUT /v1/virtual-keys/${record.slug} and usage_limits.model_prices: {"${name}": {"input_per_million": …, "output_per_million": …}} (USD).`,
    'model',
  );
}

/**
 * Admits a call against the key's rate limits and budget, or throws 429 / 412. Returns how to
 * report its usage, or null for a key without limits (which never touches the ledger).
 * `pricedModel` is the model a cost budget charges for.
 */
export async function admitCall(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  record: VirtualKeyRecord,
  call: { path: string; json: Record<string, unknown> | null },
  pricedModel: string | null,
  now: number = Date.now(),
): Promise<Metering | null> {
  const limits = record.usageLimits;
  if (record.rateLimits.length === 0 && !limits) return null;
  const estimate = estimateUsage(call.path, call.json);
  const modelPrice = limits?.type === 'cost' ? requiredPrice(record, limits, pricedModel) : null;
  // What a usage costs in the budget's unit: USD for a cost budget, tokens otherwise.
  const amountOf = (usage: Pick<Usage, 'promptTokens' | 'completionTokens' | 'totalTokens'>) =>
    modelPrice ? costOf(usage, modelPrice) : usage.totalTokens;
  const budget = limits ? { limit: limits.credit_limit, period: budgetPeriod(limits, now), estimate: amountOf(estimate) } : undefined;
  const admission = await ledgerOf(env, record).admit({ rateLimits: record.rateLimits, ...(budget ? { budget } : {}) }, now);
  if (!admission.admitted) throw refusal(record, admission);

  let reported: Usage | null = null;
  let settled = false;
  return {
    onUsage: (usage) => {
      reported = usage;
    },
    finish: (answered) => {
      if (settled) return;
      settled = true;
      const charged = reported ?? (answered ? estimate : { promptTokens: 0, completionTokens: 0, totalTokens: 0 });
      const settlement = {
        reservationId: admission.reservationId,
        tokens: charged.totalTokens,
        amount: amountOf(charged),
        ...(limits?.alert_threshold !== undefined ? { alertThreshold: limits.alert_threshold } : {}),
      };
      context.waitUntil(
        ledgerOf(env, record)
          .settle(settlement, Date.now())
          .then((alert) => (alert ? sendBudgetAlert(env, record, alert) : undefined)),
      );
    },
  };
}

export interface LimitsState {
  windows: WindowState[];
  budget: { spent: number; reserved: number; period: BudgetPeriod; alerts: BudgetAlert[] } | null;
}

/** The live state of a key's limits, for retrieve. */
export async function limitsState(env: Env, record: VirtualKeyRecord, now: number = Date.now()): Promise<LimitsState> {
  if (record.rateLimits.length === 0 && !record.usageLimits) return { windows: [], budget: null };
  const period = record.usageLimits ? budgetPeriod(record.usageLimits, now) : null;
  const state = await ledgerOf(env, record).state(record.rateLimits, period, now);
  return { windows: state.windows, budget: period ? { spent: state.spent, reserved: state.reserved, period, alerts: state.alerts } : null };
}
