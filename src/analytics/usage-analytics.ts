// Every query the analytics API makes, over the usage rows in D1 (usage_events). The one module
// that knows where usage is kept: moving it to Workers Analytics Engine changes this file only.
//
// Every value a caller sends is a bound parameter; lists go in as one JSON parameter read with
// json_each, so a filter of any length is one parameter. Times are compared as the ISO 8601 UTC
// text the rows hold (Date#toISOString), which sorts as time does.

import { bucketStart, type Buckets } from './buckets';

export interface UsageFilter {
  /** [min, max) as ISO 8601 UTC (toISOString). */
  min: string;
  max: string;
  workspaceId: string | null;
  virtualKeys: string[] | null;
  apiKeyIds: string[] | null;
  statusCodes: number[] | null;
  /** `provider__model` pairs, as Portkey's ai_org_model spells them. */
  aiOrgModels: string[] | null;
}

interface Where {
  sql: string;
  binds: unknown[];
}

const LIST_CONDITIONS = [
  ['virtualKeys', 'virtual_key_slug'],
  ['apiKeyIds', 'api_key_id'],
  ['statusCodes', 'status'],
  ['aiOrgModels', "provider || '__' || COALESCE(model, '')"],
] as const;

function whereOf(filter: UsageFilter): Where {
  const conditions = ['created_at >= ?', 'created_at < ?'];
  const binds: unknown[] = [filter.min, filter.max];
  if (filter.workspaceId !== null) {
    conditions.push('workspace_id = ?');
    binds.push(filter.workspaceId);
  }
  for (const [field, column] of LIST_CONDITIONS) {
    const values = filter[field];
    if (values === null) continue;
    conditions.push(`${column} IN (SELECT value FROM json_each(?))`);
    binds.push(JSON.stringify(values));
  }
  return { sql: conditions.join(' AND '), binds };
}

// D1 binds every JavaScript number as REAL: the casts keep this an integer division.
const BUCKET = "(CAST(strftime('%s', created_at) AS INTEGER) - CAST(? AS INTEGER)) / CAST(? AS INTEGER)";
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
/** USD as Portkey reports cost: cents. */
const cents = (usd: number) => round(usd * 100, 6);

export interface BucketTotals {
  timestamp: string;
  requests: number;
  tokens: number;
  /** Cents. */
  cost: number;
  errors: number;
}

/** Requests, tokens, cost and errors in every bucket, empty ones as zeros. */
export async function totalsByBucket(db: D1Database, filter: UsageFilter, buckets: Buckets): Promise<BucketTotals[]> {
  const where = whereOf(filter);
  const { results } = await db
    .prepare(
      `SELECT ${BUCKET} AS bucket, COUNT(*) AS requests, TOTAL(total_tokens) AS tokens, TOTAL(cost_usd) AS cost,
         TOTAL(status >= 400) AS errors
       FROM usage_events WHERE ${where.sql} GROUP BY bucket`,
    )
    .bind(buckets.offset, buckets.size, ...where.binds)
    .all<{ bucket: number; requests: number; tokens: number; cost: number; errors: number }>();
  const found = new Map(results.map((row) => [row.bucket, row]));
  return everyBucket(buckets, (index, timestamp) => {
    const row = found.get(index);
    return { timestamp, requests: row?.requests ?? 0, tokens: row?.tokens ?? 0, cost: cents(row?.cost ?? 0), errors: row?.errors ?? 0 };
  });
}

export interface Latency {
  avg: number;
  p50: number;
  p90: number;
  p99: number;
}

// Nearest-rank percentiles: the smallest latency whose rank in its bucket is at least p of the
// bucket's count. SQLite ranks them with window functions over one sort (both windows share their
// order), so no row is sent to the Worker; each row's bucket is computed once.
const LATENCY_BY_BUCKET = (where: Where) => `WITH rows AS MATERIALIZED (
    SELECT ${BUCKET} AS bucket, latency_ms AS l FROM usage_events WHERE ${where.sql}),
  ranked AS (
    SELECT bucket, l, ROW_NUMBER() OVER byLatency AS rank, COUNT(*) OVER (byLatency ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n
    FROM rows WINDOW byLatency AS (PARTITION BY bucket ORDER BY l))
  SELECT bucket, AVG(l) AS avg, MIN(CASE WHEN rank >= 0.5 * n THEN l END) AS p50,
    MIN(CASE WHEN rank >= 0.9 * n THEN l END) AS p90, MIN(CASE WHEN rank >= 0.99 * n THEN l END) AS p99
  FROM ranked GROUP BY bucket`;

