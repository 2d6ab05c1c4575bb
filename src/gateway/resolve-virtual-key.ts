// Finds the virtual key a gateway request names and decides whether it may be used now.
// KV first (the hot path), D1 on a miss; the miss fills KV after the response is sent.

import { forbidden, notFound } from '../errors';
import type { Principal } from '../http/context';
import { cacheVirtualKey, readCachedVirtualKey } from '../store/virtual-key-cache';
import { isExpired, type VirtualKeyRecord } from '../store/virtual-key-record';
import { findVirtualKeyBySlug } from '../store/virtual-keys-table';

export async function resolveVirtualKey(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  principal: Principal,
  slug: string,
): Promise<VirtualKeyRecord> {
  let record = await readCachedVirtualKey(env.KEY_CACHE, slug);
  if (!record) {
    record = await findVirtualKeyBySlug(env.DB, slug);
    if (record) context.waitUntil(cacheVirtualKey(env.KEY_CACHE, record));
  }
  // A key of another workspace is reported exactly like a missing one.
  if (!record || record.workspaceId !== principal.workspaceId) {
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
