// Shared pieces of the zod schemas. Keygate uses zod's tree-shakable "mini" build: the classic
// build (with every locale and the OpenAPI extension) was most of the deployable bundle
// (docs/benchmarks.md). Import zod as `import * as z from 'zod/mini'` in each module; re-exporting
// the namespace from one module defeats tree-shaking.
//
// Importing this module also sets zod's messages: short English ones of our own, in the words
// zod's English locale uses. The locale itself is about 1 KiB of the 60 KiB gzipped bundle.

import * as z from 'zod/mini';

const typeOf = (input: unknown) => (input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input);
const units: Record<string, string> = { string: ' characters', array: ' items' };

z.config({
  localeError(issue) {
    switch (issue.code) {
      case 'invalid_type':
        return `Invalid input: expected ${issue.expected}, received ${typeOf(issue.input)}`;
      case 'invalid_value':
        return `Invalid option: expected one of ${issue.values.map((value) => JSON.stringify(value)).join('|')}`;
      case 'too_big':
      case 'too_small': {
        const big = issue.code === 'too_big';
        const unit = units[issue.origin] ?? '';
        const bound = big ? issue.maximum : issue.minimum;
        const comparison = issue.inclusive ? (big ? '<=' : '>=') : big ? '<' : '>';
        return `Too ${big ? 'big' : 'small'}: expected ${issue.origin} to ${unit ? 'have' : 'be'} ${comparison}${String(bound)}${unit}`;
      }
      case 'invalid_format':
        return `Invalid ${issue.format === 'regex' ? 'string' : issue.format}`;
      case 'unrecognized_keys':
        return `Unrecognized key: ${issue.keys.join(', ')}`;
      default:
        return 'Invalid input';
    }
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
