// Shared pieces of the zod schemas. Keygate uses zod's tree-shakable "mini" build: the classic
// build (with every locale and the OpenAPI extension) was most of the deployable bundle
// (docs/benchmarks.md). Import zod as `import * as z from 'zod/mini'` in each module; re-exporting
// the namespace from one module defeats tree-shaking.
//
// Importing this module also sets zod's messages: short English ones of our own, which read after
// the field's name ("page_size: must be at most 100"). Zod's English locale is about 1 KiB of the
// 60 KiB gzipped bundle.

import * as z from 'zod/mini';
import { _coercedNumber } from 'zod/v4/core';

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

// z.coerce is a namespace: naming it bundles every schema in it (bigint, Date). This builds the
// schema z.coerce.number() does, and bundles only that.

/** z.coerce.number() */
export const coercedNumber = () => _coercedNumber(z.ZodMiniNumber) as z.ZodMiniNumber<unknown>;

// What zod's z.iso.datetime({ offset: true }) and z.iso.date() accept, as one check each: zod's
// ISO schemas bring two classes and their pattern builders (0.4 KiB of the 60 KiB gzipped
// bundle). test/documented-schemas.test.ts holds these to zod's, input for input.
const DAY = '\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])';
const OFFSET_DATE_TIME = new RegExp(`^${DAY}T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$`);
const DATE = new RegExp(`^${DAY}$`);

/** Whether YYYY-MM-DD at the start of `value` is a day the calendar has (no 30 February). */
function realDay(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCDate() === day;
}

/** An ISO 8601 date-time with seconds and an offset (Z or ±hh:mm), as z.iso.datetime({ offset: true }). */
export const isoDateTime = (message = 'must be a valid datetime') =>
  z.string({ error: message }).check(z.refine((value) => OFFSET_DATE_TIME.test(value) && realDay(value), message));
/** An ISO 8601 date, as z.iso.date(). */
export const isoDate = () => z.string().check(z.refine((value) => DATE.test(value) && realDay(value), 'must be a valid date'));
