// API keys by credential digest: the isolate's copy, then KV, then D1. The same tiers and the
// same revocation bound as virtual keys (docs/storage.md), keyed by a SHA-256 digest so storage
// never sees a key.

import { AuthenticatedApiKeySchema, type AuthenticatedApiKey } from './api-key-record';
import { findApiKeyByDigest } from './api-keys-table';
import { isolateApiKeys } from './isolate-cache';
import { kvKeys } from './kv-keys';
import { cacheRecord, readCachedRecord } from './kv-record-cache';

export async function findApiKeyCredential(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  digest: string,
): Promise<AuthenticatedApiKey | null> {
  const known = isolateApiKeys.get(digest);
  if (known) return known;
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
  return found;
}

/**
 * Forgets every cached copy of a key after a change. The change is already in D1, so a KV failure
 * is logged, not reported: the stale copy then expires on its own.
 */
export async function evictApiKey(env: Env, digests: readonly string[]): Promise<void> {
  for (const digest of digests) isolateApiKeys.evict(digest);
  try {
    await Promise.all(digests.map((digest) => env.KEY_CACHE.delete(kvKeys.apiKeyByDigest(digest))));
  } catch (error) {
    logCacheFailure('cache_eviction_failed', error);
  }
}

// The digest is not logged: it is not secret, but it is no use to a reader either.
function logCacheFailure(code: string, error: unknown): void {
  console.error(JSON.stringify({ level: 'warn', code, record: 'api_key', message: error instanceof Error ? error.message : '' }));
}
