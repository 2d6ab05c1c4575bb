// The analytics API over usage rows in the real local D1. Rows are written through the insert
// path the gateway uses (writeUsageEvents), each test in a time range of its own; one test makes
// real gateway calls to see the rows they leave.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { writeUsageEvents, type UsageEvent } from '../src/usage/usage-events';
import { chatAs, createApiKey, createVirtualKeyIn, createWorkspace, createWorkspaceKey, requestAs } from './support/access';
import { ADMIN_API_KEY, callKeygate, expectError } from './support/keygate';

let day = 0;
/** A fresh day for each test, so their rows never meet: 2025-01-01 plus n days. */
function freshDay(): number {
  return Date.UTC(2025, 0, 1) + day++ * 86_400_000;
}

function row(at: number, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    id: crypto.randomUUID(),
    workspaceId: 'ws-analytics',
    virtualKeyId: 'vk_1',
    virtualKeySlug: 'key-one',
    apiKeyId: null,
    provider: 'openai',
    model: 'gpt-4o',
    promptTokens: 7,
    completionTokens: 3,
    totalTokens: 10,
    costUsd: 0.001,
    status: 200,
    latencyMs: 100,
    estimated: false,
    createdAt: new Date(at).toISOString(),
    ...overrides,
  };
}

async function seed(rows: UsageEvent[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 100) await writeUsageEvents(env.DB, rows.slice(start, start + 100));
}

const range = (from: number, to: number) => `time_of_generation_min=${new Date(from).toISOString()}&time_of_generation_max=${new Date(to).toISOString()}`;

async function get<Body>(path: string, as = ADMIN_API_KEY): Promise<Body> {
  const response = await requestAs(as, 'GET', path);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Body;
}

interface Graph {
  object: string;
  summary: Record<string, number>;
  data_points: Array<Record<string, number | string>>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('the time range', () => {
  it.each([
    ['missing', '', 'time_of_generation_min'],
    ['without an offset', 'time_of_generation_min=2025-01-01T00:00:00&time_of_generation_max=2025-01-02T00:00:00Z', 'time_of_generation_min'],
    ['reversed', 'time_of_generation_min=2025-01-02T00:00:00Z&time_of_generation_max=2025-01-01T00:00:00Z', 'time_of_generation_max'],
    ['longer than 200 weeks', 'time_of_generation_min=2020-01-01T00:00:00Z&time_of_generation_max=2023-11-01T00:00:01Z', 'time_of_generation_max'],
    ['past the year 9999 in UTC, and so after the end', 'time_of_generation_min=9999-12-31T23:00:00-05:00&time_of_generation_max=9999-12-31T23:30:00Z', 'time_of_generation_min'],
  ])('is a 400 when %s, for graphs and groups alike', async (_case, query, param) => {
    for (const path of ['graphs/requests', 'graphs/errors/status-codes', 'groups/status-codes']) {
      const body = await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/analytics/${path}?${query}`), 400);
      expect(body.error.param).toBe(param);
    }
  });

  it('takes exactly 200 weeks', async () => {
    expect((await requestAs(ADMIN_API_KEY, 'GET', '/v1/analytics/graphs/requests?time_of_generation_min=2020-01-01T00:00:00Z&time_of_generation_max=2023-11-01T00:00:00Z')).status).toBe(200);
  });

  it('reads an offset: 05:30+05:30 is midnight UTC, and an unencoded + (a space) is read as one', async () => {
    const start = freshDay(); // midnight UTC
    await seed([row(start + 10 * MINUTE)]);
    const day = new Date(start).toISOString().slice(0, 10);
    // Were the offset ignored, the range would start at 05:30 UTC and miss the row.
    for (const offset of ['%2B05:30', '+05:30']) {
      const graph = await get<Graph>(`/v1/analytics/graphs/requests?time_of_generation_min=${day}T05:30:00${offset}&time_of_generation_max=${new Date(start + HOUR).toISOString()}`);
      expect(graph.summary.total).toBe(1);
    }
  });

  it('refuses a filter given twice, or naming nothing, rather than half applying it', async () => {
    const twice = await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/analytics/graphs/requests?${range(0, HOUR)}&status_code=200&status_code=429`), 400);
    expect(twice.error.message).toMatch(/status_code: given more than once/);
    await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/analytics/graphs/requests?${range(0, HOUR)}&virtual_keys=,,`), 400);
  });

  it('refuses a filter Keygate does not have, rather than ignoring it', async () => {
    const body = await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/analytics/graphs/requests?${range(0, HOUR)}&cost_min=1`), 400);
    expect(body.error.message).toMatch(/cost_min/);
  });
});

