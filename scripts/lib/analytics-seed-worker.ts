// `npm run bench:analytics` only, never deployed: Keygate's Worker plus one route that writes usage
// rows through the write the gateway's usage windows make (writeUsageEvents), so the benchmark's rows are
// exactly what real calls leave. POST /__bench/seed?count=<n>&from=<ms>&to=<ms>[&start=<n>][&ids=random]
// (`ids=random`: random UUIDs as row ids instead of the gateway's time-ordered ones, for
// `npm run bench:usage-rows` to compare). GET /__bench/rows: how many rows are stored.

import keygate from '../../src/index';
import { newUsageEventId } from '../../src/store/identifiers';
import { writeUsageEvents, type UsageEvent } from '../../src/usage/usage-events';

export { AuditChain, KeyLedger } from '../../src/index';

// Rows per write: about one busy window's (500 ms of calls at 1,500 requests a second).
const BATCH = 750;
const MODELS = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['azure-openai', 'gpt-4.1'],
  ['bedrock', 'anthropic.claude-3-5-haiku-20241022-v1:0'],
  ['vertex-ai', 'gemini-2.5-flash'],
] as const;

function event(index: number, at: number, randomId: boolean): UsageEvent {
  const [provider, model] = MODELS[index % MODELS.length]!;
  const promptTokens = 50 + (index % 400);
  const completionTokens = 10 + (index % 90);
  return {
    id: randomId ? crypto.randomUUID() : newUsageEventId(at),
    workspaceId: `ws-bench-${index % 4}`,
    virtualKeyId: `vk_bench_${index % 20}`,
    virtualKeySlug: `bench-key-${index % 20}`,
    apiKeyId: index % 3 === 0 ? null : `ak-bench-${index % 7}`,
    provider,
    model,
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    costUsd: (promptTokens * 2.5 + completionTokens * 10) / 1e6,
    status: index % 50 === 0 ? 429 : index % 97 === 0 ? 502 : 200,
    latencyMs: 80 + ((index * 7919) % 1500),
    estimated: false,
    createdAt: new Date(at).toISOString(),
  };
}

export default {
  async fetch(request, env, context) {
    const url = new URL(request.url);
    // writeUsageEvents logs a failed statement and goes on, as the gateway must; a benchmark must
    // not, so it asks how many rows are stored after seeding.
    if (url.pathname === '/__bench/rows' && request.method === 'GET') {
      return Response.json(await env.DB.prepare('SELECT COUNT(*) AS rows FROM usage_events').first());
    }
    if (url.pathname !== '/__bench/seed' || request.method !== 'POST') return keygate.fetch(request, env, context);
    const count = Number(url.searchParams.get('count'));
    const from = Number(url.searchParams.get('from'));
    const to = Number(url.searchParams.get('to'));
    const start = Number(url.searchParams.get('start') ?? 0);
    const randomIds = url.searchParams.get('ids') === 'random';
    for (let first = 0; first < count; first += BATCH) {
      const events = [];
      for (let index = first; index < Math.min(count, first + BATCH); index++) {
        events.push(event(start + index, from + ((to - from) * index) / count, randomIds));
      }
      await writeUsageEvents(env.DB, events);
    }
    return Response.json({ seeded: count });
  },
} satisfies ExportedHandler<Env>;
