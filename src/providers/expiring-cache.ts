// A per-isolate cache of short-lived credentials (Entra tokens, STS session credentials).
//
// A value is handed out until `refreshMarginMs` before it expires. Concurrent callers that find
// nothing share one load. A failed load is not cached; if the value it was replacing is still
// valid, callers keep getting that one (and a new load is tried after a short pause). Expired
// values are swept out, so credentials of deleted keys do not linger. Values live only in memory:
// never in storage, logs or errors.

export interface Expiring<Value> {
  value: Value;
  /** Epoch milliseconds at which the value stops being valid. */
  expiresAt: number;
}

interface Entry<Value> {
  value: Promise<Value>;
  /** When the value stops being handed out; Infinity while the load is under way. */
  refreshAt: number;
  /** When the value stops being valid at all; Infinity while the load is under way. */
  expiresAt: number;
}

const RETRY_AFTER_FAILED_REFRESH_MS = 10_000;

export class ExpiringCache<Value> {
  readonly #entries = new Map<string, Entry<Value>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly refreshMarginMs = 5 * 60 * 1000,
  ) {}

  get(key: string, load: () => Promise<Expiring<Value>>): Promise<Value> {
    const previous = this.#entries.get(key);
    if (previous && this.now() < previous.refreshAt) return previous.value;
    this.#sweep();

    const entry: Entry<Value> = { value: Promise.resolve(undefined as Value), refreshAt: Number.POSITIVE_INFINITY, expiresAt: Number.POSITIVE_INFINITY };
    entry.value = load().then(
      ({ value, expiresAt }) => {
        entry.refreshAt = expiresAt - this.refreshMarginMs;
        entry.expiresAt = expiresAt;
        return value;
      },
      (error: unknown) => {
        if (this.#entries.get(key) !== entry) throw error;
        if (previous && this.now() < previous.expiresAt) {
          // The old value still works: keep serving it and try again shortly.
          previous.refreshAt = Math.min(this.now() + RETRY_AFTER_FAILED_REFRESH_MS, previous.expiresAt);
          this.#entries.set(key, previous);
          return previous.value;
        }
        this.#entries.delete(key);
        throw error;
      },
    );
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Drops a value the service refused after all (a revoked token), so the next caller loads anew. */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  #sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
