// One page of a table's rows, newest first (unless `orderBy` says otherwise), and the whole count, read in one D1 batch (one round
// trip, one consistent snapshot). `total` is always the whole count, never one page's length.

export interface Page {
  index: number;
  size: number;
}

export interface PageOf<Record> {
  total: number;
  records: Record[];
}

/**
 * `where` uses binds ?1…?n from `binds`; the page's LIMIT and OFFSET follow them. The table and
 * columns are our own constants, never input.
 */
export async function pagedQuery<Record>(
  db: D1Database,
  query: { table: string; columns: string; where: string; binds: unknown[]; orderBy?: string },
  page: Page,
  fromRow: (row: unknown) => Record,
): Promise<PageOf<Record>> {
  const { table, columns, where, binds, orderBy = 'created_at DESC, rowid DESC' } = query;
  const [countResult, rowsResult] = await db.batch([
    db.prepare(`SELECT COUNT(*) AS total FROM ${table} WHERE ${where}`).bind(...binds),
    db
      .prepare(`SELECT ${columns} FROM ${table} WHERE ${where} ORDER BY ${orderBy} LIMIT ?${binds.length + 1} OFFSET ?${binds.length + 2}`)
      .bind(...binds, page.size, page.index * page.size),
  ]);
  const total = Number((countResult?.results[0] as { total?: unknown } | undefined)?.total ?? 0);
  return { total, records: (rowsResult?.results ?? []).map(fromRow) };
}
