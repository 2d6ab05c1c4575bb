// What the virtual-key admin routes do, apart from HTTP: create, read, update and delete keys,
// sealing secrets on the way in and keeping the KV cache honest on every change.

import { auditedWrite, changeRecord, type AuditRequest } from '../audit/audit-log';
import type * as z from 'zod/mini';
import { invalidRequest, KeygateError, notFound } from '../errors';
import { actsIn, namedWorkspace, type Principal } from '../auth/principal';
import { NO_LIMITS, virtualKeyLevel } from '../limits/limit-levels';
import { findProvider, providerOf } from '../providers/registry';
import { DEFAULT_WORKSPACE_ID, newSlug, newVirtualKeyId } from '../store/identifiers';
import { failureFields, logEvent } from '../log';
import { isolateRecords } from '../store/isolate-cache';
import { evictCachedVirtualKey } from '../store/virtual-key-cache';
import { isExpired, type VirtualKeyRecord } from '../store/virtual-key-record';
import {
  deleteVirtualKey,
  findVirtualKeyBySlug,
  insertVirtualKey,
  listVirtualKeys,
  updateVirtualKey,
} from '../store/virtual-keys-table';
import { sealProviderSecret } from '../vault/virtual-key-secret';
import { applyLimitChange, clearLedgers, holderLevels, isExhausted, limitsView, liveStates, storedLimits } from './limits-view';
import type { VirtualKeyObject } from './virtual-key-answers';
import { commonUpdateFields, type CreateVirtualKeyBody, type UpdateVirtualKeyBody } from './virtual-key-schemas';

type CreateInput = z.infer<typeof CreateVirtualKeyBody>;
type UpdateInput = z.infer<typeof UpdateVirtualKeyBody>;

export function toVirtualKeyObject(record: VirtualKeyRecord): z.infer<typeof VirtualKeyObject> {
  const provider = providerOf(record);
  return {
    object: 'virtual-key',
    id: record.id,
    slug: record.slug,
    name: record.name,
    note: record.note,
    ai_provider_name: record.provider,
    masked_api_key: provider.maskedApiKey(record.maskedSecrets),
    masked_secrets: record.maskedSecrets,
    status: record.status === 'active' && isExpired(record) ? 'expired' : record.status,
    workspace_id: record.workspaceId,
    expires_at: record.expiresAt,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    model_config: provider.describeConfig(record.providerConfig),
    ...limitsView(virtualKeyLevel(record), record.modelLimits),
    allowed_models: record.allowedModels,
  };
}

const levelsOf = (record: VirtualKeyRecord) => holderLevels(virtualKeyLevel(record), record.modelLimits);

/** The key object with the live state of its limits, from its ledger. */
export async function toVirtualKeyObjectWithState(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  record: VirtualKeyRecord,
): Promise<z.infer<typeof VirtualKeyObject>> {
  const levels = levelsOf(record);
  const states = await liveStates(env, context, levels);
  const object = toVirtualKeyObject(record);
  return {
    ...object,
    status: object.status === 'active' && isExhausted(levels[0]!, states[0]!) ? 'exhausted' : object.status,
    ...limitsView(levels[0]!, record.modelLimits, states),
  };
}

export async function createVirtualKey(env: Env, principal: Principal, input: CreateInput, audit: AuditRequest): Promise<VirtualKeyRecord> {
  // An organisation key that names no workspace creates in the default one.
  const workspaceId = namedWorkspace(principal, input.workspace_id) ?? DEFAULT_WORKSPACE_ID;
  const provider = findProvider(input.provider);
  if (!provider) throw invalidRequest('unknown_provider', `provider ${input.provider} is not supported`, 'provider');
  const credentials = await provider.credentialsFromCreate(input, env);
  const identity = { workspaceId, id: newVirtualKeyId(), slug: newSlug(input.name) };
  const sealed = await sealProviderSecret(env, identity, credentials.secret);
  const now = new Date().toISOString();
  const record: VirtualKeyRecord = {
    ...identity,
    name: input.name,
    note: input.note ?? null,
    provider: provider.id,
    status: 'active',
    providerConfig: credentials.config,
    secretEnvelope: sealed.envelope,
    secretKeyId: sealed.keyId,
    maskedSecrets: credentials.masked,
    expiresAt: input.expires_at ? new Date(input.expires_at).toISOString() : null,
    ...storedLimits(input, NO_LIMITS, new Date(now)),
    allowedModels: input.allowed_models ?? [],
    revision: 1,
    createdAt: now,
    updatedAt: now,
  };
  const auditRecord = await changeRecord(env, audit, { resource_type: 'virtual_key', action: 'create', resource_id: record.slug, workspace_id: workspaceId });
  if (!(await auditedWrite(() => insertVirtualKey(env.DB, record, auditRecord)))) throw workspaceNotFound();
  await applyLimitChange(env, [], levelsOf(record));
  return record;
}

