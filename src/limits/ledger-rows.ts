// A ledger's storage: rows in its Durable Object's SQLite, one per reservation and expired
// reservation (what grows with traffic), and one `meta` row for the rest (settings, budget, clock,
// and the counters of the current windows, a handful). A call writes only the rows it changed. Nothing outlives its use: windows end,
// reservations settle or expire, and the ledger forgets the rest after a fixed time (an alarm
// sees to it without traffic), so storage stays bounded whatever the traffic. Before issue 13 the
// whole state was one value, rewritten by every call; a ledger still holding it moves it here.

/** The collections kept a row per entry, by kind. */
export const ROW_KINDS = ['reservations', 'expired'] as const;
export type RowKind = (typeof ROW_KINDS)[number];

/**
 * A Map that notes which keys changed, so a save writes only those rows. Its order is the order
 * entries were first set, which for the ledger is time order: the oldest entry is the first.
 */
export class TrackedMap<Value> extends Map<string, Value> {
  readonly changed = new Set<string>();

  override set(key: string, value: Value): this {
    this.changed?.add(key); // Map's constructor calls set before the field exists
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    this.changed.add(key);
    return super.delete(key);
  }

  /** The oldest entry's value, without walking the rest. */
  first(): Value | undefined {
    return this.values().next().value;
  }
}

export class LedgerRows {
  private readonly sql: SqlStorage;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    this.create();
  }

  /** The table, made when missing (a new ledger, or one emptied by deleteAll). */
  create(): void {
    this.sql.exec('CREATE TABLE IF NOT EXISTS ledger_rows (kind TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, id))');
  }

  /** Every stored row, in the order it was first written: the ledger's entries are in time order. */
  load(): { meta: unknown; rows: Record<RowKind, Array<[string, unknown]>> } {
    const rows = Object.fromEntries(ROW_KINDS.map((kind) => [kind, [] as Array<[string, unknown]>])) as Record<RowKind, Array<[string, unknown]>>;
    let meta: unknown;
    for (const row of this.sql.exec<{ kind: string; id: string; value: string }>('SELECT kind, id, value FROM ledger_rows ORDER BY rowid')) {
      if (row.kind === 'meta') meta = JSON.parse(row.value);
      else if (row.kind in rows) rows[row.kind as RowKind].push([row.id, JSON.parse(row.value)]);
    }
    return { meta, rows };
  }

  /** Writes the changed rows of `maps` and the meta row. An update keeps a row's place in order. */
  save(maps: Record<RowKind, TrackedMap<unknown>>, meta: unknown): void {
    // One transaction: a write that throws leaves none of the others behind, and the changes stay
    // noted for the next save.
    this.storage.transactionSync(() => {
      for (const kind of ROW_KINDS) {
        const map = maps[kind];
        for (const id of map.changed) {
          const value = map.get(id);
          if (value === undefined) this.sql.exec('DELETE FROM ledger_rows WHERE kind = ? AND id = ?', kind, id);
          else this.upsert(kind, id, value);
        }
      }
      this.upsert('meta', '', meta);
    });
    for (const kind of ROW_KINDS) maps[kind].changed.clear();
  }

  /** How many rows each kind has (for tests of the bound). */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const row of this.sql.exec<{ kind: string; rows: number }>('SELECT kind, COUNT(*) AS rows FROM ledger_rows GROUP BY kind')) counts[row.kind] = row.rows;
    return counts;
  }

  private upsert(kind: string, id: string, value: unknown): void {
    this.sql.exec(
      'INSERT INTO ledger_rows (kind, id, value) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value',
      kind,
      id,
      JSON.stringify(value),
    );
  }
}
