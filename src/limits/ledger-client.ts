// The Worker's side of the ledger: ask before forwarding, settle to the actual usage afterwards.

import { KeygateError } from '../errors';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { estimateTokens } from './estimate';
import type { Admission, WindowState } from './key-ledger';
import { budgetPeriod, type BudgetPeriod } from './usage-limits';

function ledgerOf(env: Env, record: Pick<VirtualKeyRecord, 'id'>) {
  // Named from the key's id (not its slug), so nothing a key can change moves its ledger.
  return env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(record.id));
}

/** Tells the ledger what an admitted call used. Settles exactly once. */
export interface Metering {
  /** The call's actual tokens, once an answer or a stream reports them. */
  onTokens(tokens: number): void;
  /**
   * The call is over. Without reported usage, an answered call is charged its estimate (a stream
   * cut short, say) and a failed one nothing.
   */
  finish(answered: boolean): void;
}

const UNIT_NAMES = { rpm: 'minute', rph: 'hour', rpd: 'day' } as const;

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
  const resets = admission.resetsAt === null ? 'It is a lifetime budget and does not reset' : `It resets at ${new Date(admission.resetsAt).toISOString()}`;
  return new KeygateError(
    'budget_exhausted',
    'budget_exhausted',
    `Virtual key ${record.slug} has used its budget of ${admission.limit} tokens (${admission.spent} spent). ${resets}; raise usage_limits.credit_limit to continue now.`,
  );
}

/**
 * Admits a call against the key's rate limits and budget, or throws 429 / 412. Returns how to
 * report its usage, or null for a key without limits (which never touches the ledger).
 */
export async function admitCall(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  record: VirtualKeyRecord,
  call: { path: string; json: Record<string, unknown> | null },
  now: number = Date.now(),
): Promise<Metering | null> {
  const limits = record.usageLimits;
  if (record.rateLimits.length === 0 && !limits) return null;
  const estimate = estimateTokens(call.path, call.json);
  const budget = limits ? { limit: limits.credit_limit, period: budgetPeriod(limits, now), estimate } : undefined;
  const admission = await ledgerOf(env, record).admit({ rateLimits: record.rateLimits, ...(budget ? { budget } : {}) }, now);
  if (!admission.admitted) throw refusal(record, admission);

  let tokens: number | null = null;
  let settled = false;
  return {
    onTokens: (reported) => {
      tokens = reported;
    },
    finish: (answered) => {
      if (settled) return;
      settled = true;
      const charged = tokens ?? (answered ? estimate : 0);
      context.waitUntil(ledgerOf(env, record).settle(admission.reservationId, charged, Date.now()));
    },
  };
}

export interface LimitsState {
  windows: WindowState[];
  budget: { spent: number; reserved: number; period: BudgetPeriod } | null;
}

/** The live state of a key's limits, for retrieve. */
export async function limitsState(env: Env, record: VirtualKeyRecord, now: number = Date.now()): Promise<LimitsState> {
  if (record.rateLimits.length === 0 && !record.usageLimits) return { windows: [], budget: null };
  const period = record.usageLimits ? budgetPeriod(record.usageLimits, now) : null;
  const state = await ledgerOf(env, record).state(record.rateLimits, period, now);
  return { windows: state.windows, budget: period ? { spent: state.spent, reserved: state.reserved, period } : null };
}
