// What the analytics routes answer, for the OpenAPI document only (out of the Worker's bundle).

import * as z from 'zod/mini';

export const AnalyticsGraph = z.object({
  object: z.literal('analytics-graph'),
  summary: z.record(z.string(), z.number()),
  data_points: z.array(z.record(z.string(), z.union([z.string(), z.number()]))),
});

export const AnalyticsGroupList = z.object({
  object: z.literal('list'),
  total: z.number(),
  data: z.array(
    z.looseObject({
      requests: z.number(),
      tokens: z.number(),
      cost: z.number(),
      avg_latency: z.number(),
      object: z.literal('analytics-group'),
    }),
  ),
});
