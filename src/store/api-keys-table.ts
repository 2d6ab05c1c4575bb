// D1 queries for `api_keys` and `api_key_credentials`. Numbered binds; rows are parsed through
// apiKeyFromRow, so a malformed row fails loudly instead of flowing on as a cast.

import { runWithRecord } from './audit-log-table';
import { API_KEY_COLUMNS, apiKeyFromRow, type ApiKeyRecord, type AuthenticatedApiKey } from './api-key-record';
import { pagedQuery, type Page, type PageOf } from './paged-query';

const COLUMNS = API_KEY_COLUMNS.join(', ');
const QUALIFIED_COLUMNS = API_KEY_COLUMNS.map((column) => `k.${column}`).join(', ');

/**
 * Inserts the key and its first credential in one batch (one transaction), but only while its
 * workspace exists: a key can't be created into a workspace being deleted. False when it doesn't.
 */
export async function insertApiKey(db: D1Database, record: ApiKeyRecord, digest: string, auditRecord?: D1PreparedStatement): Promise<boolean> {
  const values = [
    record.id,
    record.organisationId,
    record.workspaceId,
    record.type,
    record.userId,
    record.name,
    record.description,
    JSON.stringify(record.scopes),
    JSON.stringify(record.defaults),
    JSON.stringify(record.allowedModels),
    JSON.stringify(record.limits),
    record.maskedKey,
    record.expiresAt,
    record.lastUsedAt,
    record.revision,
    record.createdAt,
    record.updatedAt,
  ];
  const placeholders = values.map((_value, index) => `?${index + 1}`).join(', ');
  const [inserted] = await db.batch([
    db
      .prepare(
        `INSERT INTO api_keys (${COLUMNS}) SELECT ${placeholders}
         WHERE ?3 IS NULL OR EXISTS (SELECT 1 FROM workspaces WHERE id = ?3)`,
      )
      .bind(...values),
    // The record right after the statement that decides, so it is written only with the key.
    ...(auditRecord ? [auditRecord] : []),
    db
      .prepare('INSERT INTO api_key_credentials (digest, api_key_id, expires_at, created_at) SELECT ?1, ?2, NULL, ?3 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?2)')
      .bind(digest, record.id, record.createdAt),
  ]);
  return (inserted?.meta.changes ?? 0) > 0;
}

