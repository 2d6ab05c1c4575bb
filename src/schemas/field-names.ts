// The one place where both spellings of top-level body fields are accepted.
//
// The seed's examples use camelCase (`resourceName`), while the Portkey SDK snake-cases top-level
// keys before sending (`resource_name`), using the rule mirrored in `toSnakeCase`. Canonical names
// are snake_case, like the rest of the admin API. Nested objects are left as the user wrote them.

import * as z from 'zod/mini';
import { quoted } from '../errors';

/** The Portkey SDK's own conversion: `ID` -> `Id`, then every capital becomes `_` + lowercase. */
export function toSnakeCase(key: string): string {
  return key.replace('ID', 'Id').replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * Wraps an object schema so it accepts camelCase and snake_case top-level keys. Giving both
 * spellings of one field with different values is an error naming both.
 */
export function acceptingBothSpellings<Schema extends z.ZodMiniType>(schema: Schema) {
  const normalise = z.transform((input: unknown, context) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
    // Maps, not plain objects: a field named `constructor` or `__proto__` is a field like any
    // other, never an inherited member or the object's prototype.
    const normalised = new Map<string, unknown>();
    const spelledAs = new Map<string, string>();
    for (const [key, value] of Object.entries(input)) {
      const canonical = toSnakeCase(key);
      if (normalised.has(canonical) && JSON.stringify(normalised.get(canonical)) !== JSON.stringify(value)) {
        context.issues.push({
          code: 'custom',
          message: `${quoted(spelledAs.get(canonical) ?? '')} and ${quoted(key)} name the same field with different values; send one`,
          path: [canonical],
          input,
        });
        continue;
      }
      normalised.set(canonical, value);
      spelledAs.set(canonical, key);
    }
    return Object.fromEntries(normalised);
  });
  return z.pipe(normalise, schema);
}
