// D1 queries for the `virtual_keys` table. Each takes the database, binds by number and maps
// rows through recordFromRow, so a malformed row fails loudly instead of flowing on as a cast.

import { runWithRecord } from './audit-log-table';
import { pagedQuery, type Page, type PageOf } from './paged-query';
import { recordFromRow, type VirtualKeyRecord, type VirtualKeyStatus } from './virtual-key-record';

// The columns an update may change, in one order shared by insert and update, and their values.
const CHANGEABLE_COLUMNS = [
  'name',
  'note',
  'status',
  'provider_config',
  'secret_envelope',
  'secret_key_id',
  'masked_secrets',
  'expires_at',
  'rate_limits',
  'usage_limits',
  'allowed_models',
  'model_limits',
  'updated_at',
] as const;

function changeableValues(changes: VirtualKeyChanges): Array<string | null> {
  return [
    changes.name,
    changes.note,
    changes.status,
    JSON.stringify(changes.providerConfig),
    changes.secretEnvelope,
    changes.secretKeyId,
    JSON.stringify(changes.maskedSecrets),
    changes.expiresAt,
    JSON.stringify(changes.rateLimits),
    changes.usageLimits === null ? null : JSON.stringify(changes.usageLimits),
    JSON.stringify(changes.allowedModels),
    JSON.stringify(changes.modelLimits),
    changes.updatedAt,
  ];
}

const IDENTITY_COLUMNS = ['id', 'workspace_id', 'slug', 'provider', 'revision', 'created_at'] as const;
const COLUMNS = [...IDENTITY_COLUMNS, ...CHANGEABLE_COLUMNS].join(', ');

/** Inserts the key only while its workspace exists (?2), in one statement; false when it does not. */
export async function insertVirtualKey(db: D1Database, record: VirtualKeyRecord, auditRecord?: D1PreparedStatement): Promise<boolean> {
  const values = [record.id, record.workspaceId, record.slug, record.provider, record.revision, record.createdAt, ...changeableValues(record)];
  const placeholders = values.map((_value, index) => `?${index + 1}`).join(', ');
  const insert = db
    .prepare(`INSERT INTO virtual_keys (${COLUMNS}) SELECT ${placeholders} WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = ?2)`)
    .bind(...values);
  return (await runWithRecord(db, insert, auditRecord)).meta.changes > 0;
}

export async function findVirtualKeyBySlug(db: D1Database, slug: string): Promise<VirtualKeyRecord | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM virtual_keys WHERE slug = ?1`).bind(slug).first();
  return row ? recordFromRow(row) : null;
}

/** A page of keys of one workspace, or of every workspace when `workspaceId` is null. */
export function listVirtualKeys(db: D1Database, workspaceId: string | null, page: Page): Promise<PageOf<VirtualKeyRecord>> {
  return pagedQuery(db, { table: 'virtual_keys', columns: COLUMNS, where: '?1 IS NULL OR workspace_id = ?1', binds: [workspaceId] }, page, recordFromRow);
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
  allowedModels: string[];
  modelLimits: VirtualKeyRecord['modelLimits'];
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
  auditRecord?: D1PreparedStatement,
): Promise<boolean> {
  // ?1 is the id and ?2 the revision read; the changeable columns follow from ?3.
  const assignments = CHANGEABLE_COLUMNS.map((column, index) => `${column} = ?${index + 3}`).join(', ');
  const update = db
    .prepare(`UPDATE virtual_keys SET ${assignments}, revision = revision + 1 WHERE id = ?1 AND revision = ?2`)
    .bind(id, readRevision, ...changeableValues(changes));
  return (await runWithRecord(db, update, auditRecord)).meta.changes > 0;
}

export async function deleteVirtualKey(db: D1Database, id: string, auditRecord?: D1PreparedStatement): Promise<boolean> {
  const result = await runWithRecord(db, db.prepare('DELETE FROM virtual_keys WHERE id = ?1').bind(id), auditRecord);
  return result.meta.changes > 0;
}
