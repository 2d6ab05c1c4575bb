// What the analytics query fields and answers mean, for the OpenAPI document only: openapi-docs.ts
// says why this text is kept apart from analytics-schemas.ts (the Worker's bundle budget).

import { AnalyticsGraph, AnalyticsGroupList } from './analytics-answers';
import { AnalyticsQuery } from './analytics-schemas';
import { fields, type DocEntry } from './openapi-docs';

export const analyticsDocs: DocEntry[] = [
  ...fields(AnalyticsQuery, {
    time_of_generation_min: { description: 'Start of the range, included: ISO 8601 with an offset.', example: '2026-11-01T00:00:00Z' },
    time_of_generation_max: { description: 'End of the range, excluded: ISO 8601 with an offset, after the start.', example: '2026-11-30T00:00:00+05:30' },
    workspace_slug: 'Organisation keys: only this workspace (its id). Left out: every workspace. A workspace key always sees its own.',
    virtual_keys: 'Comma-separated virtual key slugs.',
    api_key_ids: 'Comma-separated API key ids: the keys that made the calls.',
    status_code: 'Comma-separated HTTP status codes of the answers.',
    ai_org_model: 'Comma-separated provider__model pairs, e.g. openai__gpt-4o,vertex-ai__gemini-2.5-flash.',
    current_page: 'Groups only: the page, from 0.',
    page_size: 'Groups only: groups a page holds.',
  }),
  ...fields(AnalyticsGraph, {
    summary: 'The whole range: as a data point, for every bucket together.',
    data_points: 'One per bucket, oldest first, empty buckets as zeros; timestamp is where the bucket starts (UTC). errors/status-codes has one per status code instead.',
  }),
  ...fields(AnalyticsGroupList, { total: 'Every group the filters find, not only this page’s.' }),
];
