// The usage history: one row per gateway request, written after the response.

import * as z from 'zod/mini';
import { failureFields, logEvent } from '../log';

export interface UsageEvent {
  id: string;
  workspaceId: string;
  virtualKeyId: string;
  virtualKeySlug: string;
  /** The API key that made the call; null for the bootstrap ADMIN_API_KEY. */
  apiKeyId: string | null;
  provider: string;
  model: string | null;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number | null;
  status: number;
  latencyMs: number;
  estimated: boolean;
  createdAt: string;
}

// The columns in the order each event is sent as a JSON array. One statement then inserts a whole
// batch from one bound parameter (D1 allows 100 parameters a statement, 6 rows of 15 columns),
// and costs D1 one statement instead of one per row.
const INSERT_EVENTS = `INSERT INTO usage_events (id, workspace_id, virtual_key_id, virtual_key_slug, provider, model,
    prompt_tokens, completion_tokens, total_tokens, cost_usd, status, latency_ms, estimated, created_at, api_key_id)
  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
    json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'),
    json_extract(value, '$[8]'), json_extract(value, '$[9]'), json_extract(value, '$[10]'), json_extract(value, '$[11]'),
    json_extract(value, '$[12]'), json_extract(value, '$[13]'), json_extract(value, '$[14]')
  FROM json_each(?1)`;

/**
 * The longest model name a row keeps. The name is the client's text (up to the body limit): kept
 * whole, one call could make a statement exceed D1's 2 MB value limit and cost every row written
 * with it. Every other column is Keygate's own or bounded (slugs: 128 characters).
 */
export const MAX_STORED_MODEL_CHARS = 256;

function asRow(event: UsageEvent): unknown[] {
  return [
    event.id,
    event.workspaceId,
    event.virtualKeyId,
    event.virtualKeySlug,
    event.provider,
    event.model === null ? null : event.model.slice(0, MAX_STORED_MODEL_CHARS),
    event.promptTokens,
    event.completionTokens,
    event.totalTokens,
    event.costUsd,
    event.status,
    event.latencyMs,
    event.estimated ? 1 : 0,
    event.createdAt,
    event.apiKeyId,
  ];
}

// A D1 write per request was the largest cost on the gateway's path after the KV read, and a D1
// call per 50 ms still cost about 15% of the runtime's CPU under load here (docs/benchmarks.md).
// Events are gathered per isolate and written together: a window opens with the first event and
// closes once no event has come for QUIET_MS (a lone call, or the end of a burst), or WINDOW_MS
// after it opened (steady load). The request that opens a window keeps it alive with waitUntil
// until its events are written, so no event waits on a request that has already finished. A
// window's events go in one D1 call: statements of ROWS_PER_STATEMENT rows (about 300 bytes each
// as JSON, bound as one parameter) in one batch.
const QUIET_MS = 20;
const WINDOW_MS = 500;
const ROWS_PER_STATEMENT = 200;
let pending: UsageEvent[] = [];
let windowOpen = false;
let eventsRecorded = 0;

export function recordUsageEvent(db: D1Database, context: Pick<ExecutionContext, 'waitUntil'>, event: UsageEvent): void {
  pending.push(event);
  eventsRecorded++;
  if (windowOpen) return;
  windowOpen = true;
  context.waitUntil(writeWhenWindowCloses(db));
}

async function writeWhenWindowCloses(db: D1Database): Promise<void> {
  // One timer per QUIET_MS, not one per event. Ticks and a count, not clocks: a window must close
  // even where Date.now() stands still (workerd advances it only on I/O; tests freeze it).
  for (let tick = 1; ; tick++) {
    const recordedBefore = eventsRecorded;
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    if (eventsRecorded === recordedBefore || tick * QUIET_MS >= WINDOW_MS) break;
  }
  windowOpen = false;
  const events = pending;
  pending = [];
  await writeUsageEvents(db, events);
}

/**
 * Writes a window's events in one D1 call: statements of ROWS_PER_STATEMENT rows in one batch. A
 * statement that fails costs only its own rows.
 */
export async function writeUsageEvents(db: D1Database, events: readonly UsageEvent[]): Promise<void> {
  if (events.length === 0) return;
  const chunks: UsageEvent[][] = [];
  for (let start = 0; start < events.length; start += ROWS_PER_STATEMENT) chunks.push(events.slice(start, start + ROWS_PER_STATEMENT));
  const statementOf = (chunk: UsageEvent[]) => db.prepare(INSERT_EVENTS).bind(JSON.stringify(chunk.map(asRow)));
  try {
    await (chunks.length === 1 ? statementOf(chunks[0]!).run() : db.batch(chunks.map(statementOf)));
  } catch {
    // A batch is one transaction: one bad statement (or a passing failure) would lose them all.
    // Each chunk is tried once more alone, so a failure costs only its own rows.
    for (const chunk of chunks) {
      try {
        await statementOf(chunk).run();
      } catch (error) {
        logEvent('warn', 'usage_events_not_written', { count: chunk.length, ...failureFields(error) });
      }
    }
  }
}

// A function, not a schema: only usageEventsOfKey (which only tests call) needs it, and a schema
// declared at the top of a module stays in the Worker's bundle even when nothing uses it.
const usageEventRowSchema = () =>
  z.object({
    id: z.string(),
    virtual_key_slug: z.string(),
    provider: z.string(),
    model: z.nullable(z.string()),
    prompt_tokens: z.number(),
    completion_tokens: z.number(),
    total_tokens: z.number(),
    cost_usd: z.nullable(z.number()),
    status: z.number(),
    latency_ms: z.number(),
    estimated: z.number(),
    created_at: z.string(),
  });

export type UsageEventRow = z.infer<ReturnType<typeof usageEventRowSchema>>;

/** A key's latest usage events, newest first. */
export async function usageEventsOfKey(db: D1Database, virtualKeyId: string, limit = 100): Promise<UsageEventRow[]> {
  const rows = await db
    .prepare(
      `SELECT id, virtual_key_slug, provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd, status,
         latency_ms, estimated, created_at
       FROM usage_events WHERE virtual_key_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2`,
    )
    .bind(virtualKeyId, limit)
    .all();
  const schema = usageEventRowSchema();
  return rows.results.map((row) => schema.parse(row));
}
