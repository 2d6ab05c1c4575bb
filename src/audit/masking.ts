// What of a request goes into an audit record. Secret fields become their masks, at any depth,
// whichever spelling the client used. The list of secret fields is the providers' own
// (`secretFields` in each module, which the interface requires), plus Keygate's own API keys.

import { maskSecret } from '../providers/provider';
import { PROVIDERS } from '../providers/registry';
import { toSnakeCase } from '../schemas/field-names';

const KEYGATE_SECRET_FIELDS = ['api_key', 'x_portkey_api_key', 'authorization', 'vault_key', 'vault_keys'];

/** Every body field that holds a secret, snake_case. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([...PROVIDERS.flatMap((provider) => provider.secretFields), ...KEYGATE_SECRET_FIELDS]);

// A record holds what was asked, not megabytes of it: past these, text is cut and marked.
const MAX_TEXT = 1000;
const MAX_ENTRIES = 100;
const MAX_DEPTH = 8;

/** `value` with every secret field masked and every string and list bounded. */
export function maskedForAudit(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) return value.slice(0, MAX_ENTRIES).map((item) => maskedForAudit(item, depth + 1));
  // fromEntries, not assignment: a field named `__proto__` stays a field.
  return Object.fromEntries(
    Object.entries(value)
      .slice(0, MAX_ENTRIES)
      .map(([key, field]) => [
        maskedForAudit(key),
        SECRET_FIELDS.has(toSnakeCase(key).toLowerCase()) ? maskValue(field) : maskedForAudit(field, depth + 1),
      ]),
  );
}

function maskValue(value: unknown): string {
  return typeof value === 'string' ? maskSecret(value) : '********';
}
