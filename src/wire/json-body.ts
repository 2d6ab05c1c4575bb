// Changes to a JSON request body that keep the rest of it byte for byte: re-serialising would
// round integers past 2^53 (a `seed`, say) and reformat what the client sent.

/**
 * The body with top-level `field` set to `value`.
 * - An absent field is inserted after the opening brace.
 * - A string field whose literal appears exactly once in the text has only that literal replaced.
 * - Anything else falls back to serialising the parsed body again.
 */
export function withTopLevelField(text: string, parsed: Record<string, unknown>, field: string, value: unknown): string {
  const brace = text.indexOf('{');
  if (!(field in parsed) && brace !== -1) {
    const rest = text.slice(brace + 1);
    const separator = rest.trim().startsWith('}') ? '' : ',';
    return `${text.slice(0, brace + 1)}${JSON.stringify(field)}:${JSON.stringify(value)}${separator}${rest}`;
  }
  const current = parsed[field];
  if (typeof current === 'string') {
    const literal = new RegExp(`${escapeRegExp(JSON.stringify(field))}\\s*:\\s*${escapeRegExp(JSON.stringify(current))}`, 'g');
    if (text.match(literal)?.length === 1) return text.replace(literal, () => `${JSON.stringify(field)}:${JSON.stringify(value)}`);
  }
  return JSON.stringify({ ...parsed, [field]: value });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
