// /v1/analytics: Portkey's graphs and groups over the usage rows (`analytics.view`). A workspace
// key sees its own workspace, whatever it asks for; an organisation key sees every workspace, or
// the one workspace_slug names.

import { Hono } from 'hono/tiny';
import type { Context } from 'hono';
import { bucketsFor } from '../analytics/buckets';
import { errorsByStatus, GROUPING_NAMES, groups, latencyByBucket, totalsByBucket, type BucketTotals, type Grouping, type UsageFilter } from '../analytics/usage-analytics';
import type { Principal } from '../auth/principal';
import { invalidRequest, quoted } from '../errors';
import type { AppEnv } from '../http/context';
import { requireScope } from '../http/require-scope';
import { parseInput } from '../http/validation';
import { AnalyticsQuery, type AnalyticsQueryInput } from './analytics-schemas';

function usageFilter(principal: Principal, query: AnalyticsQueryInput): UsageFilter {
  return {
    min: query.time_of_generation_min,
    max: query.time_of_generation_max,
    workspaceId: principal.workspaceId ?? query.workspace_slug ?? null,
    virtualKeys: query.virtual_keys ?? null,
    apiKeyIds: query.api_key_ids ?? null,
    statusCodes: query.status_code ?? null,
    aiOrgModels: query.ai_org_model ?? null,
  };
}

function readQuery(c: Context<AppEnv>) {
  // Hono's query() keeps the first of a repeated parameter: a filter given twice would be half ignored.
  const repeated = Object.entries(c.req.queries()).find(([, values]) => values.length > 1);
  if (repeated) throw invalidRequest('invalid_query', `${quoted(repeated[0])}: given more than once; send one comma-separated list`, quoted(repeated[0]));
  const query = parseInput(AnalyticsQuery, c.req.query(), 'query');
  return { query, filter: usageFilter(c.get('principal'), query) };
}

const bucketsOf = (filter: UsageFilter) => bucketsFor(Date.parse(filter.min), Date.parse(filter.max));

const graph = (summary: Record<string, number>, data_points: unknown[]) => ({ object: 'analytics-graph' as const, summary, data_points });
const sum = (points: BucketTotals[], field: keyof Omit<BucketTotals, 'timestamp'>) => points.reduce((total, point) => total + point[field], 0);
const ratio = (part: number, whole: number, digits: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10 ** digits) / 10 ** digits);

/** The graphs built from per-bucket totals: what each bucket and the summary show. */
const TOTALS_GRAPHS: Record<string, (points: BucketTotals[]) => ReturnType<typeof graph>> = {
  requests: (points) => graph({ total: sum(points, 'requests') }, points.map(({ timestamp, requests }) => ({ timestamp, total: requests }))),
  cost: (points) =>
    graph(
      { total: ratio(sum(points, 'cost'), 1, 6), avg: ratio(sum(points, 'cost'), sum(points, 'requests'), 6) },
      points.map(({ timestamp, cost, requests }) => ({ timestamp, total: cost, avg: ratio(cost, requests, 6) })),
    ),
  tokens: (points) =>
    graph(
      { total: sum(points, 'tokens'), avg: ratio(sum(points, 'tokens'), sum(points, 'requests'), 2) },
      points.map(({ timestamp, tokens, requests }) => ({ timestamp, total: tokens, avg: ratio(tokens, requests, 2) })),
    ),
  errors: (points) => graph({ total: sum(points, 'errors') }, points.map(({ timestamp, errors }) => ({ timestamp, total: errors }))),
  // Percent of requests that failed (status 400 and up).
  'errors/rate': (points) =>
    graph({ rate: ratio(sum(points, 'errors') * 100, sum(points, 'requests'), 2) }, points.map(({ timestamp, errors, requests }) => ({ timestamp, rate: ratio(errors * 100, requests, 2) }))),
};

// The portkey-ai SDK spells two graphs with a dash, Portkey's OpenAPI document with a slash; and
// its groupedData(groupBy) names groups in the singular, with underscores.
const SPELLINGS: Record<string, string> = { 'errors-rate': 'errors/rate', 'errors-status-code': 'errors/status-codes' };
const GROUP_SPELLINGS: Record<string, Grouping> = { model: 'ai-models', workspace: 'workspaces', api_key: 'api-keys', status_code: 'status-codes' };

export function analyticsRoutes() {
  const app = new Hono<AppEnv>();
  const paths = (name: string) => [name, ...Object.keys(SPELLINGS).filter((alias) => SPELLINGS[alias] === name)].map((path) => `/graphs/${path}`);

  for (const [name, build] of Object.entries(TOTALS_GRAPHS)) {
    for (const path of paths(name)) {
      app.get(path, requireScope('analytics.view'), async (c) => {
        const { filter } = readQuery(c);
        return c.json(build(await totalsByBucket(c.env.DB, filter, bucketsOf(filter))), 200);
      });
    }
  }
  app.get('/graphs/latency', requireScope('analytics.view'), async (c) => {
    const { filter } = readQuery(c);
    const { summary, points } = await latencyByBucket(c.env.DB, filter, bucketsOf(filter));
    return c.json(graph({ ...summary }, points), 200);
  });
  for (const path of paths('errors/status-codes')) {
    app.get(path, requireScope('analytics.view'), async (c) => {
      const { filter } = readQuery(c);
      const counts = await errorsByStatus(c.env.DB, filter);
      return c.json(graph({ total_errors: counts.reduce((total, row) => total + row.count, 0), unique_error_codes: counts.length }, counts), 200);
    });
  }
  const groupRoutes: Array<[string, Grouping]> = [...GROUPING_NAMES.map((by) => [by, by] as [string, Grouping]), ...Object.entries(GROUP_SPELLINGS)];
  for (const [path, by] of groupRoutes) {
    app.get(`/groups/${path}`, requireScope('analytics.view'), async (c) => {
      const { query, filter } = readQuery(c);
      const page = await groups(c.env.DB, filter, by, { index: query.current_page, size: query.page_size });
      return c.json({ object: 'list' as const, total: page.total, data: page.data }, 200);
    });
  }
  return app;
}
