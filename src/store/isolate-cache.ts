// Isolate-level caches of resolved records, so most requests touch neither KV nor D1: virtual keys
// by slug, and API keys by the digest of a credential. They hold what KV holds (sealed envelopes,
// configs, masks, digests), never a plaintext secret.
//
// Revocation bound: an update or delete evicts the copy in the isolate that made it at once; other
// isolates keep theirs for at most TTL_MS, on top of KV's own bound (docs/storage.md).

import type { AuthenticatedApiKey } from './api-key-record';
import type { VirtualKeyRecord } from './virtual-key-record';

export const ISOLATE_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export class IsolateCache<Value> {
  readonly #entries = new Map<string, { value: Value; expiresAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = ISOLATE_CACHE_TTL_MS,
  ) {}

  get(key: string): Value | null {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (this.now() >= entry.expiresAt) {
      this.#entries.delete(key);
      return null;
    }
    return entry.value;
  }

  set(key: string, value: Value): void {
    // A full cache starts over rather than growing without bound; the next reads refill it.
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    this.#entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  evict(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Virtual keys by slug: one cache per isolate. */
export const isolateRecords = new IsolateCache<VirtualKeyRecord>();

/** API keys by credential digest: one cache per isolate. */
export const isolateApiKeys = new IsolateCache<AuthenticatedApiKey>();
