// The admin API's OpenAPI document is generated from the zod schemas at development time and
// committed as public/v1/openapi.json, a static asset (the generator would not fit the Worker's
// bundle budget). This proves the committed file is what the schemas generate today, and that it
// describes exactly the routes the admin route files register. `npm run openapi` rewrites it.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument, PATH_ALIASES } from '../../src/admin/openapi';
import { createApp } from '../../src/app';
import { SCOPES } from '../../src/auth/scopes';

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { description: string; security: unknown[]; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
}

const DOCUMENT_FILE = fileURLToPath(new URL('../../public/v1/openapi.json', import.meta.url));
// The gateway's catch-all route forwards any /v1 path; the document names the ones SDKs call.
const GATEWAY_PATHS = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/models'];

const document = buildOpenApiDocument() as unknown as Document;
const text = `${JSON.stringify(document, null, 2)}\n`;

/** A route of the app as an OpenAPI path: `/v1/virtual-keys/:slug` -> `/v1/virtual-keys/{slug}`, aliases folded. */
function openApiPath(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/$/, '') : path;
  const alias = Object.keys(PATH_ALIASES).find((prefix) => trimmed === prefix || trimmed.startsWith(`${prefix}/`));
  const canonical = alias ? PATH_ALIASES[alias] + trimmed.slice(alias.length) : trimmed;
  return canonical.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

describe('the committed OpenAPI document', () => {
  it('is what the zod schemas generate, byte for byte', async () => {
    if (process.env.UPDATE_OPENAPI === '1') {
      await mkdir(dirname(DOCUMENT_FILE), { recursive: true });
      await writeFile(DOCUMENT_FILE, text);
      return;
    }
    const committed = await readFile(DOCUMENT_FILE, 'utf8').catch(() => '(missing)');
    expect(committed, 'public/v1/openapi.json is out of date with the zod schemas: run `npm run openapi` and commit it').toBe(text);
  });

  it('describes every route the app registers (read from the app itself), and no other', () => {
    // Routes with a method; middleware and the 404/405 fallbacks are registered for every method.
    const registered = createApp()
      .routes.filter(({ method }) => method !== 'ALL')
      .map(({ method, path }) => `${method.toLowerCase()} ${openApiPath(path)}`);
    const described = Object.entries(document.paths)
      .filter(([path]) => !GATEWAY_PATHS.includes(path))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    const message = 'every route src/app.ts serves needs an entry in src/admin/openapi-paths.ts, and no other';
    expect(described.sort(), message).toEqual([...new Set(registered)].sort());
    for (const path of GATEWAY_PATHS) expect(Object.keys(document.paths), path).toContain(path);
  });

  it('names the scope and the answers of every operation', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const label = `${method} ${path}`;
        expect(operation.responses, label).toHaveProperty('200');
        if (operation.security.length === 0) continue; // an operators' check: no API key, no scope
        expect(SCOPES.some((scope) => operation.description.includes(`\`${scope}\``)), label).toBe(true);
        expect(operation.responses, label).toHaveProperty('401');
      }
    }
  });

  it('describes virtual keys with every provider’s fields', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths['/v1/virtual-keys']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.paths['/v1/virtual-keys/{slug}']!).sort()).toEqual(['delete', 'get', 'put']);
    expect(document.components.schemas).toHaveProperty('CreateVirtualKey');
    expect(JSON.stringify(document.components.schemas.CreateVirtualKey)).toContain('"openai"');
  });
});
