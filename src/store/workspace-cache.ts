// Workspaces by id, for the gateway path: every call reads its workspace's limits. The isolate's
// copy, then KV, then D1: the same tiers and the same bound on a stale copy as virtual keys
// (docs/storage.md), and the ledger corrects a stale copy of limits it already holds at once.

import { failureFields, logEvent } from '../log';
import { IsolateCache } from './isolate-cache';
import { kvKeys } from './kv-keys';
import { cacheRecord, readCachedRecord } from './kv-record-cache';
import { WorkspaceRecordSchema, type WorkspaceRecord } from './workspace-record';
import { findWorkspace } from './workspaces-table';

export const isolateWorkspaces = new IsolateCache<WorkspaceRecord>();

const logCacheFailure = (code: string, id: string, error: unknown) => logEvent('warn', code, { workspace: id, ...failureFields(error) });

export async function findCachedWorkspace(env: Env, context: Pick<ExecutionContext, 'waitUntil'>, id: string): Promise<WorkspaceRecord | null> {
  let found = isolateWorkspaces.get(id);
  if (found) return found;
  const kvKey = kvKeys.workspaceById(id);
  // KV is only a cache: when it fails, D1 still answers.
  found = await readCachedRecord(env.KEY_CACHE, kvKey, WorkspaceRecordSchema).catch((error: unknown) => (logCacheFailure('cache_read_failed', id, error), null));
  if (found?.id !== id) {
    found = await findWorkspace(env.DB, id);
    const record = found;
    if (record) context.waitUntil(cacheRecord(env.KEY_CACHE, kvKey, record).catch((error: unknown) => logCacheFailure('cache_fill_failed', id, error)));
  }
  if (found) isolateWorkspaces.set(id, found);
  return found;
}

/** Forgets the cached copies after a change, which is in D1 already: a KV failure is logged. */
export async function evictCachedWorkspace(env: Env, id: string): Promise<void> {
  isolateWorkspaces.evict(id);
  await env.KEY_CACHE.delete(kvKeys.workspaceById(id)).catch((error: unknown) => logCacheFailure('cache_eviction_failed', id, error));
}
