// API keys by credential digest: the isolate's copy, then KV, then D1. The same tiers and the
// same revocation bound as virtual keys (docs/storage.md), keyed by a SHA-256 digest so storage
// never sees a key.
//
// A digest D1 does not know is remembered as unknown in the isolate for UNKNOWN_KEY_TTL_MS, so the
// same wrong key sent again and again costs one KV and one D1 read per isolate and period, not one
// per request. A create never has to forget such an entry: a new key is 256 fresh random bits
// (api-key-token.ts), so its digest is in the cache only if someone guessed the key before it
// existed. A change to a key (update, rotate, delete) forgets its digests in both caches.

import { failureFields, logEvent } from '../log';
import { AuthenticatedApiKeySchema, type AuthenticatedApiKey } from './api-key-record';
import { findApiKeyByDigest } from './api-keys-table';
import { IsolateCache, isolateApiKeys } from './isolate-cache';
import { kvKeys } from './kv-keys';
import { cacheRecord, readCachedRecord } from './kv-record-cache';

export const UNKNOWN_KEY_TTL_MS = 5_000;

/** Digests that were looked up and found in no tier; bounded like every isolate cache. */
const unknownDigests = new IsolateCache<true>(Date.now, UNKNOWN_KEY_TTL_MS);

/**
 * The key a credential digest opens, or null. `isolateOnly` stops at this isolate's cache: what an
 * address slowed down for wrong keys gets (identify-caller.ts), so it costs no storage read.
 */
export async function findApiKeyCredential(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  digest: string,
  { isolateOnly = false }: { isolateOnly?: boolean } = {},
): Promise<AuthenticatedApiKey | null> {
  const known = isolateApiKeys.get(digest);
  if (known || isolateOnly) return known;
  if (unknownDigests.get(digest)) return null;
  const kvKey = kvKeys.apiKeyByDigest(digest);
  let found = await readCachedRecord(env.KEY_CACHE, kvKey, AuthenticatedApiKeySchema).catch((error: unknown) => {
    // KV is only a cache: when it fails, D1 still answers.
    logCacheFailure('cache_read_failed', error);
    return null;
  });
  if (!found) {
    found = await findApiKeyByDigest(env.DB, digest);
    const record = found;
    if (record) context.waitUntil(cacheRecord(env.KEY_CACHE, kvKey, record).catch((error: unknown) => logCacheFailure('cache_fill_failed', error)));
  }
  if (found) isolateApiKeys.set(digest, found);
  else unknownDigests.set(digest, true);
  return found;
}

/**
 * Forgets every cached copy of a key after a change. The change is already in D1, so a KV failure
 * is logged, not reported: the stale copy then expires on its own.
 */
export async function evictApiKey(env: Env, digests: readonly string[]): Promise<void> {
  for (const digest of digests) {
    isolateApiKeys.evict(digest);
    unknownDigests.evict(digest);
  }
  try {
    await Promise.all(digests.map((digest) => env.KEY_CACHE.delete(kvKeys.apiKeyByDigest(digest))));
  } catch (error) {
    logCacheFailure('cache_eviction_failed', error);
  }
}

/** Forgets every digest remembered as unknown in this isolate (for tests). */
export function forgetUnknownApiKeys(): void {
  unknownDigests.clear();
}

// The digest is not logged: it is not secret, but it is no use to a reader either.
function logCacheFailure(code: string, error: unknown): void {
  logEvent('warn', code, { record: 'api_key', ...failureFields(error) });
}
