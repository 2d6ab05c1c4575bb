// The accounting of one ledger (key-ledger.ts is the Durable Object that keeps it): what is
// admitted and counted, with no storage of its own.
//
// - Rate limits: fixed, UTC-aligned windows (minute, hour, day), so "10 rpm" means exactly 10
//   admitted requests per calendar minute. Token limits count in-flight estimates until the
//   actual tokens replace them, so a burst cannot slip past them either.
// - Budget: a request is admitted while spent plus the estimates of requests still in flight is
//   below the limit; it reserves its own estimate until it settles to its actual usage. So the
//   request that crosses the budget is the last one admitted.
// - Leases (admission-leases.ts): a block of admissions counted in full when granted, held as one
//   reservation that its calls settle against.
// Callers pass `now` (which keeps the ledger testable on any clock), but the ledger's time never
// goes backwards: a caller whose clock lags cannot reopen a window or a period.

import { RATE_LIMIT_UNITS, windowOf, type RateLimitRule, type RateLimitUnit } from './rate-limit-rules';
import type { Admission, AdmissionRequest, BudgetAlert, BudgetUnit, CounterKind, LeaseGrant, PendingSettlement, Settlement } from './ledger-types';
import { leaseEnd, leaseSize, RecentRate } from './lease-size';
import { currentRequest, currentSettlement } from './ledger-settings';
import type { LedgerState, Reservation } from './ledger-state';
import type { BudgetPeriod } from './usage-limits';

const UNITS = Object.keys(RATE_LIMIT_UNITS) as RateLimitUnit[];
// A request that has not settled after this (its Worker died, say) is charged its estimate, so a
// lost settlement never lets a budget through free; a late settlement still corrects the charge.
export const RESERVATION_LIFETIME_MS = 60 * 60 * 1000;
export const EXPIRED_KEPT_MS = 24 * 60 * 60 * 1000;
// A Worker resends a settlement whose reply it lost with its next ledger call, within seconds.
const APPLIED_KEPT_MS = 60 * 1000;
const KEPT_ALERTS = 20;

const counterKey = (kind: CounterKind, unit: RateLimitUnit, windowStart: number) => `${kind}:${unit}:${windowStart}`;
const positive = (value: number) => (Number.isFinite(value) && value > 0 ? value : 0);

export class LedgerBook {
  /** What the reservations hold of the budget as it is now, kept as they come and go. */
  #held = 0;
  /** Calls admitted lately, which bound the size of a lease; in memory only. */
  readonly #rate = new RecentRate();

  constructor(readonly state: LedgerState) {
    this.#recountHeld();
  }

  /** Admits a request if every rate limit has room and the budget is not spent, and counts it. */
  admit(callerRequest: AdmissionRequest, callerNow: number): Admission {
    const now = this.tick(callerNow);
    const request = currentRequest(this.state.settings, callerRequest, now);
    for (const rule of request.rateLimits) {
      const used = this.used(rule, now);
      if (used >= rule.value) {
        const retryAfterSeconds = Math.max(1, Math.ceil((windowOf(rule.unit, now).end - now) / 1000));
        return { admitted: false, reason: 'rate_limit', rule, used, retryAfterSeconds };
      }
    }
    if (request.budget) {
      const { limit, period } = request.budget;
      this.enterPeriod(request.budget);
      const budget = this.state.budget;
      if (budget.spent + this.reserved() >= limit) {
        // Spent, not just held by calls in flight: the first refusal of the period says so once.
        const firstExhausted = budget.spent >= limit && budget.exhaustedPeriodStart !== budget.periodStart;
        if (firstExhausted) budget.exhaustedPeriodStart = budget.periodStart;
        return { admitted: false, reason: 'budget', limit, spent: budget.spent, resetsAt: period.end, ...(firstExhausted ? { firstExhausted } : {}) };
      }
    }
    this.#add('requests', 1, now);
    this.#rate.note(now, 1);
    const tokens = request.rateLimits.some((rule) => rule.type === 'tokens') ? Math.round(positive(request.estimatedTokens ?? 0)) : 0;
    const amount = positive(request.budget?.estimate ?? 0);
    const reservationId = request.budget || tokens > 0 ? this.#reserve(tokens, amount, request, now) : null;
    // A lease only for a caller whose limits are the ledger's own (not corrected above).
    const lease = callerRequest.lease && request === callerRequest ? this.#grantLease(request, tokens, amount, now) : undefined;
    return { admitted: true, reservationId, at: now, ...(lease ? { lease } : {}) };
  }

