// Slows down a client address that keeps presenting wrong API keys. After FAILED_SIGN_IN_LIMIT
// wrong keys within FAILED_SIGN_IN_WINDOW_MS, every request from that address is answered 429 with
// Retry-After until the window ends, before any lookup: no KV or D1 read, and no answer that could
// tell a right key from a wrong one while the address is being slowed.
//
// Counted per isolate, in memory. Guessing is not what this stops: a key holds 256 random bits
// (api-key-token.ts), out of reach at any rate. It keeps a stream of wrong keys from turning into a
// stream of storage reads, and a per-isolate count does that without adding a round trip (to a
// Durable Object) to every failed request. (On admin routes the audit log records 401s; it folds
// them per isolate first, src/audit/refusal-folds.ts, for the same reason.) A client spread over
// several isolates or locations gets the allowance in each; an operator who wants one global
// limit adds a Cloudflare rate-limiting rule in front.

export const FAILED_SIGN_IN_LIMIT = 20;
export const FAILED_SIGN_IN_WINDOW_MS = 60_000;
// A bounded memory: past this many addresses, the one counted longest ago is forgotten.
const MAX_TRACKED_ADDRESSES = 10_000;

interface Window {
  startedAt: number;
  failures: number;
}

export class FailedSignIns {
  readonly #byAddress = new Map<string, Window>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limit = FAILED_SIGN_IN_LIMIT,
    private readonly windowMs = FAILED_SIGN_IN_WINDOW_MS,
    private readonly maxAddresses = MAX_TRACKED_ADDRESSES,
  ) {}

  /** Whole seconds until `address` may try again, or null when it may try now. */
  retryAfterSeconds(address: string): number | null {
    const window = this.#current(addressGroup(address));
    if (!window || window.failures < this.limit) return null;
    return Math.max(1, Math.ceil((window.startedAt + this.windowMs - this.now()) / 1000));
  }

  /** Counts a wrong key from `address`; true when this failure is the one that reaches the limit. */
  recordFailure(address: string): boolean {
    const group = addressGroup(address);
    let window = this.#current(group);
    if (!window) {
      if (this.#byAddress.size >= this.maxAddresses) this.#byAddress.delete(this.#byAddress.keys().next().value!);
      window = { startedAt: this.now(), failures: 0 };
      this.#byAddress.set(group, window);
    }
    window.failures += 1;
    return window.failures === this.limit;
  }

  /** How many addresses are counted now (for tests of the bound). */
  get size(): number {
    return this.#byAddress.size;
  }

  clear(): void {
    this.#byAddress.clear();
  }

  #current(group: string): Window | null {
    const window = this.#byAddress.get(group);
    if (!window) return null;
    if (this.now() - window.startedAt >= this.windowMs) {
      this.#byAddress.delete(group);
      return null;
    }
    return window;
  }
}

/**
 * The unit an address is counted in. An IPv4 address counts alone; an IPv6 address by its /64,
 * since one subscriber usually holds a whole /64 and could otherwise pick a fresh address for
 * every attempt.
 */
export function addressGroup(address: string): string {
  // Cloudflare writes this header; the cut only keeps a forged one from taking memory.
  const trimmed = address.trim().toLowerCase().slice(0, 64);
  if (!trimmed.includes(':')) return trimmed;
  const [head = '', tail] = trimmed.split('::', 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The isolate's count of wrong keys by client address. */
export const failedSignIns = new FailedSignIns();
