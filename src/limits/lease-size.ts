// How big an admission lease may be (admission-leases.ts says what a lease is). A lease is counted
// in full against every limit when it is granted, so its size never lets a limit be exceeded; the
// bounds below keep what it holds small, so that an unused lease refuses calls elsewhere only near
// a limit and only briefly.

/** At most this share of what remains of any limit. */
export const LEASE_SHARE = 8;
/** A lease ends within this, and never later than the minute window it was granted in. */
export const LEASE_LIFETIME_MS = 1_000;
/** Fewer calls than this, or less time: not worth a lease (near a limit, or a window's end). */
const MIN_LEASE_REQUESTS = 2;
const MIN_LEASE_MS = 100;
const MAX_LEASE_REQUESTS = 1_000;

export interface LeaseLimits {
  /** Calls admitted in the last full second or this one, whichever is more. */
  recentRate: number;
  /** Each rate limit: what remains of its window, and what one call like this counts against it. */
  rules: { remaining: number; perCall: number }[];
  /** The budget: what remains (spent and held taken out), and one call's estimate. */
  budget?: { remaining: number; perCall: number };
}

/** How many calls a lease may hold: at most 1/8 of what remains of every limit, and one second of the recent rate; 0 for none. */
export function leaseSize({ recentRate, rules, budget }: LeaseLimits): number {
  let size = Math.min(recentRate, MAX_LEASE_REQUESTS);
  for (const { remaining, perCall } of budget ? [...rules, budget] : rules) {
    if (perCall > 0) size = Math.min(size, Math.floor(remaining / LEASE_SHARE / perCall));
  }
  return size >= MIN_LEASE_REQUESTS ? size : 0;
}

/** When a lease granted at `now` ends: within a second, inside its minute window and budget period; null when too soon. */
export function leaseEnd(now: number, periodEnd: number | null): number | null {
  const end = Math.min(now + LEASE_LIFETIME_MS, Math.floor(now / 60_000) * 60_000 + 60_000, periodEnd ?? Infinity);
  return end - now >= MIN_LEASE_MS ? end : null;
}

/** Calls admitted per second, over this second and the last. */
export class RecentRate {
  #second = 0;
  #count = 0;
  #previous = 0;

  note(now: number, calls: number): void {
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#previous = second === this.#second + 1 ? this.#count : 0;
      this.#second = second;
      this.#count = 0;
    }
    this.#count += calls;
  }

  perSecond(now: number): number {
    this.note(now, 0);
    return Math.max(this.#count, this.#previous);
  }
}
