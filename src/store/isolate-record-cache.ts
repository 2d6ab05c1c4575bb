// An isolate-level cache of resolved virtual-key records, so most gateway requests touch neither
// KV nor D1. It holds what KV holds (the sealed envelope and config), never a plaintext secret.
//
// Revocation bound: an update or delete evicts the copy in the isolate that made it at once; other
// isolates keep theirs for at most TTL_MS, on top of KV's own bound (docs/storage.md).

import type { VirtualKeyRecord } from './virtual-key-record';

export const ISOLATE_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export class IsolateRecordCache {
  readonly #entries = new Map<string, { record: VirtualKeyRecord; expiresAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = ISOLATE_CACHE_TTL_MS,
  ) {}

  get(slug: string): VirtualKeyRecord | null {
    const entry = this.#entries.get(slug);
    if (!entry) return null;
    if (this.now() >= entry.expiresAt) {
      this.#entries.delete(slug);
      return null;
    }
    return entry.record;
  }

  set(record: VirtualKeyRecord): void {
    // A full cache starts over rather than growing without bound; the next reads refill it.
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    this.#entries.set(record.slug, { record, expiresAt: this.now() + this.ttlMs });
  }

  evict(slug: string): void {
    this.#entries.delete(slug);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** The cache the Worker uses: one per isolate. */
export const isolateRecords = new IsolateRecordCache();