function workspaceNotFound(): KeygateError {
  return invalidRequest('workspace_not_found', 'workspace_id names no workspace; list them with GET /v1/admin/workspaces.', 'workspace_id');
}

/**
 * A key of a workspace the caller acts in, or 404: another workspace's key is reported exactly
 * like a missing one. Reads D1, not the cache: admin reads must be current.
 */
export async function getVirtualKey(env: Env, principal: Principal, slug: string): Promise<VirtualKeyRecord> {
  const record = await findVirtualKeyBySlug(env.DB, slug);
  if (!record || !actsIn(principal, record.workspaceId)) {
    throw notFound('virtual_key_not_found', `Virtual key ${slug} does not exist.`);
  }
  return record;
}

export async function listWorkspaceVirtualKeys(
  env: Env,
  principal: Principal,
  query: { current_page: number; page_size: number; workspace_id?: string | undefined },
) {
  const page = await listVirtualKeys(env.DB, namedWorkspace(principal, query.workspace_id), { index: query.current_page, size: query.page_size });
  return { object: 'list' as const, total: page.total, data: page.records.map(toVirtualKeyObject) };
}

export async function updateVirtualKeyBySlug(
  env: Env,
  principal: Principal,
  slug: string,
  input: UpdateInput,
  audit: AuditRequest,
): Promise<VirtualKeyRecord> {
  const current = await getVirtualKey(env, principal, slug);
  const provider = providerOf(current);
  // The body schema knows every provider's fields; this key's provider may use only its own.
  const foreignField = Object.keys(input).find((field) => !(field in provider.updateFields) && !(field in commonUpdateFields));
  if (foreignField) {
    throw invalidRequest('field_not_applicable', `${foreignField} does not apply to ${provider.id} virtual keys`, foreignField);
  }
  const changes = await provider.applyUpdate(input, { config: current.providerConfig, masked: current.maskedSecrets }, env);
  const sealed = changes.secret ? await sealProviderSecret(env, current, changes.secret) : null;
  const updated: VirtualKeyRecord = {
    ...current,
    name: input.name ?? current.name,
    note: input.note === undefined ? current.note : input.note,
    status: input.status ?? current.status,
    providerConfig: changes.config,
    maskedSecrets: changes.secret ? (changes.masked ?? {}) : current.maskedSecrets,
    secretEnvelope: sealed?.envelope ?? current.secretEnvelope,
    secretKeyId: sealed?.keyId ?? current.secretKeyId,
    expiresAt: input.expires_at === undefined ? current.expiresAt : input.expires_at && new Date(input.expires_at).toISOString(),
    ...storedLimits(input, current),
    allowedModels: input.allowed_models === undefined ? current.allowedModels : (input.allowed_models ?? []),
    updatedAt: new Date().toISOString(),
  };
  const auditRecord = await changeRecord(env, audit, { resource_type: 'virtual_key', action: 'update', resource_id: slug, workspace_id: current.workspaceId });
  if (!(await auditedWrite(() => updateVirtualKey(env.DB, current.id, current.revision, updated, auditRecord)))) {
    await getVirtualKey(env, principal, slug); // 404 if it was deleted meanwhile
    throw new KeygateError('conflict', 'concurrent_update', `Virtual key ${slug} was changed by another request; read it again and retry.`);
  }
  const saved = { ...updated, revision: current.revision + 1 };
  await evictFromCache(env, slug);
  await applyLimitChange(env, levelsOf(current), levelsOf(saved), input.reset_usage);
  return saved;
}

export async function deleteVirtualKeyBySlug(env: Env, principal: Principal, slug: string, audit: AuditRequest): Promise<void> {
  const current = await getVirtualKey(env, principal, slug);
  const auditRecord = await changeRecord(env, audit, { resource_type: 'virtual_key', action: 'delete', resource_id: slug, workspace_id: current.workspaceId });
  const deleted = await auditedWrite(() => deleteVirtualKey(env.DB, current.id, auditRecord));
  await evictFromCache(env, slug);
  // Of two deletes racing for one key, only the one that removed the row answers 200.
  if (!deleted) throw notFound('virtual_key_not_found', `Virtual key ${slug} does not exist.`);
  await clearLedgers(env, levelsOf(current));
}

/**
 * The change is already in D1 when this runs, so a KV failure must not report the change as
 * failed. The stale copy then expires on its own (docs/storage.md); the failure is logged.
 */
export async function evictFromCache(env: Env, slug: string): Promise<void> {
  isolateRecords.evict(slug);
  try {
    await evictCachedVirtualKey(env.KEY_CACHE, slug);
  } catch (error) {
    logEvent('warn', 'cache_eviction_failed', { slug, ...failureFields(error) });
  }
}
