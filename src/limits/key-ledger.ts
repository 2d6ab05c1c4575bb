// The ledger of one virtual key: a Durable Object, so every request for the key, from every edge
// location, is admitted and counted in one single-threaded, strongly consistent place. No limit
// lives in KV or isolate memory.
//
// - Rate limits: fixed, UTC-aligned windows (minute, hour, day), so "10 rpm" means exactly 10
//   admitted requests per calendar minute.
// - Budget: a request is admitted while spent plus the estimates of requests still in flight is
//   below the limit; it reserves its own estimate until it settles to its actual usage. So the
//   request that crosses the budget is the last one admitted.
// Callers pass `now`, which keeps the ledger testable on any clock.

import { DurableObject } from 'cloudflare:workers';
import { RATE_LIMIT_UNITS, windowOf, type RateLimitRule, type RateLimitUnit } from './rate-limit-rules';
import type { BudgetPeriod } from './usage-limits';

type CounterKind = RateLimitRule['type'];
/** `${kind}:${unit}:${window start}` -> count. */
type Counters = Record<string, number>;

interface BudgetState {
  periodStart: number;
  /** In the budget's unit: tokens, or USD for a cost budget. */
  spent: number;
  /** Admitted requests not settled yet: id -> estimated amount and when they were admitted. */
  reservations: Record<string, { tokens: number; at: number }>;
  /** The period whose alert threshold was crossed, so the alert fires once per period. */
  alertedPeriodStart?: number;
  /** The latest alerts, newest last. */
  alerts?: BudgetAlert[];
}

export interface BudgetAlert {
  at: string;
  threshold: number;
  spent: number;
  period_start: string;
}

const KEPT_ALERTS = 20;

export interface AdmissionRequest {
  rateLimits: RateLimitRule[];
  /** `estimate` is in the budget's unit (tokens or USD). */
  budget?: { limit: number; period: BudgetPeriod; estimate: number };
}

export type Admission =
  | { admitted: true; reservationId: string | null }
  | { admitted: false; reason: 'rate_limit'; rule: RateLimitRule; used: number; retryAfterSeconds: number }
  | { admitted: false; reason: 'budget'; limit: number; spent: number; resetsAt: number | null };

export interface WindowState {
  type: CounterKind;
  unit: RateLimitUnit;
  value: number;
  used: number;
  remaining: number;
  resets_at: string;
}

const UNITS = Object.keys(RATE_LIMIT_UNITS) as RateLimitUnit[];
// A reservation whose request never settled (its Worker died) stops holding budget after this.
const RESERVATION_LIFETIME_MS = 15 * 60 * 1000;

const counterKey = (kind: CounterKind, unit: RateLimitUnit, windowStart: number) => `${kind}:${unit}:${windowStart}`;