  /** Holds `tokens` against token limits and `amount` of the budget, in a new reservation. */
  #reserve(tokens: number, amount: number, request: AdmissionRequest, now: number, lease?: Reservation['lease']): string {
    const id = crypto.randomUUID();
    this.#add('tokens', tokens, now);
    const windows = Object.fromEntries(UNITS.map((unit) => [unit, windowOf(unit, now).start])) as Record<RateLimitUnit, number>;
    const held = request.budget ? { unit: this.state.budget.unit, period: this.state.budget.periodStart } : {};
    this.#hold(id, { amount, tokens, windows, at: now, ...held, ...(lease ? { lease } : {}) });
    return id;
  }

  /**
   * A lease of as many more calls like this one as every limit can spare (leaseSize), counted in
   * full now, or nothing near a limit. It ends with the minute window and within a second.
   */
  #grantLease(request: AdmissionRequest, tokens: number, amount: number, now: number): LeaseGrant | undefined {
    const budget = request.budget;
    const requests = leaseSize({
      recentRate: this.#rate.perSecond(now),
      rules: request.rateLimits.map((rule) => ({ remaining: rule.value - this.used(rule, now), perCall: rule.type === 'requests' ? 1 : tokens })),
      ...(budget ? { budget: { remaining: budget.limit - this.state.budget.spent - this.reserved(), perCall: amount } } : {}),
    });
    const expiresAt = leaseEnd(now, budget?.period.end ?? null);
    if (requests === 0 || expiresAt === null) return undefined;
    this.#add('requests', requests, now);
    const id = this.#reserve(tokens * requests, amount * requests, request, now, { settled: 0 });
    const tokenLimited = request.rateLimits.some((rule) => rule.type === 'tokens');
    return { id, requests, ...(tokenLimited ? { tokens: tokens * requests } : {}), ...(budget ? { amount: amount * requests } : {}), expiresAt };
  }

  used(rule: RateLimitRule, now: number): number {
    return this.state.counters.get(counterKey(rule.type, rule.unit, windowOf(rule.unit, now).start)) ?? 0;
  }

  applyAll(settlements: readonly PendingSettlement[]): BudgetAlert[] {
    const alerts: BudgetAlert[] = [];
    for (const { settlement, now } of settlements) {
      const alert = this.settle(settlement, now);
      if (alert) alerts.push(alert);
    }
    return alerts;
  }

  /**
   * Settles a request: its actual tokens replace its estimate in the token counts, its actual
   * amount is charged to the budget. Returns the alert when this charge crossed the alert
   * threshold for the first time in the period.
   */
  settle(callerSettlement: Settlement, callerNow: number): BudgetAlert | null {
    const now = this.tick(callerNow);
    // A settlement resent because its reply was lost is applied once.
    if (callerSettlement.id !== undefined) {
      if (this.state.applied.has(callerSettlement.id)) return null;
      this.state.applied.set(callerSettlement.id, now);
    }
    if (callerSettlement.release !== undefined) {
      this.#takeBack(callerSettlement, callerSettlement.release);
      return null;
    }
    const settlement = currentSettlement(this.state.settings, callerSettlement, now);
    const tokens = Math.round(positive(settlement.tokens));
    const amount = positive(settlement.amount);
    if (settlement.budget) this.enterPeriod(settlement.budget);
    // A call admitted from a lease settles against the share it took of the lease's reservation;
    // a lease given back carries the usage of the calls it settled, summed, the same way.
    const { lease, leaseReturn: back } = callerSettlement;
    const id = lease?.id ?? settlement.reservationId;
    const reservation = id === null ? undefined : this.state.reservations.get(id);
    const expired = id === null ? undefined : this.state.expired.get(id);
    // A lease given back once already (a resend that outlived the applied ids): nothing more to do.
    if (back && reservation?.lease?.admitted !== undefined) return null;

    let charge = 0;
    if (reservation) {
      const share = lease ?? reservation;
      this.#shrink(id!, reservation, { tokens: share.tokens, amount: share.amount, settled: lease ? (back?.settled ?? 1) : 0 }, !lease);
      for (const unit of UNITS) {
        const current = windowOf(unit, now).start;
        // In the window the estimate was counted in, the actual replaces it; in a later one it is new.
        const delta = reservation.windows[unit] === current ? tokens - share.tokens : tokens;
        const key = counterKey('tokens', unit, current);
        this.state.counters.set(key, Math.max(0, (this.state.counters.get(key) ?? 0) + delta));
      }
      // Charged only to the budget it was reserved in: not across a reset, nor in another unit.
      charge = settlement.budget && this.#heldInCurrentBudget(reservation) ? amount : 0;
    } else {
      this.#add('tokens', tokens, now);
      if (expired) {
        if (!lease) this.state.expired.delete(id!);
        // Corrected in the budget it was charged to; a later period or another unit owes nothing.
        charge = settlement.budget && this.#heldInCurrentBudget(expired) ? amount - (lease ? lease.amount : expired.charged) : 0;
      } else if (lease && settlement.budget) {
        // Its lease is gone without being charged (only a resend can end one early): the call is
        // charged in full, the strict direction, never let through free.
        charge = amount;
      }
    }
    const alert = charge !== 0 ? this.#charge(charge, now, settlement.budget?.alertThreshold) : null;
    if (back && lease) this.#endLease(lease.id, back);
    return alert;
  }

  /**
   * Takes `share` out of a reservation: all of it (`whole`), or a settled call's part of a lease,
   * which ends once it has been given back and all of its calls have settled.
   */
  #shrink(id: string, reservation: Reservation, share: { tokens: number; amount: number; settled: number }, whole: boolean): void {
    const lease = reservation.lease && { ...reservation.lease, settled: reservation.lease.settled + share.settled };
    if (whole || !lease || (lease.admitted !== undefined && lease.settled >= lease.admitted)) return this.#release(id, reservation);
    const rest = { ...reservation, tokens: Math.max(0, reservation.tokens - share.tokens), amount: Math.max(0, reservation.amount - share.amount), lease };
    if (this.#heldInCurrentBudget(reservation)) this.#held = Math.max(0, this.#held - (reservation.amount - rest.amount));
    this.state.reservations.set(id, rest); // in place: the map stays in time order
  }

  /** A lease given back: what it did not use leaves its windows and its hold; it ends once its calls have settled. */
  #endLease(id: string, back: NonNullable<Settlement['leaseReturn']>): void {
    const lease = this.state.reservations.get(id);
    if (!lease?.lease) return;
    this.#uncount(lease.at, back.requests, back.tokens);
    this.#rate.note(this.state.latestNow, back.admitted);
    this.#shrink(id, { ...lease, lease: { ...lease.lease, admitted: back.admitted } }, { tokens: back.tokens, amount: back.amount, settled: 0 }, false);
  }

  /**
   * Takes back an admission made at `at` (another level refused the call): its request, and what
   * its reservation holds, in whichever of its windows are still counted. Nothing is charged.
   */
  #takeBack({ reservationId, lease }: Settlement, at: number): void {
    if (lease) {
      // A call admitted from a lease that has gone back: its share leaves the lease as a settled
      // call that used nothing, and its request leaves the lease's windows.
      const held = this.state.reservations.get(lease.id);
      if (held) this.#shrink(lease.id, held, { ...lease, settled: 1 }, false);
      return this.#uncount(held?.at ?? at, 1, lease.tokens);
    }
    const reservation = reservationId === null ? undefined : this.state.reservations.get(reservationId);
    if (reservation) this.#release(reservationId!, reservation);
    this.#uncount(at, 1, reservation?.tokens ?? 0);
  }

  /** Takes requests and tokens counted at `at` out of those of its windows still counted. */
  #uncount(at: number, requests: number, tokens: number): void {
    for (const unit of UNITS) {
      const start = windowOf(unit, at).start;
      for (const [kind, amount] of [['requests', requests], ['tokens', tokens]] as const) {
        const key = counterKey(kind, unit, start);
        const count = this.state.counters.get(key);
        if (count !== undefined) this.state.counters.set(key, Math.max(0, count - amount));
      }
    }
  }

  /** The ledger's time: never earlier than any time it has seen. Old windows and reservations go. */
  tick(callerNow: number): number {
    const now = Math.max(callerNow, this.state.latestNow);
    this.state.latestNow = now;
    for (const key of [...this.state.counters.keys()]) {
      const [, unit, start] = key.split(':') as [CounterKind, RateLimitUnit, string];
      if (Number(start) < windowOf(unit, now).start) this.state.counters.delete(key);
    }
    // Entries are in time order (the ledger's time never goes back): the oldest come first, and a
    // walk stops at the first that stays.
    for (const [id, reservation] of this.state.reservations) {
      if (now - reservation.at <= RESERVATION_LIFETIME_MS) break;
      const charged = this.#heldInCurrentBudget(reservation) ? reservation.amount : 0;
      this.#release(id, reservation);
      this.state.budget.spent += charged;
      this.state.expired.set(id, { charged, at: now, unit: reservation.unit, period: reservation.period });
    }
    for (const [id, expired] of this.state.expired) {
      if (now - expired.at <= EXPIRED_KEPT_MS) break;
      this.state.expired.delete(id);
    }
    for (const [id, at] of this.state.applied) {
      if (now - at <= APPLIED_KEPT_MS) break;
      this.state.applied.delete(id);
    }
    return now;
  }

  /** Whether a reservation belongs to the budget as it is now (its unit and period); older ones have none. */
  #heldInCurrentBudget(reservation: Pick<Reservation, 'unit' | 'period'>): boolean {
    const budget = this.state.budget;
    return (reservation.unit === undefined || reservation.unit === budget.unit) && (reservation.period === undefined || reservation.period === budget.periodStart);
  }

  /** Moves the budget into `period` (never back), starting afresh when its unit changed. */
  enterPeriod(budget: { unit: BudgetUnit; period: BudgetPeriod }): void {
    const current = this.state.budget;
    if (current.unit !== budget.unit) {
      this.state.budget = { unit: budget.unit, periodStart: budget.period.start, spent: 0, alerts: current.alerts ?? [] };
    } else if (budget.period.start > current.periodStart) {
      this.state.budget = { ...current, periodStart: budget.period.start, spent: 0 };
    } else return;
    this.#recountHeld();
  }

  #charge(amount: number, now: number, alertThreshold: number | undefined): BudgetAlert | null {
    const budget = this.state.budget;
    const before = budget.spent;
    budget.spent = Math.max(0, budget.spent + amount);
    const crossed = alertThreshold !== undefined && before < alertThreshold && budget.spent >= alertThreshold;
    if (!crossed || budget.alertedPeriodStart === budget.periodStart) return null;
    const alert = { at: new Date(now).toISOString(), threshold: alertThreshold, spent: budget.spent, period_start: new Date(budget.periodStart).toISOString() };
    budget.alertedPeriodStart = budget.periodStart;
    budget.alerts = [...(budget.alerts ?? []), alert].slice(-KEPT_ALERTS);
    return alert;
  }

  reserved(): number {
    return this.#held;
  }

  #hold(id: string, reservation: Reservation): void {
    this.state.reservations.set(id, reservation);
    if (this.#heldInCurrentBudget(reservation)) this.#held += reservation.amount;
  }

  #release(id: string, reservation: Reservation): void {
    this.state.reservations.delete(id);
    if (this.#heldInCurrentBudget(reservation)) this.#held = Math.max(0, this.#held - reservation.amount);
    // Sums of fractions of a dollar drift: none held is exactly nothing.
    if (this.state.reservations.size === 0) this.#held = 0;
  }

  /** Sums what the reservations hold of the budget as it is now: after a load, or a new period or unit. */
  #recountHeld(): void {
    this.#held = 0;
    for (const reservation of this.state.reservations.values()) if (this.#heldInCurrentBudget(reservation)) this.#held += reservation.amount;
  }

  // Every unit is counted, whatever rules exist now, so a rule added mid-window starts from the truth.
  #add(kind: CounterKind, amount: number, now: number): void {
    if (amount === 0) return;
    for (const unit of UNITS) {
      const key = counterKey(kind, unit, windowOf(unit, now).start);
      this.state.counters.set(key, (this.state.counters.get(key) ?? 0) + amount);
    }
  }
}
