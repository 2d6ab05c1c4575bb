// What Portkey's own documents send, and which paths are Keygate's: the underscore spelling of
// the virtual-key path, an empty workspace_id, field names that are Object.prototype members,
// reserved prefixes that must never reach a provider, and deletes that race.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createWorkspace, requestAs } from './support/access';
import { ADMIN_API_KEY, adminHeaders, callKeygate, createVirtualKey, expectError, upstreamRequests } from './support/keygate';

describe('Portkey’s spellings', () => {
  it('serves /v1/virtual_keys/{slug} (Portkey’s curl samples) as /v1/virtual-keys/{slug}', async () => {
    const slug = await createVirtualKey({ name: 'underscore' });
    const updated = await requestAs(ADMIN_API_KEY, 'PUT', `/v1/virtual_keys/${slug}`, { note: 'via underscore' });
    expect(updated.status).toBe(200);
    const read = (await (await requestAs(ADMIN_API_KEY, 'GET', `/v1/virtual-keys/${slug}`)).json()) as { note: string };
    expect(read.note).toBe('via underscore');
    expect((await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/virtual_keys/${slug}`)).status).toBe(200);
    await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/virtual-keys/${slug}`), 404, 'virtual_key_not_found');
  });

  it('reads an empty workspace_id as none', async () => {
    const response = await requestAs(ADMIN_API_KEY, 'POST', '/v1/virtual-keys', {
      name: 'empty ws',
      provider: 'openai',
      key: 'sk-fake-emptyws-000000000000000000',
      workspace_id: '',
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const { slug } = ((await response.json()) as { data: { slug: string } }).data;
    const read = (await (await requestAs(ADMIN_API_KEY, 'GET', `/v1/virtual-keys/${slug}`)).json()) as { workspace_id: string };
    expect(read.workspace_id).toBe('ws_default');
    expect((await requestAs(ADMIN_API_KEY, 'GET', '/v1/virtual-keys?workspace_id=')).status).toBe(200);
    const organisationKey = await requestAs(ADMIN_API_KEY, 'POST', '/v1/api-keys/organisation/service', { name: 'o', workspace_id: '', scopes: ['completions.write'] });
    expect(organisationKey.status).toBe(200);
  });
});

describe('field names that are Object.prototype members', () => {
  // camelCase names are read as their snake_case spelling, like every top-level field.
  it.each([
    ['constructor', 'constructor'],
    ['__proto__', '__proto__'],
    ['toString', 'to_string'],
    ['hasOwnProperty', 'has_own_property'],
    ['valueOf', 'value_of'],
  ])('answers a plain unknown-field message for %s', async (field, named) => {
    // Raw JSON text: an object literal would turn __proto__ into the prototype, not a field.
    const body = `{"name":"proto","provider":"openai","key":"sk-fake-proto-00000000000000000000","${field}":{"polluted":true}}`;
    const response = await callKeygate('/v1/virtual-keys', { method: 'POST', headers: adminHeaders(), body });
    const error = await expectError(response, 400, 'invalid_body');
    expect(error.message).toBe(`${named}: unknown field`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts a camelCase spelling whose snake_case is a prototype member name without confusion', async () => {
    const body = `{"name":"proto2","provider":"openai","key":"sk-fake-proto2-0000000000000000000","constructor":1,"Constructor":1}`;
    await expectError(await callKeygate('/v1/virtual-keys', { method: 'POST', headers: adminHeaders(), body }), 400, 'invalid_body');
  });
});

describe('prefixes that are Keygate’s own never reach a provider', () => {
  it.each([
    ['GET', '/v1/audit-logs/x/y'],
    // Portkey analytics Keygate does not serve.
    ['GET', '/v1/analytics/summary/cache'],
    ['GET', '/v1/analytics/graphs/feedbacks/ai-models'],
    ['POST', '/v1/admin/workspaces/ws_default/users'],
    ['GET', '/v1/admin/users'],
    // Other spellings of the same paths.
    ['POST', '/v1//admin/workspaces'],
    ['POST', '/v1//api-keys'],
    ['GET', '/v1//audit-logs'],
    ['GET', '/v1/admin%2Fusers'],
    ['GET', '/v1/Admin/users'],
    ['GET', '/v1/./admin/users'],
    ['POST', '/v1/API_KEYS/workspace/service'],
  ])('%s %s is a 404, even with a virtual key', async (method, path) => {
    const slug = await createVirtualKey({ name: 'reserved' });
    const testId = crypto.randomUUID();
    const response = await callKeygate(path, {
      method,
      headers: { ...adminHeaders(), 'x-portkey-virtual-key': slug, 'x-test-id': testId },
      body: method === 'POST' ? JSON.stringify({ model: 'gpt-4o' }) : undefined,
    });
    await expectError(response, 404, 'route_not_found');
    expect(await upstreamRequests(testId)).toEqual([]);
  });
});

describe('deletes that race', () => {
  it('two deletes of one virtual key: one 200, one 404', async () => {
    const slug = await createVirtualKey({ name: 'race' });
    const statuses = (await Promise.all([1, 2].map(() => requestAs(ADMIN_API_KEY, 'DELETE', `/v1/virtual-keys/${slug}`)))).map((response) => response.status);
    expect(statuses.sort()).toEqual([200, 404]);
  });

  it('two deletes of one workspace: one 200, one 404', async () => {
    const id = await createWorkspace('Race');
    const statuses = (await Promise.all([1, 2].map(() => requestAs(ADMIN_API_KEY, 'DELETE', `/v1/admin/workspaces/${id}`)))).map((response) => response.status);
    expect(statuses.sort()).toEqual([200, 404]);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM workspaces WHERE id = ?1').bind(id).first<{ n: number }>()).toEqual({ n: 0 });
  });
});