export class KeyLedger extends DurableObject<Env> {
  #counters: Counters = {};
  #budget: BudgetState = { periodStart: 0, spent: 0, reservations: {} };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.#counters = (await ctx.storage.get<Counters>('counters')) ?? this.#counters;
      this.#budget = (await ctx.storage.get<BudgetState>('budget')) ?? this.#budget;
    });
  }

  /** Admits a request if every rate limit has room and the budget is not spent, and counts it. */
  async admit(request: AdmissionRequest, now: number): Promise<Admission> {
    this.#dropOldWindows(now);
    for (const rule of request.rateLimits) {
      const window = windowOf(rule.unit, now);
      const used = this.#counters[counterKey(rule.type, rule.unit, window.start)] ?? 0;
      if (used >= rule.value) {
        return { admitted: false, reason: 'rate_limit', rule, used, retryAfterSeconds: Math.max(1, Math.ceil((window.end - now) / 1000)) };
      }
    }
    let reservationId: string | null = null;
    if (request.budget) {
      const { limit, period, estimate } = request.budget;
      this.#enterPeriod(period, now);
      if (this.#budget.spent + this.#reserved() >= limit) {
        return { admitted: false, reason: 'budget', limit, spent: this.#budget.spent, resetsAt: period.end };
      }
      reservationId = crypto.randomUUID();
      this.#budget.reservations[reservationId] = { tokens: estimate, at: now };
    }
    this.#add('requests', 1, now);
    await this.#save();
    return { admitted: true, reservationId };
  }

  /**
   * Settles an admitted request: counts its tokens for rate limits, charges `amount` (in the
   * budget's unit) and frees its reservation. Returns the alert when this charge crossed the
   * alert threshold for the first time in the period.
   */
  async settle(
    settlement: { reservationId: string | null; tokens: number; amount: number; alertThreshold?: number },
    now: number,
  ): Promise<BudgetAlert | null> {
    const tokens = Number.isFinite(settlement.tokens) && settlement.tokens > 0 ? Math.round(settlement.tokens) : 0;
    const amount = Number.isFinite(settlement.amount) && settlement.amount > 0 ? settlement.amount : 0;
    this.#dropOldWindows(now);
    if (tokens > 0) this.#add('tokens', tokens, now);
    let alert: BudgetAlert | null = null;
    const { reservationId, alertThreshold } = settlement;
    if (reservationId !== null && reservationId in this.#budget.reservations) {
      delete this.#budget.reservations[reservationId];
      const before = this.#budget.spent;
      this.#budget.spent += amount;
      const firstCrossing = this.#budget.alertedPeriodStart !== this.#budget.periodStart;
      if (alertThreshold !== undefined && before < alertThreshold && this.#budget.spent >= alertThreshold && firstCrossing) {
        alert = { at: new Date(now).toISOString(), threshold: alertThreshold, spent: this.#budget.spent, period_start: new Date(this.#budget.periodStart).toISOString() };
        this.#budget.alertedPeriodStart = this.#budget.periodStart;
        this.#budget.alerts = [...(this.#budget.alerts ?? []), alert].slice(-KEPT_ALERTS);
      }
    }
    await this.#save();
    return alert;
  }

  /** Each rate limit's current window, and the budget's state, for retrieve. */
  async state(
    rules: RateLimitRule[],
    period: BudgetPeriod | null,
    now: number,
  ): Promise<{ windows: WindowState[]; spent: number; reserved: number; alerts: BudgetAlert[] }> {
    if (period) this.#enterPeriod(period, now);
    const windows = rules.map((rule) => {
      const window = windowOf(rule.unit, now);
      const used = this.#counters[counterKey(rule.type, rule.unit, window.start)] ?? 0;
      return { ...rule, used, remaining: Math.max(0, rule.value - used), resets_at: new Date(window.end).toISOString() };
    });
    return { windows, spent: period ? this.#budget.spent : 0, reserved: period ? this.#reserved() : 0, alerts: this.#budget.alerts ?? [] };
  }

  #enterPeriod(period: BudgetPeriod, now: number): void {
    if (this.#budget.periodStart !== period.start) this.#budget = { ...this.#budget, periodStart: period.start, spent: 0 };
    for (const [id, reservation] of Object.entries(this.#budget.reservations)) {
      if (now - reservation.at > RESERVATION_LIFETIME_MS) delete this.#budget.reservations[id];
    }
  }

  #reserved(): number {
    return Object.values(this.#budget.reservations).reduce((sum, reservation) => sum + reservation.tokens, 0);
  }

  // Every unit is counted, whatever rules exist now, so a rule added mid-window starts from the truth.
  #add(kind: CounterKind, amount: number, now: number): void {
    for (const unit of UNITS) {
      const key = counterKey(kind, unit, windowOf(unit, now).start);
      this.#counters[key] = (this.#counters[key] ?? 0) + amount;
    }
  }

  #dropOldWindows(now: number): void {
    for (const key of Object.keys(this.#counters)) {
      const [, unit, start] = key.split(':') as [CounterKind, RateLimitUnit, string];
      if (Number(start) < windowOf(unit, now).start) delete this.#counters[key];
    }
  }

  async #save(): Promise<void> {
    await this.ctx.storage.put({ counters: this.#counters, budget: this.#budget });
  }
}
