// D1 queries for `workspaces`, and the organisation every workspace belongs to.

import { runWithRecord } from './audit-log-table';
import { pagedQuery, type Page, type PageOf } from './paged-query';
import { WORKSPACE_COLUMNS, workspaceFromRow, type WorkspaceRecord } from './workspace-record';

/** Inserts the workspace; false when its id is taken (the caller draws another). */
export async function insertWorkspace(db: D1Database, record: WorkspaceRecord, auditRecord?: D1PreparedStatement): Promise<boolean> {
  const insert = db
    .prepare(`INSERT INTO workspaces (${WORKSPACE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING`)
    .bind(record.id, record.name, record.description, JSON.stringify(record.defaults), JSON.stringify(record.limits), record.revision, record.createdAt, record.updatedAt);
  return (await runWithRecord(db, insert, auditRecord)).meta.changes > 0;
}

export async function findWorkspace(db: D1Database, id: string): Promise<WorkspaceRecord | null> {
  const row = await db.prepare(`SELECT ${WORKSPACE_COLUMNS} FROM workspaces WHERE id = ?1`).bind(id).first();
  return row ? workspaceFromRow(row) : null;
}

export interface WorkspaceFilter {
  /** Only this workspace (a workspace key sees its own only). */
  id?: string | undefined;
  /** Names containing this, case-sensitively, as Portkey documents it. */
  nameContains?: string | undefined;
  exactName?: string | undefined;
}

export function listWorkspaces(db: D1Database, filter: WorkspaceFilter, page: Page): Promise<PageOf<WorkspaceRecord>> {
  // instr() matches case-sensitively and treats the text literally (LIKE would read % and _).
  const where = '(?1 IS NULL OR id = ?1) AND (?2 IS NULL OR instr(name, ?2) > 0) AND (?3 IS NULL OR name = ?3)';
  const binds = [filter.id ?? null, filter.nameContains ?? null, filter.exactName ?? null];
  return pagedQuery(db, { table: 'workspaces', columns: WORKSPACE_COLUMNS, where, binds }, page, workspaceFromRow);
}

/** Writes the change if the row is still at the revision read (`record.revision`); false when not. */
export async function updateWorkspace(db: D1Database, record: WorkspaceRecord, auditRecord?: D1PreparedStatement): Promise<boolean> {
  const update = db
    .prepare(
      'UPDATE workspaces SET name = ?3, description = ?4, defaults = ?5, last_updated_at = ?6, limits = ?7, revision = revision + 1 WHERE id = ?1 AND revision = ?2',
    )
    .bind(record.id, record.revision, record.name, record.description, JSON.stringify(record.defaults), record.updatedAt, JSON.stringify(record.limits));
  return (await runWithRecord(db, update, auditRecord)).meta.changes > 0;
}

/** What a workspace still holds, which keeps it from being deleted. */
export async function workspaceContents(db: D1Database, id: string): Promise<{ virtualKeys: number; apiKeys: number }> {
  const row = await db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM virtual_keys WHERE workspace_id = ?1) AS virtual_keys,
              (SELECT COUNT(*) FROM api_keys WHERE workspace_id = ?1) AS api_keys`,
    )
    .bind(id)
    .first<{ virtual_keys: number; api_keys: number }>();
  return { virtualKeys: Number(row?.virtual_keys ?? 0), apiKeys: Number(row?.api_keys ?? 0) };
}

/**
 * Deletes the workspace only if it holds nothing, in one statement, so a key created meanwhile can
 * never be left without its workspace. False when it was not deleted (gone, or not empty).
 */
export async function deleteEmptyWorkspace(db: D1Database, id: string, auditRecord?: D1PreparedStatement): Promise<boolean> {
  const remove = db
    .prepare(
      `DELETE FROM workspaces WHERE id = ?1
         AND NOT EXISTS (SELECT 1 FROM virtual_keys WHERE workspace_id = ?1)
         AND NOT EXISTS (SELECT 1 FROM api_keys WHERE workspace_id = ?1)`,
    )
    .bind(id);
  return (await runWithRecord(db, remove, auditRecord)).meta.changes > 0;
}

// The organisation's id never changes once the migration made it: read once per isolate.
let organisation: Promise<string> | undefined;

export function organisationId(db: D1Database): Promise<string> {
  organisation ??= db
    .prepare('SELECT id FROM organisation LIMIT 1')
    .first<{ id: string }>()
    .then((row) => {
      if (!row) throw new Error('the organisation row is missing: apply the migrations');
      return row.id;
    });
  // A failed read must not stick.
  organisation.catch(() => (organisation = undefined));
  return organisation;
}
