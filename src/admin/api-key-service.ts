// What the API-key routes do, apart from HTTP. These rules hold everywhere here:
// - a workspace key sees only its own workspace's keys, and a user key only its own user's
//   (others are 404, like missing ones);
// - no escalation (403): a key can't grant a scope it lacks, make a key of a wider level than its
//   own, outlive its own expiry through a key it makes or changes, or update or rotate (and so
//   learn the secret of) a key holding scopes it lacks;
// - a workspace key can't hold an organisation-only scope (400).

import { apiKeyLevel, hasLimits, NO_LIMITS } from '../limits/limit-levels';
import { applyLimitChange, changesLimits, clearLedgers, holderLevels, limitsView, liveStates, storedLimits } from './limits-view';
import { auditedWrite, changeRecord, type AuditRequest } from '../audit/audit-log';
import type * as z from 'zod/mini';
import { assertScope, namedWorkspace, type Principal } from '../auth/principal';
import { apiKeyScope, API_KEY_TYPES, ORGANISATION_ONLY_SCOPES, type ApiKeyAction, type ApiKeyType, type Scope } from '../auth/scopes';
import { forbidden, invalidRequest, KeygateError, notFound } from '../errors';
import { hasPassed, type ApiKeyRecord } from '../store/api-key-record';
import { evictApiKey } from '../store/api-key-cache';
import { credentialDigests, deleteApiKey, findApiKeyById, insertApiKey, listApiKeys, rotateApiKey, updateApiKey } from '../store/api-keys-table';
import { newApiKeyId } from '../store/identifiers';
import { newApiKeyToken } from '../vault/api-key-token';
import type { ApiKeyObject } from './api-key-answers';
import { MIN_TRANSITION_MS, type ApiKeyListQuery, type CreateApiKeyBody, type RotateApiKeyBody, type UpdateApiKeyBody } from './api-key-schemas';

type CreateInput = z.infer<typeof CreateApiKeyBody>;
type UpdateInput = z.infer<typeof UpdateApiKeyBody>;

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PATH_OF_TYPE: Record<ApiKeyType, { type: 'organisation' | 'workspace'; 'sub-type': 'service' | 'user' }> = {
  'organisation-service': { type: 'organisation', 'sub-type': 'service' },
  'workspace-service': { type: 'workspace', 'sub-type': 'service' },
  'workspace-user': { type: 'workspace', 'sub-type': 'user' },
};

const levelsOf = (record: ApiKeyRecord) => holderLevels(apiKeyLevel(record), record.limits.modelLimits);

export function toApiKeyObject(record: ApiKeyRecord, states?: Parameters<typeof limitsView>[2]): z.infer<typeof ApiKeyObject> {
  return {
    id: record.id,
    key: record.maskedKey,
    name: record.name,
    description: record.description,
    type: record.type,
    organisation_id: record.organisationId,
    workspace_id: record.workspaceId,
    user_id: record.userId,
    scopes: record.scopes,
    status: hasPassed(record.expiresAt) ? 'expired' : 'active',
    defaults: record.defaults,
    allowed_models: record.allowedModels,
    ...limitsView(apiKeyLevel(record), record.limits.modelLimits, states),
    created_at: record.createdAt,
    last_updated_at: record.updatedAt,
    expires_at: record.expiresAt,
    last_used_at: record.lastUsedAt,
    object: 'api-key',
  };
}

/** A key with the live state of its limits, from its ledgers. */
export async function toApiKeyObjectWithState(env: Env, context: Pick<ExecutionContext, 'waitUntil'>, record: ApiKeyRecord) {
  return toApiKeyObject(record, await liveStates(env, context, levelsOf(record)));
}

/** `POST /v1/api-keys/{type}/{sub-type}`: the key type both name, or 400. */
export function apiKeyTypeOf(type: 'organisation' | 'workspace', subType: 'service' | 'user'): ApiKeyType {
  if (type === 'organisation' && subType === 'user') {
    throw invalidRequest('unsupported_api_key_type', 'Keygate has no organisation user keys: create organisation/service or workspace/user keys.');
  }
  return `${type}-${subType}` as ApiKeyType;
}

