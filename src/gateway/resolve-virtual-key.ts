// Finds the virtual key a gateway request names and decides whether it may be used now.
// The isolate's own copy first, then KV, then D1 on a miss; a D1 read fills KV after the response.
//
// A slug found in no tier is remembered as unknown in the isolate for UNKNOWN_SLUG_TTL_MS, so a
// client repeating a wrong slug costs one KV and one D1 read per isolate and period. A create never
// has to forget such an entry: a new slug ends in 80 random bits (identifiers.ts) and slugs are
// never reused, so only a guess made before the key existed could be in it.

import { forbidden, notFound } from '../errors';
import { actsIn, type Principal } from '../auth/principal';
import { failureFields, logEvent } from '../log';
import { IsolateCache, isolateRecords } from '../store/isolate-cache';
import { cacheVirtualKey, readCachedVirtualKey } from '../store/virtual-key-cache';
import { isExpired, type VirtualKeyRecord } from '../store/virtual-key-record';
import { findVirtualKeyBySlug } from '../store/virtual-keys-table';

// Every slug Keygate issues fits this. Anything else cannot exist, and is refused before it
// reaches storage (KV keys are limited to 512 bytes; an error must not quote megabytes back).
const SLUG_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const UNKNOWN_SLUG_TTL_MS = 5_000;

/** Slugs that were looked up and found in no tier; bounded like every isolate cache. */
const unknownSlugs = new IsolateCache<true>(Date.now, UNKNOWN_SLUG_TTL_MS);

export async function resolveVirtualKey(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  principal: Principal,
  slug: string,
): Promise<VirtualKeyRecord> {
  if (!SLUG_SHAPE.test(slug)) {
    throw notFound('virtual_key_not_found', `Virtual key ${slug.slice(0, 64)}${slug.length > 64 ? '…' : ''} does not exist.`);
  }
  // This isolate's copy first, then KV, then D1 (which refills KV after the response).
  let record = isolateRecords.get(slug);
  if (!record && !unknownSlugs.get(slug)) {
    record = await readCachedVirtualKey(env.KEY_CACHE, slug).catch((error: unknown) => {
      // KV is only a cache: when it fails, D1 still answers.
      logCacheFailure('cache_read_failed', slug, error);
      return null;
    });
    if (!record) {
      record = await findVirtualKeyBySlug(env.DB, slug);
      if (record) {
        context.waitUntil(cacheVirtualKey(env.KEY_CACHE, record).catch((error: unknown) => logCacheFailure('cache_fill_failed', slug, error)));
      }
    }
    if (record) isolateRecords.set(slug, record);
    else unknownSlugs.set(slug, true);
  }
  // A key of another workspace is reported exactly like a missing one.
  if (!record || !actsIn(principal, record.workspaceId)) {
    throw notFound('virtual_key_not_found', `Virtual key ${slug} does not exist or has been deleted.`);
  }
  if (record.status === 'disabled') {
    throw forbidden('virtual_key_disabled', `Virtual key ${slug} is disabled.`);
  }
  if (isExpired(record)) {
    throw forbidden('virtual_key_expired', `Virtual key ${slug} expired at ${record.expiresAt}.`);
  }
  return record;
}

/** Forgets every slug remembered as unknown in this isolate (for tests). */
export function forgetUnknownSlugs(): void {
  unknownSlugs.clear();
}

function logCacheFailure(code: string, slug: string, error: unknown): void {
  logEvent('warn', code, { slug, ...failureFields(error) });
}