// Over the whole range, from how many calls took each latency (far fewer rows than calls: whole
// milliseconds), ranked by a running sum; all in SQLite, which answers one row.
const LATENCY_OVERALL = (where: Where) => `WITH counts AS (
    SELECT latency_ms AS l, COUNT(*) AS k FROM usage_events WHERE ${where.sql} GROUP BY latency_ms),
  ranked AS (SELECT l, k, SUM(k) OVER (ORDER BY l) AS running, SUM(k) OVER () AS n FROM counts)
  SELECT 0 AS bucket, TOTAL(l * k) / MAX(n) AS avg, MIN(CASE WHEN running >= 0.5 * n THEN l END) AS p50,
    MIN(CASE WHEN running >= 0.9 * n THEN l END) AS p90, MIN(CASE WHEN running >= 0.99 * n THEN l END) AS p99
  FROM ranked`;

type LatencyRow = Latency & { bucket: number };

/** Latency (ms) in every bucket, empty ones as zeros, and over the whole range. */
export async function latencyByBucket(db: D1Database, filter: UsageFilter, buckets: Buckets): Promise<{ summary: Latency; points: Array<Latency & { timestamp: string }> }> {
  const where = whereOf(filter);
  const [perBucket, overall] = await db.batch<LatencyRow>([
    db.prepare(LATENCY_BY_BUCKET(where)).bind(buckets.offset, buckets.size, ...where.binds),
    db.prepare(LATENCY_OVERALL(where)).bind(...where.binds),
  ]);
  const found = new Map(perBucket!.results.map((row) => [row.bucket, row]));
  const latency = (row: Latency | undefined): Latency => ({
    avg: Math.round(row?.avg ?? 0),
    p50: row?.p50 ?? 0,
    p90: row?.p90 ?? 0,
    p99: row?.p99 ?? 0,
  });
  return {
    summary: latency(overall!.results[0]),
    points: everyBucket(buckets, (index, timestamp) => ({ timestamp, ...latency(found.get(index)) })),
  };
}

/** Error answers (status 400 and up) by status code, lowest code first. */
export async function errorsByStatus(db: D1Database, filter: UsageFilter): Promise<Array<{ status_code: number; count: number }>> {
  const where = whereOf(filter);
  const { results } = await db
    .prepare(`SELECT status AS status_code, COUNT(*) AS count FROM usage_events WHERE ${where.sql} AND status >= 400 GROUP BY status ORDER BY status`)
    .bind(...where.binds)
    .all<{ status_code: number; count: number }>();
  return results;
}

/** What a group is keyed by: its columns, and the fields they become on a group row. */
const GROUPINGS = {
  'ai-models': { columns: 'provider, model', fields: (row: Row) => ({ ai_model: row.model, ai_provider: row.provider, ai_org_model: `${row.provider}__${row.model ?? ''}` }) },
  workspaces: { columns: 'workspace_id', fields: (row: Row) => ({ workspace_id: row.workspace_id, workspace_slug: row.workspace_id }) },
  'virtual-keys': { columns: 'virtual_key_slug', fields: (row: Row) => ({ virtual_key: row.virtual_key_slug }) },
  'api-keys': { columns: 'api_key_id', fields: (row: Row) => ({ api_key_id: row.api_key_id }) },
  'status-codes': { columns: 'status', fields: (row: Row) => ({ status_code: row.status }) },
} as const;

export type Grouping = keyof typeof GROUPINGS;
export const GROUPING_NAMES = Object.keys(GROUPINGS) as Grouping[];

type Row = Record<string, string | number | null>;

export interface GroupPage {
  /** Every group the filter finds, not only this page's. */
  total: number;
  data: Array<Record<string, unknown>>;
}

/** One page of groups, the busiest first (ties by key), each with its requests, tokens, cost and average latency. */
export async function groups(db: D1Database, filter: UsageFilter, by: Grouping, page: { index: number; size: number }): Promise<GroupPage> {
  const { columns, fields } = GROUPINGS[by];
  const where = whereOf(filter);
  const [rows, count] = await db.batch<Row>([
    db
      .prepare(
        `SELECT ${columns}, COUNT(*) AS requests, TOTAL(total_tokens) AS tokens, TOTAL(cost_usd) AS cost, AVG(latency_ms) AS avg_latency
         FROM usage_events WHERE ${where.sql} GROUP BY ${columns} ORDER BY requests DESC, ${columns} LIMIT ? OFFSET ?`,
      )
      .bind(...where.binds, page.size, page.index * page.size),
    db.prepare(`SELECT COUNT(*) AS total FROM (SELECT 1 FROM usage_events WHERE ${where.sql} GROUP BY ${columns})`).bind(...where.binds),
  ]);
  return {
    total: Number(count!.results[0]?.total ?? 0),
    data: rows!.results.map((row) => ({
      ...fields(row),
      requests: row.requests,
      tokens: row.tokens,
      cost: cents(Number(row.cost)),
      avg_latency: Math.round(Number(row.avg_latency)),
      object: 'analytics-group',
    })),
  };
}

function everyBucket<Point>(buckets: Buckets, point: (index: number, timestamp: string) => Point): Point[] {
  const points: Point[] = [];
  for (let index = buckets.first; index <= buckets.last; index++) points.push(point(index, bucketStart(buckets, index)));
  return points;
}