/** The body's `type`, `sub-type` and `organisation_id`, when given, must agree with the key. */
function checkIdentityFields(principal: Principal, type: ApiKeyType, input: Pick<CreateInput, 'type' | 'sub-type' | 'organisation_id'>): void {
  for (const field of ['type', 'sub-type'] as const) {
    const given = input[field];
    if (given !== undefined && given !== PATH_OF_TYPE[type][field]) {
      throw invalidRequest('api_key_type_mismatch', `${field} ${given} disagrees with the key's type ${type}.`, field);
    }
  }
  if (input.organisation_id !== undefined && input.organisation_id !== principal.organisationId) {
    throw new KeygateError('forbidden', 'organisation_forbidden', 'organisation_id names another organisation.', 'organisation_id');
  }
}

/** The scope rules for a key of `type` with `scopes`, made or changed by `principal`. */
function checkGrantedScopes(principal: Principal, type: ApiKeyType, scopes: readonly Scope[]): void {
  if (type !== 'organisation-service') {
    const organisationOnly = scopes.filter((scope) => ORGANISATION_ONLY_SCOPES.has(scope));
    if (organisationOnly.length > 0) {
      throw invalidRequest('organisation_only_scope', `A workspace key can't hold organisation-only scopes: ${organisationOnly.join(', ')}.`, 'scopes');
    }
  }
  const lacking = scopes.filter((scope) => !principal.scopes.has(scope));
  if (lacking.length > 0) {
    throw forbidden('scope_escalation', `An API key can't grant scopes it lacks itself: ${lacking.join(', ')}.`);
  }
}

/** Updating or rotating a key hands its powers (or its new secret) to the caller: only within the caller's own scopes. */
function checkCanManage(principal: Principal, target: ApiKeyRecord): void {
  const lacking = target.scopes.filter((scope) => !principal.scopes.has(scope));
  if (lacking.length > 0) {
    throw forbidden('scope_escalation', `An API key can't change or rotate a key holding scopes it lacks itself: ${lacking.join(', ')}.`);
  }
}

/**
 * The expiry a key made or changed by `principal` gets: a caller that expires can't make a key
 * that outlives it. Undefined stays undefined (no change); on create, none means the caller's own.
 */
function boundedExpiry(principal: Principal, requested: string | null | undefined, creating: boolean): string | null | undefined {
  const asked = requested ? new Date(requested).toISOString() : requested;
  if (principal.expiresAt === null) return asked;
  if (asked === undefined) return creating ? principal.expiresAt : undefined;
  if (asked === null || asked > principal.expiresAt) {
    throw forbidden('expiry_escalation', `This API key expires at ${principal.expiresAt}; a key it makes or changes must expire no later.`);
  }
  return asked;
}

/**
 * A key with limits of its own can't make, change or rotate API keys: a key it made, or whose
 * secret it took, would not be bound by them. (Expiry is bounded the same way, by boundedExpiry.)
 */
function checkNotLimited(principal: Principal): void {
  const limits = principal.limits;
  if (limits && (hasLimits(limits.level) || limits.modelLimits.length > 0)) {
    throw forbidden('limits_forbidden', 'An API key with limits of its own can’t make, change or rotate API keys.');
  }
}

/** A user key acts for its own user only: it makes user keys for that user and nothing else. */
function checkUserActs(principal: Principal, type: ApiKeyType, userId: string | undefined): void {
  if (principal.kind !== 'workspace-user') return;
  if (type !== 'workspace-user' || userId !== principal.userId) {
    throw forbidden('user_forbidden', 'A user key can only make user keys for its own user_id.');
  }
}

