// Writing the audit log. A change's record is a statement in the change's own D1 batch (one
// transaction): the change and its record are stored together or not at all, and a batch that
// fails answers 503 with nothing applied. Records are then sealed into the chain by the
// organisation's AuditChain object, after the response (sealInBackground); reading the log seals
// first. Gateway traffic writes no records, apart from budget events (once per budget period).

import { KeygateError } from '../errors';
import { failureFields, logEvent } from '../log';
import type { Principal } from '../auth/principal';
import { insertAuditRecord } from '../store/audit-log-table';
import { organisationId } from '../store/workspaces-table';
import { masterKeyRing } from '../vault/master-key';
import { canonicalRecord, wellFormed, type AuditAction, type AuditRecord, type ResourceType } from './audit-record';
import { chainKey, chainMac, PENDING_LINK } from './chain-keys';

/** What a record says of the request behind it (src/http/audit-request.ts builds it). */
export interface AuditRequest {
  method: string;
  uri: string;
  request_id: string;
  request_body: string;
  query_params: string;
  client_ip: string | null;
  country: string | null;
  /** Null for a request that named no valid key. */
  principal: Principal | null;
}

/** What the record is about, and how it ended. */
export interface AuditSubject {
  resource_type: ResourceType;
  action: AuditAction;
  resource_id: string | null;
  workspace_id?: string | null;
  response_status_code?: number;
}

export async function auditRecord(env: Env, request: AuditRequest, subject: AuditSubject): Promise<AuditRecord> {
  const { principal, ...given } = request;
  const asked = Object.fromEntries(Object.entries(given).map(([field, value]) => [field, typeof value === 'string' ? wellFormed(value) : value]));
  return {
    id: crypto.randomUUID(),
    timestamp: new Date().toISOString(),
    ...(asked as Omit<AuditRequest, 'principal'>),
    user_id: principal?.userId ?? null,
    user_type: principal?.userId ? 'user' : 'api_key',
    api_key_id: principal?.apiKeyId ?? null,
    organisation_id: principal?.organisationId ?? (await organisationId(env.DB)),
    workspace_id: subject.workspace_id ?? null,
    response_status_code: subject.response_status_code ?? 200,
    resource_type: subject.resource_type,
    action: subject.action,
    resource_id: subject.resource_id,
    count: 1,
    key_id: (await masterKeyRing(env)).current.id,
  };
}

/** A record of Keygate's own doing (the Cron re-seal, budget events, a new master key). */
export async function systemRecord(env: Env, subject: AuditSubject & { uri: string; request_body?: unknown }): Promise<AuditRecord> {
  const request = {
    method: 'POST',
    uri: subject.uri,
    request_id: crypto.randomUUID(),
    request_body: JSON.stringify(subject.request_body ?? {}),
    query_params: '{}',
    client_ip: null,
    country: null,
    principal: null,
  };
  return { ...(await auditRecord(env, request, subject)), user_type: 'system' };
}

async function pendingMac(env: Env, record: AuditRecord): Promise<string> {
  const key = await chainKey(env, record.key_id);
  if (!key) throw new Error(`no audit chain key ${record.key_id}`);
  return chainMac(key, PENDING_LINK, canonicalRecord(record));
}

/**
 * The statement that records a change, to run in the change's batch right after the statement
 * that decides whether the change happened: it writes only if that one changed a row.
 */
export async function changeRecord(env: Env, request: AuditRequest, subject: AuditSubject): Promise<D1PreparedStatement> {
  return recordStatement(env, await auditRecord(env, request, subject), true);
}

/** The statement that commits `record`; see insertAuditRecord for `onlyAfterAChange`. */
export async function recordStatement(env: Env, record: AuditRecord, onlyAfterAChange = false): Promise<D1PreparedStatement> {
  return insertAuditRecord(env.DB, record, await pendingMac(env, record), onlyAfterAChange);
}

/** Commits a record on its own: refusals, budget events, a new master key. */
export async function appendAuditRecord(env: Env, record: AuditRecord): Promise<void> {
  await (await recordStatement(env, record)).run();
}

/**
 * Runs a change's D1 write. Its batch holds the change and its record, so a failure means neither
 * was stored: the client gets 503 and may retry.
 */
export async function auditedWrite<Result>(write: () => Promise<Result>): Promise<Result> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof KeygateError) throw error;
    logEvent('error', 'audited_write_failed', failureFields(error));
    throw new KeygateError(
      'unavailable',
      'audit_log_unavailable',
      'The change was not made: Keygate could not store it together with its audit record. Try again shortly.',
    );
  }
}

export async function auditChain(env: Env) {
  return env.AUDIT_CHAIN.get(env.AUDIT_CHAIN.idFromName(await organisationId(env.DB)));
}

/** Seals what is committed; failures are logged, and the next seal picks the records up. */
export async function sealAuditLog(env: Env): Promise<void> {
  try {
    await (await auditChain(env)).seal();
  } catch (error) {
    logEvent('warn', 'audit_seal_failed', failureFields(error));
  }
}

export function sealInBackground(env: Env, context: Pick<ExecutionContext, 'waitUntil'>): void {
  context.waitUntil(sealAuditLog(env));
}

/** Records an event outside any change (a refusal, a budget event), then seals it; never throws. */
export async function recordEvent(env: Env, record: Promise<AuditRecord>): Promise<void> {
  try {
    await appendAuditRecord(env, await record);
  } catch (error) {
    logEvent('warn', 'audit_record_failed', failureFields(error));
    return;
  }
  await sealAuditLog(env);
}
