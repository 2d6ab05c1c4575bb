// D1 queries for `audit_log`. Rows come back as StoredAuditRecord; the chain's order is `entry`.

import { SEALED_FIELDS, type AuditRecord, type StoredAuditRecord } from '../audit/audit-record';
import { pagedQuery, type Page, type PageOf } from './paged-query';

const COLUMNS = ['entry', ...SEALED_FIELDS, 'prev_hash', 'hash'].join(', ');
const INSERT = `INSERT INTO audit_log (${SEALED_FIELDS.join(', ')}, hash) SELECT ${SEALED_FIELDS.map((_field, index) => `?${index + 1}`).join(', ')}, ?${SEALED_FIELDS.length + 1}`;

/**
 * Inserts a record not yet sealed. With `onlyAfterAChange`, only when the statement run just
 * before it in the same batch changed a row: how a change and its record commit together.
 */
export function insertAuditRecord(db: D1Database, record: AuditRecord, pendingMac: string, onlyAfterAChange = false): D1PreparedStatement {
  return db.prepare(onlyAfterAChange ? `${INSERT} WHERE changes() > 0` : INSERT).bind(...SEALED_FIELDS.map((field) => record[field]), pendingMac);
}

export async function pendingAuditRecords(db: D1Database, afterEntry: number, limit: number): Promise<StoredAuditRecord[]> {
  const rows = await db
    .prepare(`SELECT ${COLUMNS} FROM audit_log WHERE prev_hash IS NULL AND entry > ?1 ORDER BY entry LIMIT ?2`)
    .bind(afterEntry, limit)
    .all<StoredAuditRecord>();
  return rows.results;
}

export async function lastSealedAuditRecord(db: D1Database): Promise<StoredAuditRecord | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM audit_log WHERE prev_hash IS NOT NULL ORDER BY entry DESC LIMIT 1`).first<StoredAuditRecord>();
}

/** Seals a pending record, unless something sealed it meanwhile. */
export function sealAuditRecordStatement(db: D1Database, entry: number, prevHash: string, hash: string): D1PreparedStatement {
  return db.prepare('UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE entry = ?1 AND prev_hash IS NULL').bind(entry, prevHash, hash);
}

/** Records after `afterEntry` up to `uptoEntry`, in chain order, at most `limit`. */
export async function auditRecordsInChain(db: D1Database, afterEntry: number, uptoEntry: number, limit: number): Promise<StoredAuditRecord[]> {
  const rows = await db
    .prepare(`SELECT ${COLUMNS} FROM audit_log WHERE entry > ?1 AND entry <= ?2 ORDER BY entry LIMIT ?3`)
    .bind(afterEntry, uptoEntry, limit)
    .all<StoredAuditRecord>();
  return rows.results;
}

/** The first row after `entry` that looks sealed. */
export function firstSealedAfter(db: D1Database, entry: number): Promise<{ entry: number; request_id: string; timestamp: string } | null> {
  return db
    .prepare('SELECT entry, request_id, timestamp FROM audit_log WHERE entry > ?1 AND prev_hash IS NOT NULL ORDER BY entry LIMIT 1')
    .bind(entry)
    .first<{ entry: number; request_id: string; timestamp: string }>();
}

/** Equality filters by column; the column names are ours, the values the client's. */
export type AuditFilter = Partial<Record<(typeof SEALED_FIELDS)[number], string | number>>;

export function listAuditRecords(db: D1Database, range: { start: string; end: string }, filter: AuditFilter, page: Page): Promise<PageOf<StoredAuditRecord>> {
  const filters = Object.entries(filter).filter(([field, value]) => value !== undefined && (SEALED_FIELDS as readonly string[]).includes(field));
  const where = ['timestamp >= ?1', 'timestamp <= ?2', ...filters.map(([field], index) => `${field} = ?${index + 3}`)].join(' AND ');
  const binds = [range.start, range.end, ...filters.map(([, value]) => value)];
  // Oldest first: the chain's order.
  return pagedQuery(db, { table: 'audit_log', columns: COLUMNS, where, binds, orderBy: 'entry' }, page, (row) => row as StoredAuditRecord);
}

/**
 * Runs a change's statement, and after it in the same batch (one transaction) the change's audit
 * record, which insertAuditRecord made to write only if the change did. Answers the change's result.
 */
export async function runWithRecord(db: D1Database, change: D1PreparedStatement, auditRecord: D1PreparedStatement | undefined): Promise<D1Result> {
  if (!auditRecord) return change.run();
  const [result] = await db.batch([change, auditRecord]);
  return result!;
}
