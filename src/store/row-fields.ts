// D1 rows to record fields: each column's name in camelCase (`provider_config` -> providerConfig),
// and its JSON text parsed for JSON columns. The record's schema then validates the result, so a
// malformed row still fails loudly instead of flowing on as a cast.

export function rowFields(row: unknown, jsonColumns: readonly string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row as Record<string, unknown>)) {
    const name = column === 'last_updated_at' ? 'updatedAt' : column.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
    fields[name] = jsonColumns.includes(column) && typeof value === 'string' ? JSON.parse(value) : value;
  }
  return fields;
}
