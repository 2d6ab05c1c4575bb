// Scans for leaked secrets: every text D1 and KV hold, and every console line a test provoked.
// A secret counts as leaked in any of its obvious forms, not only verbatim.

import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';

/** The forms a leaked secret could take: as is, without its last 4 characters, and base64. */
export function leakedForms(secret: string): string[] {
  return [secret, secret.slice(0, -4), btoa(secret), btoa(secret).replace(/=+$/, '')];
}

/** Every console line written until `restore`. */
export function captureLogs(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const capture = (...args: unknown[]) => lines.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) => vi.spyOn(console, level).mockImplementation(capture));
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

export async function everyStoredText(): Promise<string[]> {
  const texts: string[] = [];
  const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  expect(tables.results.map((table) => table.name)).toContain('virtual_keys');
  for (const { name } of tables.results) {
    const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    texts.push(...rows.results.map((row) => JSON.stringify(row)));
  }
  let cursor: string | undefined;
  do {
    const page = await env.KEY_CACHE.list({ cursor });
    for (const key of page.keys) texts.push(key.name, (await env.KEY_CACHE.get(key.name)) ?? '');
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return texts;
}
