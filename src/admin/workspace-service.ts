// What the workspace routes do, apart from HTTP. A workspace key sees only its own workspace: any
// other is reported exactly like one that does not exist.

import { auditedWrite, changeRecord, type AuditRequest } from '../audit/audit-log';
import type * as z from 'zod/mini';
import { actsIn, type Principal } from '../auth/principal';
import { forbidden, KeygateError, notFound } from '../errors';
import { NO_LIMITS, workspaceLevel } from '../limits/limit-levels';
import { DEFAULT_WORKSPACE_ID, newWorkspaceId } from '../store/identifiers';
import { evictCachedWorkspace } from '../store/workspace-cache';
import type { WorkspaceRecord } from '../store/workspace-record';
import {
  deleteEmptyWorkspace,
  findWorkspace,
  insertWorkspace,
  listWorkspaces,
  updateWorkspace,
  workspaceContents,
} from '../store/workspaces-table';
import { applyLimitChange, changesLimits, clearLedgers, limitsView, liveStates, storedLimits } from './limits-view';
import type { WorkspaceObject } from './workspace-answers';
import type { CreateWorkspaceBody, UpdateWorkspaceBody, WorkspaceListQuery } from './workspace-schemas';

// Every workspace id Keygate issues fits this; anything else can't exist and never reaches storage.
const WORKSPACE_ID_SHAPE = /^[A-Za-z0-9_-]{1,128}$/;
const CREATE_ATTEMPTS = 3;

export function toWorkspaceObject(record: WorkspaceRecord, states?: Parameters<typeof limitsView>[2]): z.infer<typeof WorkspaceObject> {
  // Workspaces take no model rules.
  const { model_limits: _none, ...limits } = limitsView(workspaceLevel(record), [], states);
  return {
    id: record.id,
    slug: record.id,
    name: record.name,
    description: record.description,
    defaults: record.defaults,
    ...limits,
    created_at: record.createdAt,
    last_updated_at: record.updatedAt,
    object: 'workspace',
  };
}

export async function createWorkspace(env: Env, input: z.infer<typeof CreateWorkspaceBody>, audit: AuditRequest): Promise<WorkspaceRecord> {
  const now = new Date().toISOString();
  // Six hex digits can collide for two workspaces of one name; a taken id is drawn again.
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const record: WorkspaceRecord = {
      id: newWorkspaceId(input.name),
      name: input.name,
      description: input.description ?? null,
      defaults: input.defaults ?? {},
      limits: storedLimits(input, NO_LIMITS),
      revision: 1,
      createdAt: now,
      updatedAt: now,
    };
    const auditRecord = await changeRecord(env, audit, { resource_type: 'workspace', action: 'create', resource_id: record.id, workspace_id: record.id });
    if (await auditedWrite(() => insertWorkspace(env.DB, record, auditRecord))) {
      await applyLimitChange(env, [], [workspaceLevel(record)]);
      return record;
    }
  }
  throw new KeygateError('conflict', 'workspace_id_taken', 'Could not draw a free workspace id; try again.');
}

/** A workspace with the live state of its limits, from its ledger. */
export async function toWorkspaceObjectWithState(env: Env, context: Pick<ExecutionContext, 'waitUntil'>, record: WorkspaceRecord) {
  return toWorkspaceObject(record, await liveStates(env, context, [workspaceLevel(record)]));
}

/** A workspace the caller acts in, or 404. */
export async function getWorkspace(env: Env, principal: Principal, id: string): Promise<WorkspaceRecord> {
  const record = WORKSPACE_ID_SHAPE.test(id) && actsIn(principal, id) ? await findWorkspace(env.DB, id) : null;
  if (!record) throw notFound('workspace_not_found', 'No such workspace, or not one this API key can see.');
  return record;
}

export async function listVisibleWorkspaces(env: Env, principal: Principal, query: z.infer<typeof WorkspaceListQuery>) {
  const page = await listWorkspaces(
    env.DB,
    { id: principal.workspaceId ?? undefined, nameContains: query.name, exactName: query.exact_name },
    { index: query.current_page, size: query.page_size },
  );
  return { object: 'list' as const, total: page.total, data: page.records.map((record) => toWorkspaceObject(record)) };
}

export async function updateWorkspaceById(
  env: Env,
  principal: Principal,
  id: string,
  input: z.infer<typeof UpdateWorkspaceBody>,
  audit: AuditRequest,
): Promise<void> {
  const current = await getWorkspace(env, principal, id);
  // A workspace's limits bind every key in it: only the organisation sets them, never its own keys.
  if (principal.workspaceId !== null && changesLimits(input, current.limits)) {
    throw forbidden('limits_forbidden', 'Only an organisation API key can change or reset a workspace’s limits.');
  }
  const updated: WorkspaceRecord = {
    ...current,
    name: input.name ?? current.name,
    description: input.description === undefined ? current.description : input.description,
    defaults: input.defaults === undefined ? current.defaults : (input.defaults ?? {}),
    limits: storedLimits(input, current.limits),
    updatedAt: new Date().toISOString(),
  };
  const auditRecord = await changeRecord(env, audit, { resource_type: 'workspace', action: 'update', resource_id: id, workspace_id: id });
  if (!(await auditedWrite(() => updateWorkspace(env.DB, updated, auditRecord)))) {
    await getWorkspace(env, principal, id); // 404 if it was deleted meanwhile
    throw new KeygateError('conflict', 'concurrent_update', `Workspace ${id} was changed by another request; read it again and retry.`);
  }
  await evictCachedWorkspace(env, id);
  await applyLimitChange(env, [workspaceLevel(current)], [workspaceLevel({ ...updated, revision: current.revision + 1 })], input.reset_usage);
}

/** Deletes an empty workspace. One that still holds keys is refused with 409 and left whole. */
export async function deleteWorkspaceById(env: Env, principal: Principal, id: string, audit: AuditRequest): Promise<void> {
  const current = await getWorkspace(env, principal, id);
  if (current.id === DEFAULT_WORKSPACE_ID) {
    throw new KeygateError('conflict', 'default_workspace', 'The default workspace holds keys created without a workspace_id and cannot be deleted.');
  }
  const auditRecord = await changeRecord(env, audit, { resource_type: 'workspace', action: 'delete', resource_id: current.id, workspace_id: current.id });
  if (await auditedWrite(() => deleteEmptyWorkspace(env.DB, current.id, auditRecord))) {
    await evictCachedWorkspace(env, current.id);
    return clearLedgers(env, [workspaceLevel(current)]);
  }
  const left = await workspaceContents(env.DB, current.id);
  if (left.virtualKeys === 0 && left.apiKeys === 0) throw notFound('workspace_not_found', 'No such workspace, or not one this API key can see.');
  const parts = [
    left.virtualKeys > 0 ? `${left.virtualKeys} virtual key${left.virtualKeys === 1 ? '' : 's'}` : null,
    left.apiKeys > 0 ? `${left.apiKeys} API key${left.apiKeys === 1 ? '' : 's'}` : null,
  ].filter((part) => part !== null);
  throw new KeygateError(
    'conflict',
    'workspace_not_empty',
    `Workspace ${current.id} still holds ${parts.join(' and ')}. Delete or move them first; nothing was deleted.`,
  );
}
