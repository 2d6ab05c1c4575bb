// A per-isolate cache of short-lived credentials (Entra tokens, STS session credentials).
//
// A value is handed out until `refreshMarginMs` before it expires. Concurrent callers that find
// nothing share one load, and a failed load is not cached, so the next caller tries again. Values
// live only in memory: never in storage, logs or errors.

export interface Expiring<Value> {
  value: Value;
  /** Epoch milliseconds at which the value stops being valid. */
  expiresAt: number;
}

interface Entry<Value> {
  value: Promise<Value>;
  /** When the value stops being handed out; Infinity while the load is under way. */
  refreshAt: number;
}

export class ExpiringCache<Value> {
  readonly #entries = new Map<string, Entry<Value>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly refreshMarginMs = 5 * 60 * 1000,
  ) {}

  get(key: string, load: () => Promise<Expiring<Value>>): Promise<Value> {
    const cached = this.#entries.get(key);
    if (cached && this.now() < cached.refreshAt) return cached.value;

    const entry: Entry<Value> = { value: Promise.resolve(undefined as Value), refreshAt: Number.POSITIVE_INFINITY };
    entry.value = load().then(
      ({ value, expiresAt }) => {
        entry.refreshAt = expiresAt - this.refreshMarginMs;
        return value;
      },
      (error: unknown) => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        throw error;
      },
    );
    this.#entries.set(key, entry);
    return entry.value;
  }
}
