// Shared pieces of the zod schemas. Keygate uses zod's tree-shakable "mini" build: the classic
// build (with every locale and the OpenAPI extension) was most of the deployable bundle
// (docs/benchmarks.md). Import zod as `import * as z from 'zod/mini'` in each module; re-exporting
// the namespace from one module defeats tree-shaking.
//
// Importing this module also sets zod's messages to English, the one locale Keygate ships.

import * as z from 'zod/mini';
import { en } from 'zod/locales';

z.config(en());

/** A whole number. A fraction is refused with `message`; anything else (a string, 1e20) as usual. */
export function wholeNumber(message = 'must be a whole number') {
  return z.int({ error: (issue) => (issue.code === 'invalid_type' && typeof issue.input === 'number' ? message : undefined) });
}

/** A string, trimmed, of `min` to `max` characters. */
export function trimmedString(min: number, max: number, tooShort = 'must not be empty') {
  return z.string().check(z.trim(), z.minLength(min, tooShort), z.maxLength(max));
}
