// The usage history: one row per gateway request, written after the response.

import { z } from 'zod';

export interface UsageEvent {
  id: string;
  workspaceId: string;
  virtualKeyId: string;
  virtualKeySlug: string;
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

export async function insertUsageEvent(db: D1Database, event: UsageEvent): Promise<void> {
  await db
    .prepare(
      `INSERT INTO usage_events (id, workspace_id, virtual_key_id, virtual_key_slug, provider, model, prompt_tokens,
         completion_tokens, total_tokens, cost_usd, status, latency_ms, estimated, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)`,
    )
    .bind(
      event.id,
      event.workspaceId,
      event.virtualKeyId,
      event.virtualKeySlug,
      event.provider,
      event.model,
      event.promptTokens,
      event.completionTokens,
      event.totalTokens,
      event.costUsd,
      event.status,
      event.latencyMs,
      event.estimated ? 1 : 0,
      event.createdAt,
    )
    .run();
}

const UsageEventRowSchema = z.object({
  id: z.string(),
  virtual_key_slug: z.string(),
  provider: z.string(),
  model: z.string().nullable(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number(),
  cost_usd: z.number().nullable(),
  status: z.number(),
  latency_ms: z.number(),
  estimated: z.number(),
  created_at: z.string(),
});

export type UsageEventRow = z.infer<typeof UsageEventRowSchema>;

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
  return rows.results.map((row) => UsageEventRowSchema.parse(row));
}
