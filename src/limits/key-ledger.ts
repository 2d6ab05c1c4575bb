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
import { budgetPeriod, type BudgetPeriod } from './usage-limits';

/** `${kind}:${unit}:${window start}` -> count. */
type Counters = Record<string, number>;

interface Reservation {
  /** The estimate held against the budget, in its unit. */
  amount: number;
  /** The estimated tokens counted against token limits, in the windows below. */
  tokens: number;
  windows: Record<RateLimitUnit, number>;
  at: number;
}

interface BudgetState {
  unit: BudgetUnit | null;
  periodStart: number;
  /** In the budget's unit: tokens, or USD for a cost budget. */
  spent: number;
  /** The period whose alert threshold was crossed, so the alert fires once per period. */
  alertedPeriodStart?: number;
  alerts?: BudgetAlert[];
  /** The period whose budget was found spent, so its audit record is written once per period. */
  exhaustedPeriodStart?: number;
}

interface LedgerState {
  settings?: LedgerSettings;
  counters: Counters;
  budget: BudgetState;
  reservations: Record<string, Reservation>;
  /** Reservations that outlived RESERVATION_LIFETIME_MS and were charged their estimate. */
  expired: Record<string, { charged: number; at: number }>;
  latestNow: number;
}

const UNITS = Object.keys(RATE_LIMIT_UNITS) as RateLimitUnit[];
// A request that has not settled after this (its Worker died, say) is charged its estimate, so a
// lost settlement never lets a budget through free; a late settlement still corrects the charge.
const RESERVATION_LIFETIME_MS = 60 * 60 * 1000;
const EXPIRED_KEPT_MS = 24 * 60 * 60 * 1000;
const KEPT_ALERTS = 20;

const counterKey = (kind: CounterKind, unit: RateLimitUnit, windowStart: number) => `${kind}:${unit}:${windowStart}`;
const positive = (value: number) => (Number.isFinite(value) && value > 0 ? value : 0);

