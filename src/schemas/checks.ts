// Shared pieces of the zod schemas. Keygate uses zod's tree-shakable "mini" build: the classic
// build (with every locale and the OpenAPI extension) was most of the deployable bundle
// (docs/benchmarks.md). Import zod as `import * as z from 'zod/mini'` in each module; re-exporting
// the namespace from one module defeats tree-shaking.
//
// Importing this module also sets zod's messages: short English ones of our own, which read after
// the field's name ("page_size: must be at most 100"). Zod's English locale is about 1 KiB of the
// 60 KiB gzipped bundle.

import * as z from 'zod/mini';
import { _coercedNumber, _isoDate, _isoDateTime } from 'zod/v4/core';

const typeOf = (input: unknown) => (input === null ? 'null' : Array.isArray(input) ? 'array' : Number.isNaN(input) ? 'NaN' : typeof input);
const units: Record<string, string> = { string: ' characters', array: ' items' };

z.config({
  localeError(issue) {
    if (issue.code === 'invalid_type') return `expected ${issue.expected}, received ${typeOf(issue.input)}`;
    if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    if (issue.code === 'too_big') return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}${units[issue.origin] ?? ''}`;
    if (issue.code === 'too_small') return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}${units[issue.origin] ?? ''}`;
    return issue.code === 'invalid_format' ? `must be a valid ${issue.format === 'regex' ? 'value' : issue.format}` : 'is not valid';
  },
});

/** A whole number. A fraction is refused with `message`; anything else (a string, 1e20) as usual. */
export function wholeNumber(message = 'must be a whole number') {
  return z.int({ error: (issue) => (issue.code === 'invalid_type' && typeof issue.input === 'number' ? message : undefined) });
}

/** A string, trimmed, of `min` to `max` characters. */
export function trimmedString(min: number, max: number, tooShort = 'must not be empty') {
  return z.string().check(z.trim(), z.minLength(min, tooShort), z.maxLength(max));
}

// z.coerce and z.iso are namespaces: naming either bundles every schema in it (bigint, Date, ISO
// time and duration). These build the same schemas z.coerce.number(), z.iso.datetime() and
// z.iso.date() do, and bundle only what they use.

/** z.coerce.number() */
export const coercedNumber = () => _coercedNumber(z.ZodMiniNumber) as z.ZodMiniNumber<unknown>;
/** z.iso.datetime(params) */
export const isoDateTime = (params: Parameters<typeof z.iso.datetime>[0]) => _isoDateTime(z.ZodMiniISODateTime, params);
/** z.iso.date() */
export const isoDate = () => _isoDate(z.ZodMiniISODate);
