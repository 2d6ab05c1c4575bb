// The ledger of one limit level (limit-levels.ts): a Durable Object, so every request for the
// level, from every edge location, is admitted and counted in one single-threaded, strongly
// consistent place. No count lives in KV or isolate memory. What it counts, and how, is
// ledger-book.ts; this keeps it: loaded once, and a row per entry written for what a call changed
// (ledger-rows.ts), bounded whatever the traffic (docs/storage.md).

import { DurableObject } from 'cloudflare:workers';
import { windowOf, type RateLimitRule } from './rate-limit-rules';
import type { Admission, AdmissionRequest, BudgetAlert, BudgetUnit, LedgerSettings, PendingSettlement, Settlement, WindowState } from './ledger-types';
import { EXPIRED_KEPT_MS, LedgerBook, RESERVATION_LIFETIME_MS } from './ledger-book';
import { LedgerRows, ROW_KINDS } from './ledger-rows';
import { emptyState, loadLedgerState } from './ledger-state';
import type { BudgetPeriod } from './usage-limits';

export class KeyLedger extends DurableObject<Env> {
  #book = new LedgerBook(emptyState(0));
  readonly #rows: LedgerRows;
  /** When the alarm that forgets expired entries is set for, as far as this object knows. */
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#rows = new LedgerRows(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => {
      const { state, legacy } = await loadLedgerState(this.#rows, ctx.storage);
      this.#book = new LedgerBook(state);
      if (legacy) {
        await this.#save();
        await ctx.storage.delete('ledger');
      }
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Forgets what has expired, without waiting for traffic. */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    this.#book.tick(Date.now());
    await this.#save();
  }

  /** Forgets everything: the ledger of a deleted key. */
  async clear(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#rows.create();
    this.#alarmAt = null;
    this.#book = new LedgerBook(emptyState(this.#book.state.latestNow));
  }

  /** How many rows the ledger stores, by kind (for tests of the bound). */
  async storedRows(): Promise<Record<string, number>> {
    return this.#rows.counts();
  }

  /**
   * Forgets what the budget's current period has spent (`reset_usage`), so an exhausted key
   * admits again. Calls in flight keep what they hold, and settle as usual.
   */
  async resetUsage(): Promise<void> {
    const { exhaustedPeriodStart: _exhausted, alertedPeriodStart: _alerted, ...budget } = this.#book.state.budget;
    this.#book.state.budget = { ...budget, spent: 0 };
    await this.#save();
  }

  /** Stores a level's limits; an older revision never replaces a newer one. */
  async configure(settings: LedgerSettings): Promise<void> {
    if (this.#book.state.settings && this.#book.state.settings.revision > settings.revision) return;
    this.#book.state.settings = settings;
    await this.#save();
  }

  /**
   * Admits a request if every rate limit has room and the budget is not spent, and counts it.
   * Settlements the caller has been holding ride along and are applied first (see
   * ledger-client.ts), so they free their reservations before this admission is decided; the
   * alerts they raise come back with the answer.
   */
  async admit(
    callerRequest: AdmissionRequest,
    callerNow: number,
    carried: readonly PendingSettlement[] = [],
  ): Promise<Admission & { alerts?: BudgetAlert[]; applied: number }> {
    const alerts = this.#book.applyAll(carried);
    const admission = this.#book.admit(callerRequest, callerNow);
    await this.#save();
    return { ...admission, ...(alerts.length > 0 ? { alerts } : {}), applied: carried.length };
  }

  /**
   * Settles a request: its actual tokens replace its estimate in the token counts, its actual
   * amount is charged to the budget. Returns the alert when this charge crossed the alert
   * threshold for the first time in the period.
   */
  async settle(callerSettlement: Settlement, callerNow: number): Promise<BudgetAlert | null> {
    const alert = this.#book.settle(callerSettlement, callerNow);
    await this.#save();
    return alert;
  }

  /** Several settlements in one call and one write; returns the alerts they raised. */
  async settleAll(settlements: readonly PendingSettlement[]): Promise<BudgetAlert[]> {
    const alerts = this.#book.applyAll(settlements);
    await this.#save();
    return alerts;
  }

  /** Each rate limit's current window, and the budget's state, for retrieve. */
  async state(
    rules: RateLimitRule[],
    budget: { unit: BudgetUnit; period: BudgetPeriod } | null,
    callerNow: number,
    carried: readonly PendingSettlement[] = [],
  ): Promise<{ windows: WindowState[]; spent: number; reserved: number; alerts: BudgetAlert[]; raised: BudgetAlert[]; applied: number }> {
    const raised = this.#book.applyAll(carried);
    const now = this.#book.tick(callerNow);
    if (budget) this.#book.enterPeriod(budget);
    // What the carried settlements and the clock changed (expired reservations, say) is kept.
    if (carried.length > 0 || ROW_KINDS.some((kind) => this.#book.state[kind].changed.size > 0)) await this.#save();
    const windows = rules.map((rule) => {
      const used = this.#book.used(rule, now);
      return { ...rule, used, remaining: Math.max(0, rule.value - used), resets_at: new Date(windowOf(rule.unit, now).end).toISOString() };
    });
    return { windows, spent: budget ? this.#book.state.budget.spent : 0, reserved: budget ? this.#book.reserved() : 0, alerts: this.#book.state.budget.alerts ?? [], raised, applied: carried.length };
  }

  async #save(): Promise<void> {
    const { counters, reservations, expired, applied: _inMemory, ...meta } = this.#book.state;
    this.#rows.save({ reservations, expired }, { ...meta, counters: Object.fromEntries(counters) });
    // An alarm forgets what expires even if no call comes: set for the first entry to end (just
    // after, since an entry ends once its time is past), and moved earlier when one ends sooner.
    const due =
      Math.min((reservations.first()?.at ?? Infinity) + RESERVATION_LIFETIME_MS, (expired.first()?.at ?? Infinity) + EXPIRED_KEPT_MS) + 1;
    if (due === Infinity || (this.#alarmAt !== null && this.#alarmAt <= due)) return;
    this.#alarmAt = due;
    await this.ctx.storage.setAlarm(due);
  }
}
