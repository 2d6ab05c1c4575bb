// KV as a read-through cache of stored records, so the hot path rarely touches D1.
//
// A cached value is what D1 holds (sealed envelopes, masks, digests), never plaintext. Changes
// evict the entry. KV is eventually consistent: other locations may keep serving their copy until
// it leaves their edge cache, which is what bounds revocation there (docs/storage.md).

import type * as z from 'zod/mini';

/** How long a cached record lives at all (KV's minimum); a stale copy can never outlive this. */
export const CACHE_EXPIRATION_SECONDS = 60;
/** How long a location's edge cache may serve a KV read without revalidating (KV's minimum). */
export const CACHE_EDGE_TTL_SECONDS = 30;

/** The cached value, or null when absent or unreadable (an older shape, corruption): D1 stays the source of truth. */
export async function readCachedRecord<Schema extends z.ZodMiniType>(kv: KVNamespace, key: string, schema: Schema): Promise<z.output<Schema> | null> {
  const value = await kv.get(key, { type: 'json', cacheTtl: CACHE_EDGE_TTL_SECONDS });
  if (value === null) return null;
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export async function cacheRecord(kv: KVNamespace, key: string, value: unknown): Promise<void> {
  await kv.put(key, JSON.stringify(value), { expirationTtl: CACHE_EXPIRATION_SECONDS });
}
