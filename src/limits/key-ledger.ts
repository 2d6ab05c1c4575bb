// The ledger of one virtual key: a Durable Object, so every request for the key, from every edge
// location, is admitted and counted in one single-threaded, strongly consistent place. No count
// lives in KV or isolate memory.
//
// - Rate limits: fixed, UTC-aligned windows (minute, hour, day), so "10 rpm" means exactly 10
//   admitted requests per calendar minute. Token limits count in-flight estimates until the
//   actual tokens replace them, so a burst cannot slip past them either.
// - Budget: a request is admitted while spent plus the estimates of requests still in flight is
//   below the limit; it reserves its own estimate until it settles to its actual usage. So the
//   request that crosses the budget is the last one admitted.
// Callers pass `now` (which keeps the ledger testable on any clock), but the ledger's time never
// goes backwards: a caller whose clock lags cannot reopen a window or a period.
// Storage is a row per entry (ledger-rows.ts), bounded whatever the traffic (docs/storage.md).

import { DurableObject } from 'cloudflare:workers';
import { RATE_LIMIT_UNITS, windowOf, type RateLimitRule, type RateLimitUnit } from './rate-limit-rules';
import type {
  Admission,
  AdmissionRequest,
  BudgetAlert,
  BudgetUnit,
  CounterKind,
  LedgerSettings,
  PendingSettlement,
  Settlement,
  WindowState,
} from './ledger-types';
import { LedgerRows, ROW_KINDS } from './ledger-rows';
import { currentRequest, currentSettlement } from './ledger-settings';
import { emptyState, loadLedgerState, type LedgerState, type Reservation } from './ledger-state';
import type { BudgetPeriod } from './usage-limits';

const UNITS = Object.keys(RATE_LIMIT_UNITS) as RateLimitUnit[];
// A request that has not settled after this (its Worker died, say) is charged its estimate, so a
// lost settlement never lets a budget through free; a late settlement still corrects the charge.
const RESERVATION_LIFETIME_MS = 60 * 60 * 1000;
const EXPIRED_KEPT_MS = 24 * 60 * 60 * 1000;
// A Worker resends a settlement whose reply it lost with its next ledger call, within seconds.
const APPLIED_KEPT_MS = 60 * 1000;
const KEPT_ALERTS = 20;

const counterKey = (kind: CounterKind, unit: RateLimitUnit, windowStart: number) => `${kind}:${unit}:${windowStart}`;
const positive = (value: number) => (Number.isFinite(value) && value > 0 ? value : 0);

export class KeyLedger extends DurableObject<Env> {
  #state: LedgerState = emptyState(0);
  /** What the reservations hold of the budget as it is now, kept as they come and go. */
  #held = 0;
  readonly #rows: LedgerRows;
  /** When the alarm that forgets expired entries is set for, as far as this object knows. */
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#rows = new LedgerRows(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => {
      const { state, legacy } = await loadLedgerState(this.#rows, ctx.storage);
      this.#state = state;
      this.#recountHeld();
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
    this.#tick(Date.now());
    await this.#save();
  }

  /** Forgets everything: the ledger of a deleted key. */
  async clear(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#rows.create();
    this.#alarmAt = null;
    this.#state = emptyState(this.#state.latestNow);
    this.#held = 0;
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
    const { exhaustedPeriodStart: _exhausted, alertedPeriodStart: _alerted, ...budget } = this.#state.budget;
    this.#state.budget = { ...budget, spent: 0 };
    await this.#save();
  }

