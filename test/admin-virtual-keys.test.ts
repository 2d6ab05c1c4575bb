// The virtual-key admin API: what a Portkey SDK user or a curl user sees for every route and
// every way a request can be wrong. Storage is the real local D1 and KV.

import { describe, expect, it } from 'vitest';
import { ADMIN_API_KEY, adminRequest, callKeygate, createVirtualKey, expectError, rowCount } from './support/keygate';

interface KeyObject {
  slug: string;
  name: string;
  note: string | null;
  ai_provider_name: string;
  masked_api_key: string;
  status: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  model_config: Record<string, unknown>;
}

describe('authentication', () => {
  it.each([
    ['x-portkey-api-key', { 'x-portkey-api-key': ADMIN_API_KEY }],
    ['Authorization: Bearer', { authorization: `Bearer ${ADMIN_API_KEY}` }],
    ['Authorization without Bearer', { authorization: ADMIN_API_KEY }],
  ])('accepts the admin key as %s', async (_label, headers) => {
    const response = await callKeygate('/v1/virtual-keys', { headers });
    expect(response.status).toBe(200);
  });

  it('refuses a request without a key with 401', async () => {
    const body = await expectError(await callKeygate('/v1/virtual-keys'), 401, 'missing_api_key');
    expect(body.message).toMatch(/x-portkey-api-key/);
  });

  it.each([
    ['a wrong key', { 'x-portkey-api-key': 'kg-test-admin-kez' }],
    ['a prefix of the key', { authorization: `Bearer ${ADMIN_API_KEY.slice(0, -1)}` }],
    ['the key with a suffix', { authorization: `Bearer ${ADMIN_API_KEY}x` }],
  ])('refuses %s with 401', async (_label, headers) => {
    await expectError(await callKeygate('/v1/virtual-keys', { headers }), 401, 'invalid_api_key');
  });

  it('fails closed when no admin key is configured', async () => {
    const response = await callKeygate('/v1/virtual-keys', { headers: { authorization: 'Bearer ' } }, { ADMIN_API_KEY: '' });
    const body = await expectError(response, 500, 'admin_api_key_missing');
    expect(body.message).toMatch(/ADMIN_API_KEY/);
  });
});

