// The analytics API's query (Portkey's parameters): a required time range and the filters every
// graph and group takes. Lists are comma-separated, as Portkey's are.

import * as z from 'zod/mini';
import { MAX_POINTS, MAX_RANGE_MS } from '../analytics/buckets';
import { isoDateTime } from '../schemas/checks';
import { pageFields } from './shared-schemas';

const MAX_LIST = 100;

const OFFSET_MESSAGE = 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-30T00:00:00Z or 2026-11-30T05:30:00+05:30 (%2B05:30 in a URL)';

/**
 * An instant, as the UTC text the usage rows hold. A `+` sent unencoded in a query string arrives
 * as a space, and is read as the `+` it was. An instant outside the years 0000 to 9999 in UTC has
 * no such text (toISOString writes +010000-…), so it is refused.
 */
const time = () =>
  z.pipe(
    z.pipe(
      z.transform((value: unknown) => (typeof value === 'string' ? value.replace(/ (\d\d:\d\d)$/, '+$1') : value)),
      isoDateTime(OFFSET_MESSAGE),
    ),
    z.transform((value, context) => {
      const instant = new Date(value).toISOString();
      if (!/^\d{4}-/.test(instant)) context.issues.push({ code: 'custom', message: 'must fall within the years 0000 to 9999 in UTC', input: null });
      return instant;
    }),
  );

/** A comma-separated list of items that each pass `item`; at most MAX_LIST of them. */
const commaList = <Item>(item: (text: string) => Item | null, what: string) =>
  z.optional(
    z.pipe(
      z.string().check(z.maxLength(20_000)),
      z.transform((text, context): Item[] => {
        const parts = text.split(',').map((part) => part.trim()).filter((part) => part !== '');
        const items = parts.map(item);
        // An empty list would match nothing: that is never what a filter means.
        if (parts.length === 0) context.issues.push({ code: 'custom', message: 'must name at least one item', input: null });
        else if (parts.length > MAX_LIST) context.issues.push({ code: 'custom', message: `names at most ${MAX_LIST} items`, input: null });
        else if (items.some((value) => value === null)) context.issues.push({ code: 'custom', message: `must be a comma-separated list of ${what}`, input: null });
        return items as Item[];
      }),
    ),
  );

const name = (text: string) => (text.length <= 200 ? text : null);
const statusCode = (text: string) => (/^[1-5]\d\d$/.test(text) ? Number(text) : null);
const providerModel = (text: string) => (text.length <= 300 && text.includes('__') ? text : null);

// Strict: a filter Portkey has and Keygate lacks (cost_min, metadata…) is a 400, never numbers
// that silently ignore it.
export const AnalyticsQuery = z
  .strictObject({
    time_of_generation_min: time(),
    time_of_generation_max: time(),
    workspace_slug: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    virtual_keys: commaList(name, 'virtual key slugs'),
    api_key_ids: commaList(name, 'API key ids'),
    status_code: commaList(statusCode, 'HTTP status codes (100 to 599)'),
    ai_org_model: commaList(providerModel, 'provider__model pairs, e.g. openai__gpt-4o'),
    ...pageFields,
  })
  .check(
    z.refine((query) => Date.parse(query.time_of_generation_min) < Date.parse(query.time_of_generation_max), {
      message: 'must be after time_of_generation_min',
      path: ['time_of_generation_max'],
    }),
    z.refine((query) => Date.parse(query.time_of_generation_max) - Date.parse(query.time_of_generation_min) <= MAX_RANGE_MS, {
      message: `must be at most ${MAX_POINTS} weeks after time_of_generation_min`,
      path: ['time_of_generation_max'],
    }),
  );

export type AnalyticsQueryInput = z.output<typeof AnalyticsQuery>;
