// D1 queries for the `virtual_keys` table. Each takes the database, binds by number and maps
// rows through recordFromRow, so a malformed row fails loudly instead of flowing on as a cast.

import { recordFromRow, type VirtualKeyRecord, type VirtualKeyStatus } from './virtual-key-record';

const COLUMNS = `id, workspace_id, slug, name, note, provider, status, provider_config, secret_envelope,
  secret_key_id, masked_secrets, expires_at, rate_limits, usage_limits, revision, created_at, updated_at`;

export async function insertVirtualKey(db: D1Database, record: VirtualKeyRecord): Promise<void> {
  await db
    .prepare(
      `INSERT INTO virtual_keys (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)`,
    )
    .bind(
      record.id,
      record.workspaceId,
      record.slug,
      record.name,
      record.note,
      record.provider,
      record.status,
      JSON.stringify(record.providerConfig),
      record.secretEnvelope,
      record.secretKeyId,
      JSON.stringify(record.maskedSecrets),
      record.expiresAt,
      JSON.stringify(record.rateLimits),
      record.usageLimits === null ? null : JSON.stringify(record.usageLimits),
      record.revision,
      record.createdAt,
      record.updatedAt,
    )
    .run();
}

export async function findVirtualKeyBySlug(db: D1Database, slug: string): Promise<VirtualKeyRecord | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM virtual_keys WHERE slug = ?1`).bind(slug).first();
  return row ? recordFromRow(row) : null;
}

export interface VirtualKeyPage {
  total: number;
  records: VirtualKeyRecord[];
}

export async function listVirtualKeys(
  db: D1Database,
  workspaceId: string,
  page: { index: number; size: number },
): Promise<VirtualKeyPage> {
  const [countResult, rowsResult] = await db.batch([
    db.prepare('SELECT COUNT(*) AS total FROM virtual_keys WHERE workspace_id = ?1').bind(workspaceId),
    db
      .prepare(
        `SELECT ${COLUMNS} FROM virtual_keys WHERE workspace_id = ?1
         ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3`,
      )
      .bind(workspaceId, page.size, page.index * page.size),
  ]);
  const total = Number((countResult?.results[0] as { total?: unknown } | undefined)?.total ?? 0);
  return { total, records: (rowsResult?.results ?? []).map(recordFromRow) };
}

/** The fields an update may change. Identity (id, slug, workspace, provider) never changes. */
export interface VirtualKeyChanges {
  name: string;
  note: string | null;
  status: VirtualKeyStatus;
  providerConfig: Record<string, unknown>;
  secretEnvelope: string;
  secretKeyId: string;
  maskedSecrets: Record<string, string>;
  expiresAt: string | null;
  rateLimits: VirtualKeyRecord['rateLimits'];
  usageLimits: VirtualKeyRecord['usageLimits'];
  updatedAt: string;
}

/**
 * Writes the whole changed state in one statement, if the row is still at the revision the caller
 * read. Returns false when it is not (changed meanwhile, or deleted); nothing is written then.
 */
export async function updateVirtualKey(
  db: D1Database,
  id: string,
  readRevision: number,
  changes: VirtualKeyChanges,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE virtual_keys SET name = ?2, note = ?3, status = ?4, provider_config = ?5, secret_envelope = ?6,
         secret_key_id = ?7, masked_secrets = ?8, expires_at = ?9, updated_at = ?10, rate_limits = ?12,
         usage_limits = ?13, revision = revision + 1
       WHERE id = ?1 AND revision = ?11`,
    )
    .bind(
      id,
      changes.name,
      changes.note,
      changes.status,
      JSON.stringify(changes.providerConfig),
      changes.secretEnvelope,
      changes.secretKeyId,
      JSON.stringify(changes.maskedSecrets),
      changes.expiresAt,
      changes.updatedAt,
      readRevision,
      JSON.stringify(changes.rateLimits),
      changes.usageLimits === null ? null : JSON.stringify(changes.usageLimits),
    )
    .run();
  return result.meta.changes > 0;
}

export async function deleteVirtualKey(db: D1Database, id: string): Promise<boolean> {
  const result = await db.prepare('DELETE FROM virtual_keys WHERE id = ?1').bind(id).run();
  return result.meta.changes > 0;
}