describe('graphs', () => {
  it('buckets requests by minute over an hour, with empty buckets as zeros', async () => {
    const start = freshDay();
    await seed([row(start + 5_000), row(start + 30_000), row(start + 7 * MINUTE), row(start + HOUR)]);
    const graph = await get<Graph>(`/v1/analytics/graphs/requests?${range(start, start + HOUR)}`);
    expect(graph.object).toBe('analytics-graph');
    expect(graph.data_points).toHaveLength(60);
    expect(graph.data_points[0]).toEqual({ timestamp: new Date(start).toISOString(), total: 2 });
    expect(graph.data_points[7]).toEqual({ timestamp: new Date(start + 7 * MINUTE).toISOString(), total: 1 });
    expect(graph.data_points[1]!.total).toBe(0);
    // The row at the range's end is outside it: the range is [min, max).
    expect(graph.summary.total).toBe(3);
  });

  it.each([
    ['an hour', HOUR, 60_000],
    ['a day', 24 * HOUR, 15 * MINUTE],
    ['30 days', 30 * 24 * HOUR, 6 * HOUR],
    ['a year', 365 * 24 * HOUR, 7 * 24 * HOUR],
  ])('cuts %s into at most 200 UTC-aligned buckets by one rule', async (_case, span, size) => {
    const start = Date.UTC(2025, 5, 3, 13, 7);
    const graph = await get<Graph>(`/v1/analytics/graphs/requests?${range(start, start + span)}`);
    const times = graph.data_points.map((point) => Date.parse(point.timestamp as string));
    expect(times.length).toBeLessThanOrEqual(200);
    expect(times[1]! - times[0]!).toBe(size);
    // Weeks start on Monday (1970-01-05, four days after the epoch); other sizes at multiples of themselves.
    expect((times[0]! - (size === 7 * 24 * HOUR ? 4 * 24 * HOUR : 0)) % size).toBe(0);
    expect(times[0]!).toBeLessThanOrEqual(start);
    expect(times.at(-1)! + size).toBeGreaterThanOrEqual(start + span);
  });

  it('reports cost in cents, tokens, errors and the error rate', async () => {
    const start = freshDay();
    await seed([
      row(start, { costUsd: 0.25, totalTokens: 100 }),
      row(start + MINUTE, { costUsd: 0.05, totalTokens: 20, status: 429 }),
      row(start + MINUTE, { costUsd: null, totalTokens: 0, status: 502 }),
      row(start + 2 * MINUTE, { costUsd: 0.1, totalTokens: 30 }),
    ]);
    const query = range(start, start + 3 * MINUTE);
    const cost = await get<Graph>(`/v1/analytics/graphs/cost?${query}`);
    expect(cost.summary).toEqual({ total: 40, avg: 10 });
    expect(cost.data_points.map((point) => point.total)).toEqual([25, 5, 10]);
    const tokens = await get<Graph>(`/v1/analytics/graphs/tokens?${query}`);
    expect(tokens.summary).toEqual({ total: 150, avg: 37.5 });
    const errors = await get<Graph>(`/v1/analytics/graphs/errors?${query}`);
    expect(errors.data_points.map((point) => point.total)).toEqual([0, 2, 0]);
    for (const spelling of ['errors-rate', 'errors/rate']) {
      const rate = await get<Graph>(`/v1/analytics/graphs/${spelling}?${query}`);
      expect(rate.summary).toEqual({ rate: 50 });
      expect(rate.data_points.map((point) => point.rate)).toEqual([0, 100, 0]);
    }
    for (const spelling of ['errors-status-code', 'errors/status-codes']) {
      const codes = await get<Graph>(`/v1/analytics/graphs/${spelling}?${query}`);
      expect(codes.summary).toEqual({ total_errors: 2, unique_error_codes: 2 });
      expect(codes.data_points).toEqual([{ status_code: 429, count: 1 }, { status_code: 502, count: 1 }]);
    }
  });

  it('reports latency as the average and nearest-rank p50, p90 and p99, per bucket and overall', async () => {
    const start = freshDay();
    // 1 to 100 ms in the first minute; 500 ms twice in the third.
    await seed([
      ...Array.from({ length: 100 }, (_, index) => row(start + index * 100, { latencyMs: 100 - index })),
      row(start + 2 * MINUTE, { latencyMs: 500 }),
      row(start + 2 * MINUTE + 1, { latencyMs: 500 }),
    ]);
    const graph = await get<Graph>(`/v1/analytics/graphs/latency?${range(start, start + 3 * MINUTE)}`);
    expect(graph.data_points[0]).toMatchObject({ avg: 51, p50: 50, p90: 90, p99: 99 });
    expect(graph.data_points[1]).toMatchObject({ avg: 0, p50: 0, p90: 0, p99: 0 });
    expect(graph.data_points[2]).toMatchObject({ avg: 500, p50: 500, p90: 500, p99: 500 });
    // 102 values: rank 51 is 51, rank 92 (0.9 * 102 = 91.8) is 92, rank 101 is 500.
    expect(graph.summary).toEqual({ avg: Math.round((5050 + 1000) / 102), p50: 51, p90: 92, p99: 500 });
  });

  it('filters by virtual key, API key, status code and provider__model', async () => {
    const start = freshDay();
    await seed([
      row(start, { virtualKeySlug: 'alpha', apiKeyId: 'ak-1', provider: 'openai', model: 'gpt-4o' }),
      row(start, { virtualKeySlug: 'beta', apiKeyId: 'ak-2', provider: 'bedrock', model: 'amazon.nova-pro-v1:0', status: 400 }),
      row(start, { virtualKeySlug: 'gamma', apiKeyId: null, provider: 'vertex-ai', model: 'gemini-2.5-flash' }),
    ]);
    const total = async (filter: string) => (await get<Graph>(`/v1/analytics/graphs/requests?${range(start, start + MINUTE)}&${filter}`)).summary.total;
    expect(await total('virtual_keys=alpha,gamma')).toBe(2);
    expect(await total('api_key_ids=ak-2')).toBe(1);
    expect(await total('status_code=400,401')).toBe(1);
    expect(await total('ai_org_model=bedrock__amazon.nova-pro-v1:0,vertex-ai__gemini-2.5-flash')).toBe(2);
    expect(await total('virtual_keys=alpha&status_code=400')).toBe(0);
    await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/analytics/graphs/requests?${range(start, start + MINUTE)}&status_code=abc`), 400);
  });
});

describe('groups', () => {
  it('pages groups by requests, with total counting every group', async () => {
    const start = freshDay();
    const models = ['m-a', 'm-b', 'm-c', 'm-d', 'm-e'];
    // m-a has 5 calls, m-b 4 … m-e 1.
    await seed(models.flatMap((model, index) => Array.from({ length: 5 - index }, () => row(start, { model, costUsd: 0.01, latencyMs: 10 * (index + 1) }))));
    const query = `${range(start, start + MINUTE)}&page_size=2`;
    const first = await get<{ object: string; total: number; data: Array<Record<string, unknown>> }>(`/v1/analytics/groups/ai-models?${query}`);
    expect(first.object).toBe('list');
    expect(first.total).toBe(5);
    expect(first.data).toEqual([
      { ai_model: 'm-a', ai_provider: 'openai', ai_org_model: 'openai__m-a', requests: 5, tokens: 50, cost: 5, avg_latency: 10, object: 'analytics-group' },
      { ai_model: 'm-b', ai_provider: 'openai', ai_org_model: 'openai__m-b', requests: 4, tokens: 40, cost: 4, avg_latency: 20, object: 'analytics-group' },
    ]);
    const last = await get<{ total: number; data: Array<{ ai_model: string }> }>(`/v1/analytics/groups/ai-models?${query}&current_page=2`);
    expect(last.total).toBe(5);
    expect(last.data.map((group) => group.ai_model)).toEqual(['m-e']);
    const beyond = await get<{ total: number; data: unknown[] }>(`/v1/analytics/groups/ai-models?${query}&current_page=9`);
    expect(beyond).toMatchObject({ total: 5, data: [] });
  });

  it('groups by workspace, virtual key, API key and status code', async () => {
    const start = freshDay();
    await seed([
      row(start, { workspaceId: 'ws-one', virtualKeySlug: 'k1', apiKeyId: 'ak-9', status: 200 }),
      row(start, { workspaceId: 'ws-one', virtualKeySlug: 'k1', apiKeyId: 'ak-9', status: 429 }),
      row(start, { workspaceId: 'ws-two', virtualKeySlug: 'k2', apiKeyId: null, status: 200 }),
    ]);
    const groupsBy = async (by: string) =>
      (await get<{ data: Array<Record<string, unknown>> }>(`/v1/analytics/groups/${by}?${range(start, start + MINUTE)}`)).data.map((group) => [
        group[{ workspaces: 'workspace_id', 'virtual-keys': 'virtual_key', 'api-keys': 'api_key_id' }[by] ?? 'status_code'],
        group.requests,
      ]);
    expect(await groupsBy('workspaces')).toEqual([['ws-one', 2], ['ws-two', 1]]);
    expect(await groupsBy('virtual-keys')).toEqual([['k1', 2], ['k2', 1]]);
    expect(await groupsBy('api-keys')).toEqual([['ak-9', 2], [null, 1]]);
    expect(await groupsBy('status-codes')).toEqual([[200, 2], [429, 1]]);
  });
});

describe('who sees what', () => {
  it('shows a workspace key its own workspace only, whatever it asks for; an organisation key every one, or the one it names', async () => {
    const start = freshDay();
    const mine = await createWorkspace('Analytics mine');
    const theirs = await createWorkspace('Analytics theirs');
    await seed([row(start, { workspaceId: mine }), row(start, { workspaceId: theirs }), row(start, { workspaceId: theirs })]);
    const { key } = await createWorkspaceKey(mine, ['analytics.view']);
    const total = async (as: string, extra = '') => (await get<Graph>(`/v1/analytics/graphs/requests?${range(start, start + MINUTE)}${extra}`, as)).summary.total;
    expect(await total(key)).toBe(1);
    expect(await total(key, `&workspace_slug=${theirs}`)).toBe(1);
    const groups = await get<{ total: number }>(`/v1/analytics/groups/workspaces?${range(start, start + MINUTE)}`, key);
    expect(groups.total).toBe(1);
    const { key: organisation } = await createApiKey('organisation/service', { scopes: ['analytics.view'] });
    expect(await total(organisation)).toBe(3);
    expect(await total(organisation, `&workspace_slug=${theirs}`)).toBe(2);
  });

  it('needs analytics.view', async () => {
    const workspace = await createWorkspace('Analytics no scope');
    const { key } = await createWorkspaceKey(workspace, ['virtual_keys.list']);
    await expectError(await requestAs(key, 'GET', `/v1/analytics/groups/ai-models?${range(0, HOUR)}`), 403, 'missing_scope');
  });

  it('counts gateway calls under the API key that made them, in its workspace', async () => {
    const workspace = await createWorkspace('Analytics calls');
    const slug = await createVirtualKeyIn(workspace);
    const caller = await createWorkspaceKey(workspace, ['completions.write', 'analytics.view']);
    const before = Date.now() - 1000;
    expect((await chatAs(caller.key, slug)).status).toBe(200);
    expect((await chatAs(caller.key, slug)).status).toBe(200);
    const query = `${range(before, Date.now() + 60_000)}&api_key_ids=${caller.id}`;
    await expect
      .poll(async () => (await get<{ data: Array<Record<string, unknown>> }>(`/v1/analytics/groups/api-keys?${query}`, caller.key)).data)
      .toEqual([expect.objectContaining({ api_key_id: caller.id, requests: 2, tokens: 24 })]);
    const workspaces = await get<{ data: Array<Record<string, unknown>> }>(`/v1/analytics/groups/workspaces?${query}`, caller.key);
    expect(workspaces.data).toEqual([expect.objectContaining({ workspace_id: workspace, requests: 2 })]);
    // The Portkey SDK's header names the key too.
    const portkeyHeader = await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { 'x-portkey-api-key': caller.key, 'content-type': 'application/json' },
      body: JSON.stringify({ model: `@${slug}/gpt-4o-mini`, messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(portkeyHeader.status).toBe(200);
    await expect
      .poll(async () => (await get<{ data: Array<{ requests: number }> }>(`/v1/analytics/groups/api-keys?${query}`, caller.key)).data[0]?.requests)
      .toBe(3);
  });
});
