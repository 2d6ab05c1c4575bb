// The admin API's OpenAPI document is generated from the zod schemas at development time and
// committed as public/v1/openapi.json, a static asset (the generator would not fit the Worker's
// bundle budget). This proves the committed file is what the schemas generate today, and that it
// describes exactly the routes the admin route files register. `npm run openapi` rewrites it.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apiKeyRoutes } from '../../src/admin/api-keys-routes';
import { buildOpenApiDocument } from '../../src/admin/openapi';
import { virtualKeyRoutes } from '../../src/admin/virtual-keys-routes';
import { workspaceRoutes } from '../../src/admin/workspaces-routes';
import { SCOPES } from '../../src/auth/scopes';

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { description: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
}

const DOCUMENT_FILE = fileURLToPath(new URL('../../public/v1/openapi.json', import.meta.url));
// As src/app.ts mounts them.
const MOUNTED_ROUTES = {
  '/v1/virtual-keys': virtualKeyRoutes,
  '/v1/api-keys': apiKeyRoutes,
  '/v1/admin/workspaces': workspaceRoutes,
};

const document = buildOpenApiDocument() as unknown as Document;
const text = `${JSON.stringify(document, null, 2)}\n`;

/** Hono's `/:slug` under its mount point, as an OpenAPI path: `/v1/virtual-keys/{slug}`. */
function openApiPath(prefix: string, path: string): string {
  return `${prefix}${path === '/' ? '' : path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
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

  it('describes every route the admin route files register, and no other', () => {
    const registered = Object.entries(MOUNTED_ROUTES).flatMap(([prefix, routes]) =>
      routes().routes.map(({ method, path }) => `${method.toLowerCase()} ${openApiPath(prefix, path)}`),
    );
    const described = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    const message = 'every route in src/admin/*-routes.ts needs an entry in src/admin/openapi-paths.ts, and no other';
    expect(described.sort(), message).toEqual([...new Set(registered)].sort());
  });

  it('names the scope and the answers of every operation', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const label = `${method} ${path}`;
        expect(SCOPES.some((scope) => operation.description.includes(`\`${scope}\``)), label).toBe(true);
        expect(operation.responses, label).toHaveProperty('200');
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