export async function findApiKeyById(db: D1Database, id: string): Promise<ApiKeyRecord | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?1`).bind(id).first();
  return row ? apiKeyFromRow(row) : null;
}

/** The key one of whose credentials has this digest, and when that credential stops working. */
export async function findApiKeyByDigest(db: D1Database, digest: string): Promise<AuthenticatedApiKey | null> {
  const row = await db
    .prepare(
      `SELECT ${QUALIFIED_COLUMNS}, c.expires_at AS credential_expires_at
       FROM api_key_credentials c JOIN api_keys k ON k.id = c.api_key_id WHERE c.digest = ?1`,
    )
    .bind(digest)
    .first<Record<string, unknown>>();
  if (!row) return null;
  const { credential_expires_at: credentialExpiresAt, ...keyRow } = row;
  return { key: apiKeyFromRow(keyRow), credentialExpiresAt: typeof credentialExpiresAt === 'string' ? credentialExpiresAt : null };
}

export interface ApiKeyFilter {
  /** Only keys of this workspace; undefined for every workspace and the organisation's keys. */
  workspaceId?: string | undefined;
  /** Only keys of this user. */
  userId?: string | undefined;
  types: readonly string[];
}

export function listApiKeys(db: D1Database, filter: ApiKeyFilter, page: Page): Promise<PageOf<ApiKeyRecord>> {
  const where = 'type IN (SELECT value FROM json_each(?1)) AND (?2 IS NULL OR workspace_id = ?2) AND (?3 IS NULL OR user_id = ?3)';
  const binds = [JSON.stringify(filter.types), filter.workspaceId ?? null, filter.userId ?? null];
  return pagedQuery(db, { table: 'api_keys', columns: COLUMNS, where, binds }, page, apiKeyFromRow);
}

/** Fields an update may change. Type, workspace and user never change. */
export type ApiKeyChanges = Pick<ApiKeyRecord, 'name' | 'description' | 'scopes' | 'defaults' | 'allowedModels' | 'limits' | 'expiresAt' | 'updatedAt'>;

/** Writes the change if the row is still at the revision read; false when it is not. */
export async function updateApiKey(db: D1Database, id: string, readRevision: number, changes: ApiKeyChanges, auditRecord?: D1PreparedStatement): Promise<boolean> {
  const update = db
    .prepare(
      `UPDATE api_keys SET name = ?3, description = ?4, scopes = ?5, defaults = ?6, expires_at = ?7, last_updated_at = ?8, allowed_models = ?9, limits = ?10,
         revision = revision + 1 WHERE id = ?1 AND revision = ?2`,
    )
    .bind(id, readRevision, changes.name, changes.description, JSON.stringify(changes.scopes), JSON.stringify(changes.defaults), changes.expiresAt, changes.updatedAt, JSON.stringify(changes.allowedModels), JSON.stringify(changes.limits));
  return (await runWithRecord(db, update, auditRecord)).meta.changes > 0;
}

/** The digests of every credential of a key: what its caches are keyed by. */
export async function credentialDigests(db: D1Database, id: string): Promise<string[]> {
  const rows = await db.prepare('SELECT digest FROM api_key_credentials WHERE api_key_id = ?1').bind(id).all<{ digest: string }>();
  return rows.results.map((row) => row.digest);
}

/** Deletes a key and its credentials in one transaction; says which digests it removed. */
export async function deleteApiKey(db: D1Database, id: string, auditRecord?: D1PreparedStatement): Promise<{ found: boolean; digests: string[] }> {
  const [credentials, deleted] = await db.batch<{ digest: string }>([
    db.prepare('DELETE FROM api_key_credentials WHERE api_key_id = ?1 RETURNING digest').bind(id),
    db.prepare('DELETE FROM api_keys WHERE id = ?1').bind(id),
    ...(auditRecord ? [auditRecord] : []),
  ]);
  return { found: (deleted?.meta.changes ?? 0) > 0, digests: (credentials?.results ?? []).map((row) => row.digest) };
}

/**
 * Rotation in one transaction: the current credential ends at `transitionEndsAt`, ones already
 * ended are dropped, and the new credential starts. An older credential still in its own
 * transition keeps the end it was promised. Says whether the key was there, and which
 * credentials (their digests) now end.
 */
export async function rotateApiKey(
  db: D1Database,
  id: string,
  next: { digest: string; masked: string },
  now: string,
  transitionEndsAt: string,
  auditRecord?: D1PreparedStatement,
): Promise<{ found: boolean; endingDigests: string[] }> {
  const statements = [
    db.prepare('UPDATE api_keys SET masked_key = ?2, last_updated_at = ?3, revision = revision + 1 WHERE id = ?1').bind(id, next.masked, now),
    db.prepare('DELETE FROM api_key_credentials WHERE api_key_id = ?1 AND expires_at IS NOT NULL AND expires_at <= ?2').bind(id, now),
    db
      .prepare('UPDATE api_key_credentials SET expires_at = ?2 WHERE api_key_id = ?1 AND expires_at IS NULL RETURNING digest')
      .bind(id, transitionEndsAt),
    db
      .prepare('INSERT INTO api_key_credentials (digest, api_key_id, expires_at, created_at) SELECT ?1, ?2, NULL, ?3 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?2)')
      .bind(next.digest, id, now),
  ];
  // The record right after the statement that decides whether the key is there.
  if (auditRecord) statements.splice(1, 0, auditRecord);
  const results = await db.batch<{ digest: string }>(statements);
  const ending = results[auditRecord ? 3 : 2];
  return { found: (results[0]?.meta.changes ?? 0) > 0, endingDigests: (ending?.results ?? []).map((row) => row.digest) };
}

export async function recordApiKeyUse(db: D1Database, id: string, at: string): Promise<void> {
  await db.prepare('UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)').bind(id, at).run();
}

/** Whether any API key exists: what decides the error when no key matches and ADMIN_API_KEY is unset. */
export async function anyApiKeyExists(db: D1Database): Promise<boolean> {
  return (await db.prepare('SELECT 1 AS found FROM api_keys LIMIT 1').first()) !== null;
}
