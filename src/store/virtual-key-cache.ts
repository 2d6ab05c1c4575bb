// KV as a read-through cache of slug -> record, so the gateway's hot path rarely touches D1.
//
// The cached value is the stored record: sealed envelope and config, never plaintext. Update and
// delete evict the entry. KV is eventually consistent: other locations may keep serving their copy
// until it leaves their edge cache, which is what bounds revocation there (docs/storage.md).

import { kvKeys } from './kv-keys';
import { VirtualKeyRecordSchema, type VirtualKeyRecord } from './virtual-key-record';

/** How long a cached record lives at all (KV's minimum); a stale copy can never outlive this. */
export const CACHE_EXPIRATION_SECONDS = 60;
/** How long a location's edge cache may serve a KV read without revalidating (KV's minimum). */
export const CACHE_EDGE_TTL_SECONDS = 30;

export async function readCachedVirtualKey(kv: KVNamespace, slug: string): Promise<VirtualKeyRecord | null> {
  const value = await kv.get(kvKeys.virtualKeyBySlug(slug), { type: 'json', cacheTtl: CACHE_EDGE_TTL_SECONDS });
  if (value === null) return null;
  const parsed = VirtualKeyRecordSchema.safeParse(value);
  // A value we cannot read (an older shape, corruption) is a miss; D1 stays the source of truth.
  return parsed.success && parsed.data.slug === slug ? parsed.data : null;
}

export async function cacheVirtualKey(kv: KVNamespace, record: VirtualKeyRecord): Promise<void> {
  await kv.put(kvKeys.virtualKeyBySlug(record.slug), JSON.stringify(record), {
    expirationTtl: CACHE_EXPIRATION_SECONDS,
  });
}

export async function evictCachedVirtualKey(kv: KVNamespace, slug: string): Promise<void> {
  await kv.delete(kvKeys.virtualKeyBySlug(slug));
}
