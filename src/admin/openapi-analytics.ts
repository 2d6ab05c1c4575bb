// The analytics operations (analytics-routes.ts), for the OpenAPI document: Portkey's graphs and
// groups, each spelling the routes answer under listed as a path of its own.

import { AnalyticsQuery } from './analytics-schemas';
import { parameters } from './openapi-components';
import { denied, invalid, needsScope, operation } from './openapi-paths';

const GRAPHS: Array<[paths: string[], id: string, summary: string, notes: string]> = [
  [['requests'], 'Requests', 'Requests per bucket', 'total: requests.'],
  [['cost'], 'Cost', 'Cost per bucket', 'total: cost in cents (a decimal); avg: cents per request. Calls to models Keygate has no price for count 0.'],
  [['tokens'], 'Tokens', 'Tokens per bucket', 'total: tokens; avg: tokens per request.'],
  [['latency'], 'Latency', 'Latency per bucket', 'avg, p50, p90 and p99 in ms: nearest-rank percentiles, from the request’s arrival to its answer’s end.'],
  [['errors'], 'Errors', 'Error answers per bucket', 'total: answers with status 400 and up, Keygate’s refusals (429, 412) included.'],
  [['errors/rate', 'errors-rate'], 'ErrorRate', 'Error rate per bucket', 'rate: percent of requests answered with status 400 and up.'],
  [['errors/status-codes', 'errors-status-code'], 'ErrorStatusCodes', 'Error answers by status code', 'One data point per status code (no buckets): status_code and count.'],
];

const GROUPS: Array<[paths: string[], id: string, summary: string, key: string]> = [
  [['ai-models', 'model'], 'AiModels', 'Usage by model', 'ai_model, ai_provider and ai_org_model (provider__model)'],
  [['workspaces', 'workspace'], 'Workspaces', 'Usage by workspace', 'workspace_id (and workspace_slug, the same)'],
  [['virtual-keys'], 'VirtualKeys', 'Usage by virtual key', 'virtual_key (the slug)'],
  [['api-keys', 'api_key'], 'ApiKeys', 'Usage by API key', 'api_key_id (null: the bootstrap ADMIN_API_KEY)'],
  [['status-codes', 'status_code'], 'StatusCodes', 'Usage by status code', 'status_code'],
];

const BUCKETS =
  'Buckets are UTC, of the smallest size among 1, 5, 15 and 30 minutes, 1, 3, 6 and 12 hours, 1 day and 1 week (from Monday) ' +
  'that cuts the range into at most 200; a range longer than 200 weeks is a 400.';
const SCOPE = 'A workspace key sees its own workspace only; an organisation key every workspace, or workspace_slug’s.';

export function analyticsPaths() {
  const tag = 'Analytics';
  const query = parameters(AnalyticsQuery, 'query');
  const errors = { ...invalid, ...denied, 403: 'The API key lacks the scope.' };
  const graphs = GRAPHS.flatMap(([paths, id, summary, notes]) =>
    paths.map((path, spelling) => [
      `/v1/analytics/graphs/${path}`,
      {
        get: operation(tag, {
          operationId: `analyticsGraph${id}${spelling ? 'Sdk' : ''}`,
          summary: spelling ? `${summary} (the portkey-ai SDK’s spelling)` : summary,
          needs: needsScope('analytics.view'),
          notes: `${notes} ${path === 'errors/status-codes' || path === 'errors-status-code' ? '' : `${BUCKETS} `}${SCOPE}`,
          parameters: query,
          ok: ['The graph', 'AnalyticsGraph'],
          errors,
        }),
      },
    ]),
  );
  const groups = GROUPS.flatMap(([paths, id, summary, key]) =>
    paths.map((path, spelling) => [
      `/v1/analytics/groups/${path}`,
      {
        get: operation(tag, {
          operationId: `analyticsGroup${id}${spelling ? 'Sdk' : ''}`,
          summary: spelling ? `${summary} (the portkey-ai SDK’s groupedData spelling)` : summary,
          needs: needsScope('analytics.view'),
          notes: `Each group: ${key}, with requests, tokens, cost (cents) and avg_latency (ms); the busiest first. ${SCOPE}`,
          parameters: query,
          ok: ['A page of groups', 'AnalyticsGroupList'],
          errors,
        }),
      },
    ]),
  );
  return Object.fromEntries([...graphs, ...groups]);
}
