// Settlements wait here, per level (limit-levels.ts), and ride along with the level's next ledger
// call: a busy key then costs its ledger one call and one durable write per request instead of two, and a write was the
// ledger's largest cost (docs/benchmarks.md). A key with no next request in SETTLEMENT_DELAY_MS
// gets its settlements sent on their own.
//
// While a settlement waits, its reservation stays held at the estimate. That is only stricter
// when the call used no more than its estimate; one that used more is sent at once (`sendNow`),
// so the ledger never judges other calls against an estimate known to be too low for longer than
// before.
//
// A ledger call that fails gives its settlements back, and they go once more with the delayed
// send; after that they are logged as lost (each reservation is then charged its estimate when it
// expires, key-ledger.ts). Sending one twice is safe for the budget: the second finds no
// reservation and only adds tokens to the windows, the strict direction.

import { recordBudgetEvent } from '../audit/budget-events';
import { failureFields, logEvent } from '../log';
import type { LimitLevel } from './limit-levels';
import { sendBudgetAlert } from './budget-alert';
import { ledgerOf } from './ledger-stub';
import type { BudgetAlert, PendingSettlement } from './ledger-types';

export const SETTLEMENT_DELAY_MS = 25;
const MAX_SENDS = 2;

type Context = Pick<ExecutionContext, 'waitUntil'>;

const held = new Map<string, { level: LimitLevel; entries: PendingSettlement[]; scheduled: boolean }>();
const sends = new WeakMap<PendingSettlement, number>();

export function sendAlerts(env: Env, context: Context, level: LimitLevel, alerts: readonly BudgetAlert[] | undefined): void {
  for (const alert of alerts ?? []) {
    context.waitUntil(sendBudgetAlert(env, level, alert));
    context.waitUntil(recordBudgetEvent(env, level, 'alert', alert));
  }
}

function logLost(level: LimitLevel, count: number, error: unknown): void {
  logEvent('warn', 'ledger_settle_failed', { limitLevel: level.name, count, ...failureFields(error) });
}

/** Takes the level's held settlements, to send with a ledger call about to be made. */
export function takeHeldSettlements(level: Pick<LimitLevel, 'id'>): PendingSettlement[] {
  const entry = held.get(level.id);
  if (!entry) return [];
  held.delete(level.id);
  for (const settlement of entry.entries) sends.set(settlement, (sends.get(settlement) ?? 0) + 1);
  return entry.entries;
}

/** Holds settlements for the level's next ledger call, and makes sure they go within the delay. */
export function holdSettlements(env: Env, context: Context, level: LimitLevel, entries: readonly PendingSettlement[]): void {
  const entry = held.get(level.id) ?? { level, entries: [], scheduled: false };
  entry.level = level;
  entry.entries.push(...entries);
  held.set(level.id, entry);
  if (entry.scheduled) return;
  entry.scheduled = true;
  context.waitUntil(sendHeldLater(env, context, level));
}

/** Sends the level's held settlements, and `extra`, now. */
export function sendSettlementsNow(env: Env, context: Context, level: LimitLevel, extra: readonly PendingSettlement[]): void {
  const entries = [...takeHeldSettlements(level), ...extra];
  for (const settlement of extra) sends.set(settlement, 1);
  context.waitUntil(settleAll(env, context, level, entries));
}

/**
 * Gives back settlements whose ledger call failed or did not apply them: held again once, then
 * logged as lost.
 */
export function returnSettlements(env: Env, context: Context, level: LimitLevel, entries: readonly PendingSettlement[], error?: unknown): void {
  const retry = entries.filter((settlement) => (sends.get(settlement) ?? 0) < MAX_SENDS);
  if (retry.length < entries.length) logLost(level, entries.length - retry.length, error);
  if (retry.length > 0) holdSettlements(env, context, level, retry);
}

async function sendHeldLater(env: Env, context: Context, level: LimitLevel): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLEMENT_DELAY_MS));
  const latest = held.get(level.id)?.level ?? level;
  const entries = takeHeldSettlements(level);
  if (entries.length > 0) await settleAll(env, context, latest, entries); // else a ledger call took them along
}

async function settleAll(env: Env, context: Context, level: LimitLevel, entries: PendingSettlement[]): Promise<void> {
  if (entries.length === 0) return;
  try {
    sendAlerts(env, context, level, await ledgerOf(env, level).settleAll(entries));
  } catch (error) {
    returnSettlements(env, context, level, entries, error);
  }
}