export async function createApiKey(
  env: Env,
  principal: Principal,
  type: ApiKeyType,
  input: CreateInput,
  audit: AuditRequest,
): Promise<{ id: string; key: string }> {
  checkIdentityFields(principal, type, input);
  assertScope(principal, apiKeyScope(type, 'create'));
  if (type === 'organisation-service' && principal.workspaceId !== null) {
    throw forbidden('api_key_level_forbidden', 'A workspace key can’t create an organisation key.');
  }
  let workspaceId: string | null = null;
  if (type === 'organisation-service') {
    if (input.workspace_id !== undefined) throw invalidRequest('workspace_not_applicable', 'workspace_id: organisation keys belong to no workspace', 'workspace_id');
  } else {
    if (input.workspace_id === undefined) throw invalidRequest('invalid_body', 'workspace_id: required for workspace keys', 'workspace_id');
    workspaceId = namedWorkspace(principal, input.workspace_id);
  }
  if (type === 'workspace-user' && input.user_id === undefined) throw invalidRequest('invalid_body', 'user_id: required for user keys', 'user_id');
  if (type !== 'workspace-user' && input.user_id !== undefined) throw invalidRequest('user_id_not_applicable', 'user_id: only user keys have one', 'user_id');
  checkUserActs(principal, type, input.user_id);
  checkGrantedScopes(principal, type, input.scopes);
  checkNotLimited(principal);
  const expiresAt = boundedExpiry(principal, input.expires_at, true) ?? null;

  const token = await newApiKeyToken();
  const now = new Date().toISOString();
  const record: ApiKeyRecord = {
    id: newApiKeyId(),
    organisationId: principal.organisationId,
    workspaceId,
    type,
    userId: input.user_id ?? null,
    name: input.name,
    description: input.description ?? null,
    scopes: input.scopes,
    defaults: input.defaults ?? {},
    allowedModels: input.allowed_models ?? [],
    limits: storedLimits(input, NO_LIMITS),
    maskedKey: token.masked,
    expiresAt,
    lastUsedAt: null,
    revision: 1,
    createdAt: now,
    updatedAt: now,
  };
  const auditRecord = await changeRecord(env, audit, { resource_type: 'api_key', action: 'create', resource_id: record.id, workspace_id: workspaceId });
  if (!(await auditedWrite(() => insertApiKey(env.DB, record, token.digest, auditRecord)))) {
    throw invalidRequest('workspace_not_found', 'workspace_id names no workspace; list them with GET /v1/admin/workspaces.', 'workspace_id');
  }
  await applyLimitChange(env, [], levelsOf(record));
  return { id: record.id, key: token.key };
}

/**
 * A key the caller can see, checked for the scope `action` needs on keys of its type. A workspace
 * key sees only its workspace's keys; any other is reported exactly like a missing one.
 */
export async function findVisibleApiKey(env: Env, principal: Principal, id: string, action: ApiKeyAction): Promise<ApiKeyRecord> {
  const record = UUID_SHAPE.test(id) ? await findApiKeyById(env.DB, id) : null;
  const visible =
    record !== null &&
    (principal.workspaceId === null || record.workspaceId === principal.workspaceId) &&
    (principal.kind !== 'workspace-user' || record.userId === principal.userId);
  if (!record || !visible) throw notFound('api_key_not_found', 'No such API key, or not one this API key can see.');
  assertScope(principal, apiKeyScope(record.type, action));
  return record;
}

export async function listVisibleApiKeys(env: Env, principal: Principal, query: z.infer<typeof ApiKeyListQuery>) {
  if (query.workspace_id !== undefined && query.workspaceId !== undefined && query.workspace_id !== query.workspaceId) {
    throw invalidRequest('invalid_query', 'workspace_id and workspaceId name different workspaces; send one', 'workspace_id');
  }
  const workspaceId = namedWorkspace(principal, query.workspace_id ?? query.workspaceId);
  const types = API_KEY_TYPES.filter(
    (type) => principal.scopes.has(apiKeyScope(type, 'list')) && (workspaceId === null || type !== 'organisation-service'),
  );
  if (types.length === 0) {
    throw forbidden('missing_scope', 'This API key lacks the scope workspace_service_api_keys.list (or another *_api_keys.list scope).');
  }
  const userId = principal.kind === 'workspace-user' ? (principal.userId ?? undefined) : undefined;
  const page = await listApiKeys(env.DB, { workspaceId: workspaceId ?? undefined, userId, types }, { index: query.current_page, size: query.page_size });
  return { object: 'list' as const, total: page.total, data: page.records.map((record) => toApiKeyObject(record)) };
}

