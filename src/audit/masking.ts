// What of a request goes into an audit record. Secret fields become their masks, at any depth,
// whichever spelling the client used (`apiKey`, `API_KEY`, `api-key`). The list of secret fields
// is the providers' own (`secretFields` in each module, which the interface requires); and any
// text field whose name says it holds a credential (Keygate's own API keys too) is masked as well,
// so a secret sent where Keygate does not expect one (a query parameter, say) is not kept either.

import { maskSecret } from '../providers/provider';
import { PROVIDERS } from '../providers/registry';

/** Names that say a credential: whole words of a normalised name (`max_tokens` is not one). */
const CREDENTIAL_WORDS = /(^|_)(key|keys|secret|secrets|token|password|passwd|authorization|auth|credential|credentials|signature|cookie)(_|$)/;

/** `apiKey`, `API_KEY`, `Api-Key` and `x-portkey-api-key` as `api_key` and `x_portkey_api_key`. */
export function fieldName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function isSecret(name: string, value: unknown): boolean {
  const normal = fieldName(name);
  // A number or a flag named like a credential (key_transition_period_ms) is not one.
  return SECRET_FIELDS.has(normal) || (typeof value === 'string' && CREDENTIAL_WORDS.test(normal));
}

/** Every body field that holds a secret, snake_case. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(PROVIDERS.flatMap((provider) => provider.secretFields.map(String)));

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
        isSecret(key, field) ? maskValue(field) : maskedForAudit(field, depth + 1),
      ]),
  );
}

function maskValue(value: unknown): string {
  return typeof value === 'string' ? maskSecret(value) : '********';
}