export class KeyLedger extends DurableObject<Env> {
  #state: LedgerState = { counters: {}, budget: { unit: null, periodStart: 0, spent: 0 }, reservations: {}, expired: {}, latestNow: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.#state = { ...this.#state, ...((await ctx.storage.get<LedgerState>('ledger')) ?? {}) };
    });
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
    const request = this.#current(callerRequest, now);
    for (const rule of request.rateLimits) {
      const window = windowOf(rule.unit, now);
      const used = this.#state.counters[counterKey(rule.type, rule.unit, window.start)] ?? 0;
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
      this.#state.reservations[reservationId] = { amount: positive(request.budget?.estimate ?? 0), tokens, windows, at: now };
    }
    return { admitted: true, reservationId };
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
    const settlement = this.#currentSettlement(callerSettlement, now);
    const tokens = Math.round(positive(settlement.tokens));
    const amount = positive(settlement.amount);
    if (settlement.budget) this.#enterPeriod(settlement.budget);
    const reservation = settlement.reservationId === null ? undefined : this.#state.reservations[settlement.reservationId];
    const expired = settlement.reservationId === null ? undefined : this.#state.expired[settlement.reservationId];

    let charge = 0;
    if (reservation) {
      delete this.#state.reservations[settlement.reservationId!];
      for (const unit of UNITS) {
        const current = windowOf(unit, now).start;
        // In the window the estimate was counted in, the actual replaces it; in a later one it is new.
        const delta = reservation.windows[unit] === current ? tokens - reservation.tokens : tokens;
        const key = counterKey('tokens', unit, current);
        this.#state.counters[key] = Math.max(0, (this.#state.counters[key] ?? 0) + delta);
      }
      charge = settlement.budget ? amount : 0;
    } else {
      this.#add('tokens', tokens, now);
      if (expired) {
        delete this.#state.expired[settlement.reservationId!];
        charge = settlement.budget ? amount - expired.charged : 0;
      }
    }
    return charge !== 0 ? this.#charge(charge, now, settlement.budget?.alertThreshold) : null;
  }

  /** Each rate limit's current window, and the budget's state, for retrieve. */
  async state(
    rules: RateLimitRule[],
    budget: { unit: BudgetUnit; period: BudgetPeriod } | null,
    callerNow: number,
    carried: readonly PendingSettlement[] = [],
  ): Promise<{ windows: WindowState[]; spent: number; reserved: number; alerts: BudgetAlert[]; raised: BudgetAlert[]; applied: number }> {
    const raised = this.#applyAll(carried);
    if (carried.length > 0) await this.#save();
    const now = this.#tick(callerNow);
    if (budget) this.#enterPeriod(budget);
    const windows = rules.map((rule) => {
      const window = windowOf(rule.unit, now);
      const used = this.#state.counters[counterKey(rule.type, rule.unit, window.start)] ?? 0;
      return { ...rule, used, remaining: Math.max(0, rule.value - used), resets_at: new Date(window.end).toISOString() };
    });
    return { windows, spent: budget ? this.#state.budget.spent : 0, reserved: budget ? this.#reserved() : 0, alerts: this.#state.budget.alerts ?? [], raised, applied: carried.length };
  }

  /** The newer of the caller's limits and those pushed here, as an admission request. */
  #current(request: AdmissionRequest, now: number): AdmissionRequest {
    const settings = this.#newerSettings(request.revision);
    if (!settings) return request;
    const limits = settings.usageLimits;
    // A caller's estimate is in its (older) budget's unit; tokens convert, dollars cannot be guessed.
    const estimate =
      limits && request.budget && limits.type === request.budget.unit ? request.budget.estimate : limits?.type === 'tokens' ? (request.estimatedTokens ?? 0) : 0;
    return {
      rateLimits: settings.rateLimits,
      ...(request.estimatedTokens !== undefined ? { estimatedTokens: request.estimatedTokens } : {}),
      ...(limits ? { budget: { limit: limits.credit_limit, unit: limits.type, period: budgetPeriod(limits, now), estimate } } : {}),
    };
  }

  #currentSettlement(settlement: Settlement, now: number): Settlement {
    const settings = this.#newerSettings(settlement.revision);
    if (!settings) return settlement;
    const limits = settings.usageLimits;
    if (!limits) return { reservationId: settlement.reservationId, tokens: settlement.tokens, amount: 0 };
    const amount = settlement.budget && limits.type === settlement.budget.unit ? settlement.amount : limits.type === 'tokens' ? settlement.tokens : 0;
    const budget = { unit: limits.type, period: budgetPeriod(limits, now), ...(limits.alert_threshold !== undefined ? { alertThreshold: limits.alert_threshold } : {}) };
    return { reservationId: settlement.reservationId, tokens: settlement.tokens, amount, budget };
  }

  #newerSettings(revision: number | undefined): LedgerSettings | null {
    const settings = this.#state.settings;
    return settings && revision !== undefined && settings.revision > revision ? settings : null;
  }

  /** The ledger's time: never earlier than any time it has seen. Old windows and reservations go. */
  #tick(callerNow: number): number {
    const now = Math.max(callerNow, this.#state.latestNow);
    this.#state.latestNow = now;
    for (const key of Object.keys(this.#state.counters)) {
      const [, unit, start] = key.split(':') as [CounterKind, RateLimitUnit, string];
      if (Number(start) < windowOf(unit, now).start) delete this.#state.counters[key];
    }
    for (const [id, reservation] of Object.entries(this.#state.reservations)) {
      if (now - reservation.at <= RESERVATION_LIFETIME_MS) continue;
      delete this.#state.reservations[id];
      this.#state.budget.spent += reservation.amount;
      this.#state.expired[id] = { charged: reservation.amount, at: now };
    }
    for (const [id, expired] of Object.entries(this.#state.expired)) if (now - expired.at > EXPIRED_KEPT_MS) delete this.#state.expired[id];
    return now;
  }

  /** Moves the budget into `period` (never back), starting afresh when its unit changed. */
  #enterPeriod(budget: { unit: BudgetUnit; period: BudgetPeriod }): void {
    const current = this.#state.budget;
    if (current.unit !== budget.unit) {
      this.#state.budget = { unit: budget.unit, periodStart: budget.period.start, spent: 0, alerts: current.alerts ?? [] };
    } else if (budget.period.start > current.periodStart) {
      this.#state.budget = { ...current, periodStart: budget.period.start, spent: 0 };
    }
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
    return Object.values(this.#state.reservations).reduce((sum, reservation) => sum + reservation.amount, 0);
  }

  // Every unit is counted, whatever rules exist now, so a rule added mid-window starts from the truth.
  #add(kind: CounterKind, amount: number, now: number): void {
    if (amount === 0) return;
    for (const unit of UNITS) {
      const key = counterKey(kind, unit, windowOf(unit, now).start);
      this.#state.counters[key] = (this.#state.counters[key] ?? 0) + amount;
    }
  }

  async #save(): Promise<void> {
    await this.ctx.storage.put('ledger', this.#state);
  }
}