export async function updateApiKeyById(env: Env, principal: Principal, id: string, input: UpdateInput, audit: AuditRequest): Promise<void> {
  if (input.id !== undefined && input.id !== id) throw invalidRequest('id_mismatch', 'id in the body differs from the id in the path.', 'id');
  const current = await findVisibleApiKey(env, principal, id, 'update');
  checkIdentityFields(principal, current.type, input);
  for (const [field, value] of [['workspace_id', current.workspaceId], ['user_id', current.userId]] as const) {
    if (input[field] !== undefined && input[field] !== value) {
      throw invalidRequest('immutable_field', `${field} of an API key can't change; create a new key instead.`, field);
    }
  }
  checkCanManage(principal, current);
  checkNotLimited(principal);
  // Limits bind the app holding the key: the key itself can't lift or reset them.
  if (principal.apiKeyId === current.id && changesLimits(input, current.limits)) {
    throw forbidden('limits_forbidden', 'An API key can’t change or reset its own limits.');
  }
  if (input.scopes) checkGrantedScopes(principal, current.type, input.scopes);
  const expiresAt = boundedExpiry(principal, input.expires_at, false);
  const auditRecord = await changeRecord(env, audit, { resource_type: 'api_key', action: 'update', resource_id: current.id, workspace_id: current.workspaceId });
  const changes = {
    name: input.name ?? current.name,
    description: input.description === undefined ? current.description : input.description,
    scopes: input.scopes ?? current.scopes,
    defaults: input.defaults === undefined ? current.defaults : (input.defaults ?? {}),
    allowedModels: input.allowed_models === undefined ? current.allowedModels : (input.allowed_models ?? []),
    limits: storedLimits(input, current.limits),
    expiresAt: expiresAt === undefined ? current.expiresAt : expiresAt,
    updatedAt: new Date().toISOString(),
  };
  if (!(await auditedWrite(() => updateApiKey(env.DB, current.id, current.revision, changes, auditRecord)))) {
    await findVisibleApiKey(env, principal, id, 'update'); // 404 if it was deleted meanwhile
    throw new KeygateError('conflict', 'concurrent_update', 'The API key was changed by another request; read it again and retry.');
  }
  await evictApiKey(env, await credentialDigests(env.DB, current.id));
  await applyLimitChange(env, levelsOf(current), levelsOf({ ...current, ...changes, revision: current.revision + 1 }), input.reset_usage);
}

export async function deleteApiKeyById(env: Env, principal: Principal, id: string, audit: AuditRequest): Promise<void> {
  const current = await findVisibleApiKey(env, principal, id, 'delete');
  const auditRecord = await changeRecord(env, audit, { resource_type: 'api_key', action: 'delete', resource_id: current.id, workspace_id: current.workspaceId });
  const deleted = await auditedWrite(() => deleteApiKey(env.DB, current.id, auditRecord));
  // Every credential the delete removed, including one a racing rotation had just added.
  await evictApiKey(env, deleted.digests);
  if (!deleted.found) throw notFound('api_key_not_found', 'No such API key, or not one this API key can see.');
  await clearLedgers(env, levelsOf(current));
}

export async function rotateApiKeyById(env: Env, principal: Principal, id: string, input: z.infer<typeof RotateApiKeyBody>, audit: AuditRequest) {
  const current = await findVisibleApiKey(env, principal, id, 'rotate');
  checkCanManage(principal, current);
  checkNotLimited(principal);
  const token = await newApiKeyToken();
  const now = Date.now();
  const transitionEndsAt = new Date(now + (input.key_transition_period_ms ?? MIN_TRANSITION_MS)).toISOString();
  const auditRecord = await changeRecord(env, audit, { resource_type: 'api_key', action: 'rotate', resource_id: current.id, workspace_id: current.workspaceId });
  const rotated = await auditedWrite(() => rotateApiKey(env.DB, current.id, token, new Date(now).toISOString(), transitionEndsAt, auditRecord));
  if (!rotated.found) throw notFound('api_key_not_found', 'No such API key, or not one this API key can see.');
  // Cached copies of the credential now in transition don't know it has begun.
  await evictApiKey(env, rotated.endingDigests);
  return { id: current.id, key: token.key, key_transition_expires_at: transitionEndsAt };
}
