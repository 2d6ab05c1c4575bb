// KV as a read-through cache of slug -> virtual-key record (kv-record-cache.ts says how it is bounded).

import { kvKeys } from './kv-keys';
import { cacheRecord, readCachedRecord } from './kv-record-cache';
import { VirtualKeyRecordSchema, type VirtualKeyRecord } from './virtual-key-record';

export { CACHE_EDGE_TTL_SECONDS, CACHE_EXPIRATION_SECONDS } from './kv-record-cache';

export async function readCachedVirtualKey(kv: KVNamespace, slug: string): Promise<VirtualKeyRecord | null> {
  const record = await readCachedRecord(kv, kvKeys.virtualKeyBySlug(slug), VirtualKeyRecordSchema);
  return record?.slug === slug ? record : null;
}

export async function cacheVirtualKey(kv: KVNamespace, record: VirtualKeyRecord): Promise<void> {
  await cacheRecord(kv, kvKeys.virtualKeyBySlug(record.slug), record);
}

export async function evictCachedVirtualKey(kv: KVNamespace, slug: string): Promise<void> {
  await kv.delete(kvKeys.virtualKeyBySlug(slug));
}