  /** Stores a key's limits; an older revision never replaces a newer one. */
  async configure(settings: LedgerSettings): Promise<void> {
    if (this.#state.settings && this.#state.settings.revision > settings.revision) return;
    this.#state.settings = settings;
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
    const alerts = this.#applyAll(carried);
    const admission = this.#admit(callerRequest, callerNow);
    await this.#save();
    return { ...admission, ...(alerts.length > 0 ? { alerts } : {}), applied: carried.length };
  }

  #admit(callerRequest: AdmissionRequest, callerNow: number): Admission {
    const now = this.#tick(callerNow);
    const request = currentRequest(this.#state.settings, callerRequest, now);
    for (const rule of request.rateLimits) {
      const window = windowOf(rule.unit, now);
      const used = this.#state.counters.get(counterKey(rule.type, rule.unit, window.start)) ?? 0;
      if (used >= rule.value) {
        return { admitted: false, reason: 'rate_limit', rule, used, retryAfterSeconds: Math.max(1, Math.ceil((window.end - now) / 1000)) };
      }
    }
    if (request.budget) {
      const { limit, period } = request.budget;
      this.#enterPeriod(request.budget);
      const budget = this.#state.budget;
      if (budget.spent + this.#reserved() >= limit) {
        // Spent, not just held by calls in flight: the first refusal of the period says so once.
        const firstExhausted = budget.spent >= limit && budget.exhaustedPeriodStart !== budget.periodStart;
        if (firstExhausted) budget.exhaustedPeriodStart = budget.periodStart;
        return { admitted: false, reason: 'budget', limit, spent: budget.spent, resetsAt: period.end, ...(firstExhausted ? { firstExhausted } : {}) };
      }
    }
    this.#add('requests', 1, now);
    let reservationId: string | null = null;
    const tokens = request.rateLimits.some((rule) => rule.type === 'tokens') ? Math.round(positive(request.estimatedTokens ?? 0)) : 0;
    if (request.budget || tokens > 0) {
      reservationId = crypto.randomUUID();
      this.#add('tokens', tokens, now);
      const windows = Object.fromEntries(UNITS.map((unit) => [unit, windowOf(unit, now).start])) as Record<RateLimitUnit, number>;
      const held = request.budget ? { unit: this.#state.budget.unit, period: this.#state.budget.periodStart } : {};
      this.#hold(reservationId, { amount: positive(request.budget?.estimate ?? 0), tokens, windows, at: now, ...held });
    }
    return { admitted: true, reservationId, at: now };
  }

  /**
   * Settles a request: its actual tokens replace its estimate in the token counts, its actual
   * amount is charged to the budget. Returns the alert when this charge crossed the alert
   * threshold for the first time in the period.
   */
  async settle(callerSettlement: Settlement, callerNow: number): Promise<BudgetAlert | null> {
    const alert = this.#settle(callerSettlement, callerNow);
    await this.#save();
    return alert;
  }

  /** Several settlements in one call and one write; returns the alerts they raised. */
  async settleAll(settlements: readonly PendingSettlement[]): Promise<BudgetAlert[]> {
    const alerts = this.#applyAll(settlements);
    await this.#save();
    return alerts;
  }

  #applyAll(settlements: readonly PendingSettlement[]): BudgetAlert[] {
    const alerts: BudgetAlert[] = [];
    for (const { settlement, now } of settlements) {
      const alert = this.#settle(settlement, now);
      if (alert) alerts.push(alert);
    }
    return alerts;
  }

  #settle(callerSettlement: Settlement, callerNow: number): BudgetAlert | null {
    const now = this.#tick(callerNow);
    // A settlement resent because its reply was lost is applied once.
    if (callerSettlement.id !== undefined) {
      if (this.#state.applied.has(callerSettlement.id)) return null;
      this.#state.applied.set(callerSettlement.id, now);
    }
    if (callerSettlement.release !== undefined) {
      this.#takeBack(callerSettlement.reservationId, callerSettlement.release);
      return null;
    }
    const settlement = currentSettlement(this.#state.settings, callerSettlement, now);
    const tokens = Math.round(positive(settlement.tokens));
    const amount = positive(settlement.amount);
    if (settlement.budget) this.#enterPeriod(settlement.budget);
    const reservation = settlement.reservationId === null ? undefined : this.#state.reservations.get(settlement.reservationId);
    const expired = settlement.reservationId === null ? undefined : this.#state.expired.get(settlement.reservationId);

    let charge = 0;
    if (reservation) {
      this.#release(settlement.reservationId!, reservation);
      for (const unit of UNITS) {
        const current = windowOf(unit, now).start;
        // In the window the estimate was counted in, the actual replaces it; in a later one it is new.
        const delta = reservation.windows[unit] === current ? tokens - reservation.tokens : tokens;
        const key = counterKey('tokens', unit, current);
        this.#state.counters.set(key, Math.max(0, (this.#state.counters.get(key) ?? 0) + delta));
      }
      // Charged only to the budget it was reserved in: not across a reset, nor in another unit.
      charge = settlement.budget && this.#heldInCurrentBudget(reservation) ? amount : 0;
    } else {
      this.#add('tokens', tokens, now);
      if (expired) {
        this.#state.expired.delete(settlement.reservationId!);
        // Corrected in the budget it was charged to; a later period or another unit owes nothing.
        charge = settlement.budget && this.#heldInCurrentBudget(expired) ? amount - expired.charged : 0;
      }
    }
    return charge !== 0 ? this.#charge(charge, now, settlement.budget?.alertThreshold) : null;
  }

  /**
   * Takes back an admission made at `at` (another level refused the call): its request, and what
   * its reservation holds, in whichever of its windows are still counted. Nothing is charged.
   */
  #takeBack(reservationId: string | null, at: number): void {
    const reservation = reservationId === null ? undefined : this.#state.reservations.get(reservationId);
    if (reservation) this.#release(reservationId!, reservation);
    for (const unit of UNITS) {
      const start = windowOf(unit, at).start;
      for (const [kind, amount] of [['requests', 1], ['tokens', reservation?.tokens ?? 0]] as const) {
        const key = counterKey(kind, unit, start);
        const count = this.#state.counters.get(key);
        if (count !== undefined) this.#state.counters.set(key, Math.max(0, count - amount));
      }
    }
  }

  /** Each rate limit's current window, and the budget's state, for retrieve. */
  async state(
    rules: RateLimitRule[],
    budget: { unit: BudgetUnit; period: BudgetPeriod } | null,
    callerNow: number,
    carried: readonly PendingSettlement[] = [],
  ): Promise<{ windows: WindowState[]; spent: number; reserved: number; alerts: BudgetAlert[]; raised: BudgetAlert[]; applied: number }> {
    const raised = this.#applyAll(carried);
    const now = this.#tick(callerNow);
    if (budget) this.#enterPeriod(budget);
    // What the carried settlements and the clock changed (expired reservations, say) is kept.
    if (carried.length > 0 || ROW_KINDS.some((kind) => this.#state[kind].changed.size > 0)) await this.#save();
    const windows = rules.map((rule) => {
      const window = windowOf(rule.unit, now);
      const used = this.#state.counters.get(counterKey(rule.type, rule.unit, window.start)) ?? 0;
      return { ...rule, used, remaining: Math.max(0, rule.value - used), resets_at: new Date(window.end).toISOString() };
    });
    return { windows, spent: budget ? this.#state.budget.spent : 0, reserved: budget ? this.#reserved() : 0, alerts: this.#state.budget.alerts ?? [], raised, applied: carried.length };
  }

  /** The ledger's time: never earlier than any time it has seen. Old windows and reservations go. */
  #tick(callerNow: number): number {
    const now = Math.max(callerNow, this.#state.latestNow);
    this.#state.latestNow = now;
    for (const key of [...this.#state.counters.keys()]) {
      const [, unit, start] = key.split(':') as [CounterKind, RateLimitUnit, string];
      if (Number(start) < windowOf(unit, now).start) this.#state.counters.delete(key);
    }
    // Entries are in time order (the ledger's time never goes back): the oldest come first, and a
    // walk stops at the first that stays.
    for (const [id, reservation] of this.#state.reservations) {
      if (now - reservation.at <= RESERVATION_LIFETIME_MS) break;
      const charged = this.#heldInCurrentBudget(reservation) ? reservation.amount : 0;
      this.#release(id, reservation);
      this.#state.budget.spent += charged;
      this.#state.expired.set(id, { charged, at: now, unit: reservation.unit, period: reservation.period });
    }
    for (const [id, expired] of this.#state.expired) {
      if (now - expired.at <= EXPIRED_KEPT_MS) break;
      this.#state.expired.delete(id);
    }
    for (const [id, at] of this.#state.applied) {
      if (now - at <= APPLIED_KEPT_MS) break;
      this.#state.applied.delete(id);
    }
    return now;
  }

  /** Whether a reservation belongs to the budget as it is now (its unit and period); older ones have none. */
  #heldInCurrentBudget(reservation: Pick<Reservation, 'unit' | 'period'>): boolean {
    const budget = this.#state.budget;
    return (reservation.unit === undefined || reservation.unit === budget.unit) && (reservation.period === undefined || reservation.period === budget.periodStart);
  }

  /** Moves the budget into `period` (never back), starting afresh when its unit changed. */
  #enterPeriod(budget: { unit: BudgetUnit; period: BudgetPeriod }): void {
    const current = this.#state.budget;
    if (current.unit !== budget.unit) {
      this.#state.budget = { unit: budget.unit, periodStart: budget.period.start, spent: 0, alerts: current.alerts ?? [] };
    } else if (budget.period.start > current.periodStart) {
      this.#state.budget = { ...current, periodStart: budget.period.start, spent: 0 };
    } else return;
    this.#recountHeld();
  }

  #charge(amount: number, now: number, alertThreshold: number | undefined): BudgetAlert | null {
    const budget = this.#state.budget;
    const before = budget.spent;
    budget.spent = Math.max(0, budget.spent + amount);
    const crossed = alertThreshold !== undefined && before < alertThreshold && budget.spent >= alertThreshold;
    if (!crossed || budget.alertedPeriodStart === budget.periodStart) return null;
    const alert = { at: new Date(now).toISOString(), threshold: alertThreshold, spent: budget.spent, period_start: new Date(budget.periodStart).toISOString() };
    budget.alertedPeriodStart = budget.periodStart;
    budget.alerts = [...(budget.alerts ?? []), alert].slice(-KEPT_ALERTS);
    return alert;
  }

  #reserved(): number {
    return this.#held;
  }

  #hold(id: string, reservation: Reservation): void {
    this.#state.reservations.set(id, reservation);
    if (this.#heldInCurrentBudget(reservation)) this.#held += reservation.amount;
  }

  #release(id: string, reservation: Reservation): void {
    this.#state.reservations.delete(id);
    if (this.#heldInCurrentBudget(reservation)) this.#held = Math.max(0, this.#held - reservation.amount);
    // Sums of fractions of a dollar drift: none held is exactly nothing.
    if (this.#state.reservations.size === 0) this.#held = 0;
  }

  /** Sums what the reservations hold of the budget as it is now: after a load, or a new period or unit. */
  #recountHeld(): void {
    this.#held = 0;
    for (const reservation of this.#state.reservations.values()) if (this.#heldInCurrentBudget(reservation)) this.#held += reservation.amount;
  }

  // Every unit is counted, whatever rules exist now, so a rule added mid-window starts from the truth.
  #add(kind: CounterKind, amount: number, now: number): void {
    if (amount === 0) return;
    for (const unit of UNITS) {
      const key = counterKey(kind, unit, windowOf(unit, now).start);
      this.#state.counters.set(key, (this.#state.counters.get(key) ?? 0) + amount);
    }
  }

  async #save(): Promise<void> {
    const { counters, reservations, expired, applied: _inMemory, ...meta } = this.#state;
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
