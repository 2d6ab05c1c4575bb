// Every gateway request leaves one row of usage history in D1, written in batches after the response:
// tokens, cost, status, latency, and whether the usage was estimated.

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { newUsageEventId } from '../src/store/identifiers';
import { MAX_STORED_MODEL_CHARS, recordUsageEvent, usageEventsOfKey, type UsageEvent } from '../src/usage/usage-events';
import { bedrockAccessKeyBody, uniqueModel } from './support/bedrock';
import { chat, fakeUpstreamUrl, postKey } from './support/keygate';

async function createKey(body: Record<string, unknown> = { name: 'history', provider: 'openai', key: 'sk-fake-history-0000000000001' }) {
  const created = (await (await postKey(body)).json()) as { data: { id: string; slug: string } };
  return created.data;
}

/** A usage row of key `id` whose prompt tokens number it. */
function usageEvent(id: string, slug: string, index: number): UsageEvent {
  return {
    id: crypto.randomUUID(),
    workspaceId: 'ws_default',
    virtualKeyId: id,
    virtualKeySlug: slug,
    apiKeyId: null,
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTokens: index,
    completionTokens: 1,
    totalTokens: index + 1,
    costUsd: null,
    status: 200,
    latencyMs: 1,
    estimated: false,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index % 60)).toISOString(),
  };
}

/** Records the rows together, as a burst of calls would, and waits for every call's background work. */
async function recordInOneWindow(events: UsageEvent[]): Promise<void> {
  const contexts = events.map(() => createExecutionContext());
  contexts.forEach((context, index) => recordUsageEvent(env.DB, context, events[index]!));
  await Promise.all(contexts.map((context) => waitOnExecutionContext(context)));
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the usage history', () => {
  it('records a plain call with its tokens, list-price cost, status and latency', async () => {
    const { id, slug } = await createKey();
    await (await chat({ model: `@${slug}/gpt-4o-mini` })).text();
    // Usage rows are written in batches after the response; wait for this one.
    await expect.poll(async () => (await usageEventsOfKey(env.DB, id)).length).toBe(1);
    const [event] = await usageEventsOfKey(env.DB, id);
    expect(event).toMatchObject({
      virtual_key_slug: slug,
      provider: 'openai',
      model: 'gpt-4o-mini',
      prompt_tokens: 9,
      completion_tokens: 3,
      total_tokens: 12,
      status: 200,
      estimated: 0,
    });
    expect(event!.cost_usd).toBeCloseTo((9 * 0.15 + 3 * 0.6) / 1_000_000, 12);
    expect(event!.latency_ms).toBeGreaterThanOrEqual(0);
    // A time-ordered UUID (version 7) whose first 48 bits are the row's time in ms.
    expect(event!.id).toMatch(UUID_V7);
    expect(parseInt(event!.id.replace('-', '').slice(0, 12), 16)).toBe(Date.parse(event!.created_at));
  });

  it('records a JSON answer as soon as it is answered, even if the client never reads the body', async () => {
    const { id, slug } = await createKey();
    const response = await chat({ model: `@${slug}/gpt-4o-mini` });
    expect(response.status).toBe(200);
    // The body stays unread: the upstream has answered, so the call is used and must be on record.
    await expect.poll(() => usageEventsOfKey(env.DB, id)).toEqual([expect.objectContaining({ total_tokens: 12, estimated: 0, status: 200 })]);
    await response.body?.cancel();
  });

  it('records a failed call with its status and no tokens', async () => {
    const { id, slug } = await createKey();
    await (await chat({ model: `@${slug}/fail-429` })).text();
    await expect.poll(() => usageEventsOfKey(env.DB, id)).toEqual([expect.objectContaining({ status: 429, total_tokens: 0, estimated: 0, cost_usd: null })]);
  });

  it('records a stream cut short as estimated', async () => {
    const { id, slug } = await createKey();
    const testId = crypto.randomUUID();
    const response = await chat({ model: `@${slug}/hold-stream`, stream: true, max_tokens: 6 }, { 'x-test-id': testId });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await fetch(`${fakeUpstreamUrl()}/__fake/release?test=${testId}`, { method: 'POST' });
    await expect.poll(() => usageEventsOfKey(env.DB, id)).toEqual([expect.objectContaining({ estimated: 1, prompt_tokens: 8, completion_tokens: 0, status: 200 })]);
  });

  it('records a Bedrock stream’s usage from its metadata event', async () => {
    const { id, slug } = await createKey(bedrockAccessKeyBody());
    const model = uniqueModel();
    await (await chat({ model: `@${slug}/${model}`, stream: true })).text();
    await expect.poll(() => usageEventsOfKey(env.DB, id)).toEqual([expect.objectContaining({ provider: 'bedrock', model, total_tokens: 12, estimated: 0 })]);
  });

  it('keeps every row of a burst, written together in batches', async () => {
    const { id, slug } = await createKey();
    const responses = await Promise.all(Array.from({ length: 30 }, () => chat({ model: `@${slug}/gpt-4o-mini` })));
    await Promise.all(responses.map((response) => response.text()));
    await expect.poll(async () => (await usageEventsOfKey(env.DB, id)).length).toBe(30);
  });

  it('writes a window of more rows than one statement holds, every row once', async () => {
    const { id, slug } = await createKey();
    await recordInOneWindow(Array.from({ length: 450 }, (_, index) => usageEvent(id, slug, index)));
    const rows = await usageEventsOfKey(env.DB, id, 1000);
    expect(rows).toHaveLength(450);
    expect(new Set(rows.map((row) => row.prompt_tokens)).size).toBe(450);
  });

  it('keeps at most 256 characters of a model name, so no client text can outgrow a statement', async () => {
    const { id, slug } = await createKey();
    const model = `gpt-${'x'.repeat(20_000)}`;
    await (await chat({ model: `@${slug}/${model}` })).text();
    await expect.poll(async () => (await usageEventsOfKey(env.DB, id)).map((row) => row.model)).toEqual([model.slice(0, MAX_STORED_MODEL_CHARS)]);
  });

  it('loses only the rows of a statement that fails, not the rest of its window', async () => {
    const { id, slug } = await createKey();
    const events = Array.from({ length: 450 }, (_, index) => usageEvent(id, slug, index));
    // The last statement's rows (400 onwards) repeat an id among themselves: that statement fails.
    events[449]!.id = events[420]!.id;
    await recordInOneWindow(events);
    const rows = await usageEventsOfKey(env.DB, id, 1000);
    expect(rows).toHaveLength(400);
    expect(Math.max(...rows.map((row) => row.prompt_tokens))).toBe(399);
  });
});

describe('usage row ids', () => {
  it('are version-7 UUIDs that sort in the order of their times, and never repeat', () => {
    const times = Array.from({ length: 2_000 }, () => Math.floor(Math.random() * 2 ** 47));
    times.push(0, 2 ** 48 - 1, Date.parse('2026-11-30T17:00:00Z'));
    const ids = times.map((at) => ({ at, id: newUsageEventId(at) }));
    for (const { at, id } of ids) {
      expect(id).toMatch(UUID_V7);
      expect(parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(at);
    }
    const byId = [...ids].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let index = 1; index < byId.length; index++) expect(byId[index]!.at).toBeGreaterThanOrEqual(byId[index - 1]!.at);
    const sameMoment = Array.from({ length: 5_000 }, () => newUsageEventId(1_700_000_000_000));
    expect(new Set(sameMoment).size).toBe(sameMoment.length);
  });
});