describe('create', () => {
  it('answers the seed shape with a readable, random slug', async () => {
    const response = await adminRequest('POST', '/v1/virtual-keys', { name: 'OpenAI Prod!', provider: 'openai', key: 'sk-fake-create-000000000000abcd' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { success: boolean; data: { slug: string } };
    expect(body.success).toBe(true);
    expect(body.data.slug).toMatch(/^openai-prod-[a-z2-7]{16}$/);
  });

  it('never derives the slug from the key', async () => {
    const first = await createVirtualKey({ name: 'same', key: 'sk-fake-same-key-00000000000000' });
    const second = await createVirtualKey({ name: 'same', key: 'sk-fake-same-key-00000000000000' });
    expect(first).not.toBe(second);
  });

  it('stores note and expiry given in camelCase or snake_case', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const camel = await createVirtualKey({ note: 'camel', expiresAt });
    const snake = await createVirtualKey({ note: 'snake', expires_at: expiresAt });
    for (const [slug, note] of [[camel, 'camel'], [snake, 'snake']] as const) {
      const key = (await (await adminRequest('GET', `/v1/virtual-keys/${slug}`)).json()) as KeyObject;
      expect(key.note).toBe(note);
      expect(key.expires_at).toBe(expiresAt);
    }
  });

  it.each([
    ['an unknown provider', { name: 'x', provider: 'azure-openai-nope', key: 'k' }, 'provider', /must be one of: openai/],
    ['a missing provider', { name: 'x', key: 'k' }, 'provider', /must be one of: openai/],
    ['a missing key', { name: 'x', provider: 'openai' }, 'key', /key: required/],
    ['an empty key', { name: 'x', provider: 'openai', key: '  ' }, 'key', /key: must not be empty/],
    ['a missing name', { provider: 'openai', key: 'k' }, 'name', /name: required/],
    ['a name of the wrong type', { name: 5, provider: 'openai', key: 'k' }, 'name', /name: .*expected string/],
    ['a note of the wrong type', { name: 'x', provider: 'openai', key: 'k', note: 7 }, 'note', /note: /],
    ['an unknown field', { name: 'x', provider: 'openai', key: 'k', api_key: 'k' }, 'api_key', /api_key: unknown field/],
    ['an expiry in the past', { name: 'x', provider: 'openai', key: 'k', expires_at: '2020-01-01T00:00:00Z' }, 'expires_at', /in the future/],
    ['an expiry that is not a date', { name: 'x', provider: 'openai', key: 'k', expires_at: 'tomorrow' }, 'expires_at', /ISO 8601/],
    ['both spellings with different values', { name: 'x', provider: 'openai', key: 'k', expiresAt: '2031-01-01T00:00:00Z', expires_at: '2032-01-01T00:00:00Z' }, 'expires_at', /expiresAt and expires_at/],
    ['another workspace', { name: 'x', provider: 'openai', key: 'k', workspace_id: 'ws_elsewhere' }, 'workspace_id', /workspace/],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_label, body, param, message) => {
    const before = await rowCount();
    const response = await adminRequest('POST', '/v1/virtual-keys', body);
    const error = await expectError(response, 400);
    expect((error.error as { param?: string }).param).toBe(param);
    expect(error.message).toMatch(message);
    expect(await rowCount()).toBe(before);
  });

  it.each([
    ['invalid JSON', '{"name": "x",', 'application/json', 400, 'invalid_json'],
    ['a JSON array', '[]', 'application/json', 400, 'invalid_body'],
    ['a body that is not JSON', 'name=x', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
  ])('refuses %s and writes nothing', async (_label, body, contentType, status, code) => {
    const before = await rowCount();
    const response = await callKeygate('/v1/virtual-keys', {
      method: 'POST',
      headers: { 'x-portkey-api-key': ADMIN_API_KEY, 'content-type': contentType },
      body,
    });
    await expectError(response, status, code);
    expect(await rowCount()).toBe(before);
  });

  it('refuses a body over 64 KiB with 413 and writes nothing', async () => {
    const before = await rowCount();
    const response = await adminRequest('POST', '/v1/virtual-keys', { name: 'big', provider: 'openai', key: 'k', note: 'x'.repeat(70 * 1024) });
    await expectError(response, 413, 'body_too_large');
    expect(await rowCount()).toBe(before);
  });

  it('refuses an oversized body sent without Content-Length', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await callKeygate('/v1/virtual-keys', {
      method: 'POST',
      headers: { 'x-portkey-api-key': ADMIN_API_KEY, 'content-type': 'application/json' },
      body: stream,
      // @ts-expect-error: workerd accepts duplex for streamed request bodies
      duplex: 'half',
    });
    await expectError(response, 413, 'body_too_large');
  });
});

describe('retrieve', () => {
  it('shows the key object with the secret masked to its last 4 characters', async () => {
    const slug = await createVirtualKey({ name: 'shown', note: 'a note', key: 'sk-fake-retrieve-0000000000wxyz' });
    const response = await adminRequest('GET', `/v1/virtual-keys/${slug}`);
    expect(response.status).toBe(200);
    const key = (await response.json()) as KeyObject;
    expect(key).toMatchObject({ slug, name: 'shown', note: 'a note', ai_provider_name: 'openai', status: 'active', model_config: {} });
    expect(key.masked_api_key).toBe('********wxyz');
    expect(Date.parse(key.created_at)).not.toBeNaN();
    expect(key.updated_at).toBe(key.created_at);
    expect(JSON.stringify(key)).not.toContain('sk-fake-retrieve');
  });

  it('does not show any of a short key', async () => {
    const slug = await createVirtualKey({ key: 'short-key' });
    const key = (await (await adminRequest('GET', `/v1/virtual-keys/${slug}`)).json()) as KeyObject;
    expect(key.masked_api_key).toBe('********');
  });

  it('answers 404 for an unknown slug', async () => {
    const body = await expectError(await adminRequest('GET', '/v1/virtual-keys/nope-aaaaaaaaaaaaaaaa'), 404, 'virtual_key_not_found');
    expect(body.message).toContain('nope-aaaaaaaaaaaaaaaa');
  });
});

describe('list', () => {
  it('pages newest first with current_page and page_size', async () => {
    const before = ((await (await adminRequest('GET', '/v1/virtual-keys')).json()) as { total: number }).total;
    const slugs: string[] = [];
    for (let index = 0; index < 3; index++) slugs.push(await createVirtualKey({ name: `page ${index}` }));

    const all = (await (await adminRequest('GET', '/v1/virtual-keys')).json()) as { object: string; total: number; data: KeyObject[] };
    expect(all.object).toBe('list');
    expect(all.total).toBe(before + 3);
    expect(all.data.slice(0, 3).map((key) => key.slug)).toEqual([...slugs].reverse());

    const second = (await (await adminRequest('GET', '/v1/virtual-keys?page_size=2&current_page=1')).json()) as { total: number; data: KeyObject[] };
    expect(second.total).toBe(before + 3);
    expect(second.data.map((key) => key.slug)[0]).toBe(all.data[2]!.slug);
  });

  it.each([
    ['page_size=101', 'page_size'],
    ['page_size=0', 'page_size'],
    ['current_page=-1', 'current_page'],
    ['page_size=ten', 'page_size'],
  ])('refuses %s with 400', async (query, param) => {
    const body = await expectError(await adminRequest('GET', `/v1/virtual-keys?${query}`), 400, 'invalid_query');
    expect((body.error as { param?: string }).param).toBe(param);
  });
});

describe('update', () => {
  it('changes name, note and expiry, keeps the slug, and moves updated_at', async () => {
    const slug = await createVirtualKey({ name: 'before', note: 'old' });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const response = await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { name: 'after', note: null, expiresAt });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { slug: string } }).data.slug).toBe(slug);
    const key = (await (await adminRequest('GET', `/v1/virtual-keys/${slug}`)).json()) as KeyObject;
    expect(key).toMatchObject({ name: 'after', note: null, expires_at: expiresAt });
    expect(key.updated_at >= key.created_at).toBe(true);
  });

  it('rotates the key: the mask changes and the slug stays', async () => {
    const slug = await createVirtualKey({ key: 'sk-fake-rotate-old-00000000aaaa' });
    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { key: 'sk-fake-rotate-new-00000000bbbb' });
    const key = (await (await adminRequest('GET', `/v1/virtual-keys/${slug}`)).json()) as KeyObject;
    expect(key.masked_api_key).toBe('********bbbb');
  });

  it('can disable and re-enable a key', async () => {
    const slug = await createVirtualKey();
    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { status: 'disabled' });
    expect(((await (await adminRequest('GET', `/v1/virtual-keys/${slug}`)).json()) as KeyObject).status).toBe('disabled');
    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { status: 'active' });
    expect(((await (await adminRequest('GET', `/v1/virtual-keys/${slug}`)).json()) as KeyObject).status).toBe('active');
  });

  it.each([
    ['an empty key', { key: '' }, /key: must not be empty/],
    ['an unknown status', { status: 'paused' }, /status: /],
    ['an unknown field', { provider: 'openai' }, /provider: unknown field/],
    ['a past expiry', { expires_at: '2001-01-01T00:00:00Z' }, /in the future/],
  ])('refuses %s with 400 and changes nothing', async (_label, body, message) => {
    const slug = await createVirtualKey({ name: 'unchanged', key: 'sk-fake-unchanged-0000000000zz' });
    const before = await adminRequest('GET', `/v1/virtual-keys/${slug}`).then((response) => response.json());
    const error = await expectError(await adminRequest('PUT', `/v1/virtual-keys/${slug}`, body), 400);
    expect(error.message).toMatch(message);
    expect(await adminRequest('GET', `/v1/virtual-keys/${slug}`).then((response) => response.json())).toEqual(before);
  });

  it('answers 404 for an unknown slug', async () => {
    await expectError(await adminRequest('PUT', '/v1/virtual-keys/nope-bbbbbbbbbbbbbbbb', { name: 'x' }), 404, 'virtual_key_not_found');
  });
});

