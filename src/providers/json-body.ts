// Changes to a JSON request body that keep the rest of it byte for byte.

/**
 * The body with `field` set to `value`. When the body does not have the field yet, it is inserted
 * after the opening brace, so nothing else changes (re-serialising would round integers past 2^53
 * and reformat the body). Otherwise the parsed body is serialised again with the field replaced.
 */
export function withTopLevelField(text: string, parsed: Record<string, unknown>, field: string, value: unknown): string {
  const brace = text.indexOf('{');
  if (!(field in parsed) && brace !== -1) {
    const rest = text.slice(brace + 1);
    const separator = rest.trim().startsWith('}') ? '' : ',';
    return `${text.slice(0, brace + 1)}${JSON.stringify(field)}:${JSON.stringify(value)}${separator}${rest}`;
  }
  return JSON.stringify({ ...parsed, [field]: value });
}