describe('delete', () => {
  it('removes the key: retrieve answers 404 and the list no longer has it', async () => {
    const slug = await createVirtualKey();
    const response = await adminRequest('DELETE', `/v1/virtual-keys/${slug}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
    await expectError(await adminRequest('GET', `/v1/virtual-keys/${slug}`), 404);
    const list = (await (await adminRequest('GET', '/v1/virtual-keys?page_size=100')).json()) as { data: KeyObject[] };
    expect(list.data.map((key) => key.slug)).not.toContain(slug);
    await expectError(await adminRequest('DELETE', `/v1/virtual-keys/${slug}`), 404);
  });
});

describe('every response', () => {
  it('carries the same x-request-id and x-portkey-request-id, on success and on error', async () => {
    for (const response of [await callKeygate('/health'), await callKeygate('/v1/virtual-keys'), await adminRequest('GET', '/v1/virtual-keys/missing')]) {
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('x-portkey-request-id')).toBe(id);
    }
  });

  it('answers 405 in the error shape for a method an admin path lacks', async () => {
    await expectError(await adminRequest('PATCH', '/v1/virtual-keys/some-slug', {}), 405, 'method_not_allowed');
  });

  it('answers 404 in the error shape for an unknown route', async () => {
    await expectError(await callKeygate('/nowhere'), 404, 'route_not_found');
  });
});

// The OpenAPI document is a static asset, not a Worker route: test/e2e/openapi-document.test.ts.
describe('health', () => {
  it('answers /health without auth', async () => {
    const response = await callKeygate('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});
