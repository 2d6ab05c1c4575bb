// The API-key admin API as a user meets it: create (shown once, stored as a digest), read
// (masked), update, delete, rotate, and every rule about scopes and levels. Real local D1 and KV.

import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isolateApiKeys } from '../src/store/isolate-cache';
import { sha256Hex } from '../src/vault/crypto';
import { chatAs, createApiKey, createVirtualKeyIn, createWorkspace, createWorkspaceKey, requestAs, WORKSPACE_SCOPES } from './support/access';
import { ADMIN_API_KEY, expectError } from './support/keygate';

interface ApiKeyObject {
  id: string;
  key: string;
  type: string;
  organisation_id: string;
  workspace_id: string | null;
  user_id: string | null;
  scopes: string[];
  status: string;
  name: string;
  description: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  object: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function retrieve(id: string, as = ADMIN_API_KEY): Promise<ApiKeyObject> {
  const response = await requestAs(as, 'GET', `/v1/api-keys/${id}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as ApiKeyObject;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('create', () => {
  it('shows the key once, behind its prefix, and stores only its SHA-256 digest', async () => {
    const { id, key } = await createWorkspaceKey('ws_default', ['completions.write']);
    expect(id).toMatch(UUID);
    expect(key).toMatch(/^kg-ak-[A-Za-z0-9_-]{43}$/);
    const stored = await env.DB.prepare('SELECT digest FROM api_key_credentials WHERE api_key_id = ?1').bind(id).all<{ digest: string }>();
    expect(stored.results).toEqual([{ digest: await sha256Hex(key) }]);
    const row = JSON.stringify(await env.DB.prepare('SELECT * FROM api_keys WHERE id = ?1').bind(id).first());
    expect(row).not.toContain(key);
    expect(row).not.toContain(key.slice(6, -4));

    const shown = await retrieve(id);
    expect(shown).toMatchObject({ id, type: 'workspace-service', workspace_id: 'ws_default', user_id: null, scopes: ['completions.write'], status: 'active', object: 'api-key' });
    expect(shown.organisation_id).toMatch(UUID);
    expect(shown.key).toBe(`kg-ak-********${key.slice(-4)}`);
    expect(JSON.stringify(shown)).not.toContain(key);
  });

  it('accepts the SDK’s type and sub-type when they agree with the path, and refuses them when not', async () => {
    const body = { name: 'sdk', workspace_id: 'ws_default', scopes: ['completions.write'] };
    expect((await requestAs(ADMIN_API_KEY, 'POST', '/v1/api-keys/workspace/service', { ...body, type: 'workspace', 'sub-type': 'service' })).status).toBe(200);
    await expectError(await requestAs(ADMIN_API_KEY, 'POST', '/v1/api-keys/workspace/service', { ...body, type: 'organisation' }), 400, 'api_key_type_mismatch');
    await expectError(await requestAs(ADMIN_API_KEY, 'POST', '/v1/api-keys/workspace/service', { ...body, 'sub-type': 'user' }), 400, 'api_key_type_mismatch');
  });

  it.each([
    ['an unknown level', '/v1/api-keys/team/service', { scopes: ['completions.write'] }, 'invalid_path'],
    ['organisation user keys', '/v1/api-keys/organisation/user', { scopes: ['completions.write'], user_id: 'u1' }, 'unsupported_api_key_type'],
    ['a workspace key without workspace_id', '/v1/api-keys/workspace/service', { scopes: ['completions.write'] }, 'invalid_body'],
    ['a user key without user_id', '/v1/api-keys/workspace/user', { workspace_id: 'ws_default', scopes: ['completions.write'] }, 'invalid_body'],
    ['a service key with a user_id', '/v1/api-keys/workspace/service', { workspace_id: 'ws_default', user_id: 'u1', scopes: ['completions.write'] }, 'user_id_not_applicable'],
    ['a user_id with unsafe characters', '/v1/api-keys/workspace/user', { workspace_id: 'ws_default', user_id: 'a b<script>', scopes: ['completions.write'] }, 'invalid_body'],
    ['an organisation key with a workspace', '/v1/api-keys/organisation/service', { workspace_id: 'ws_default', scopes: ['completions.write'] }, 'workspace_not_applicable'],
    ['a workspace that does not exist', '/v1/api-keys/workspace/service', { workspace_id: 'ws-nope-000000', scopes: ['completions.write'] }, 'workspace_not_found'],
    ['no scopes', '/v1/api-keys/workspace/service', { workspace_id: 'ws_default', scopes: [] }, 'invalid_body'],
    ['an expiry in the past', '/v1/api-keys/workspace/service', { workspace_id: 'ws_default', scopes: ['completions.write'], expires_at: '2020-01-01T00:00:00Z' }, 'invalid_body'],
    ['an unknown field', '/v1/api-keys/workspace/service', { workspace_id: 'ws_default', scopes: ['completions.write'], rotation_policy: {} }, 'invalid_body'],
  ])('refuses %s with 400 and writes nothing', async (_label, path, body, code) => {
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM api_keys').first<{ n: number }>();
    await expectError(await requestAs(ADMIN_API_KEY, 'POST', path, { name: 'bad', ...body }), 400, code);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM api_keys').first<{ n: number }>()).toEqual(before);
  });

  it('refuses an unknown scope with 400 and lists the known ones', async () => {
    const response = await requestAs(ADMIN_API_KEY, 'POST', '/v1/api-keys/workspace/service', { name: 'x', workspace_id: 'ws_default', scopes: ['completions.write', 'virtual_keys.destroy'] });
    const body = await expectError(response, 400, 'invalid_body');
    expect(body.message).toMatch(/^scopes\.1: is not a known scope/);
    expect(body.message).toContain('virtual_keys.delete');
    expect(body.message).toContain('workspace_user_api_keys.rotate');
  });

  it('refuses organisation-only scopes on a workspace key with 400', async () => {
    for (const scope of ['workspaces.create', 'workspaces.delete', 'organisation_service_api_keys.list', 'audit_logs.list']) {
      const response = await requestAs(ADMIN_API_KEY, 'POST', '/v1/api-keys/workspace/service', { name: 'x', workspace_id: 'ws_default', scopes: [scope] });
      const body = await expectError(response, 400, 'organisation_only_scope');
      expect(body.message).toContain(scope);
    }
  });

  it('refuses an organisation_id of another organisation with 403', async () => {
    const response = await requestAs(ADMIN_API_KEY, 'POST', '/v1/api-keys/organisation/service', {
      name: 'x',
      scopes: ['completions.write'],
      organisation_id: '00000000-0000-4000-8000-000000000000',
    });
    await expectError(response, 403, 'organisation_forbidden');
  });
});

describe('no escalation', () => {
  it('a key can’t grant a scope it lacks, make a wider key, or reach another workspace', async () => {
    const own = await createWorkspace('Escalation own');
    const other = await createWorkspace('Escalation other');
    const { key } = await createWorkspaceKey(own, ['completions.write', 'workspace_service_api_keys.create']);
    const create = (kind: string, body: Record<string, unknown>) => requestAs(key, 'POST', `/v1/api-keys/${kind}`, { name: 'child', ...body });

    expect((await create('workspace/service', { workspace_id: own, scopes: ['completions.write'] })).status).toBe(200);
    const escalated = await expectError(await create('workspace/service', { workspace_id: own, scopes: ['completions.write', 'virtual_keys.delete'] }), 403, 'scope_escalation');
    expect(escalated.message).toContain('virtual_keys.delete');
    await expectError(await create('organisation/service', { scopes: ['completions.write'] }), 403, 'missing_scope');
    await expectError(await create('workspace/service', { workspace_id: other, scopes: ['completions.write'] }), 403, 'workspace_forbidden');
    await expectError(await create('workspace/user', { workspace_id: own, user_id: 'u1', scopes: ['completions.write'] }), 403, 'missing_scope');
  });

  it('an update can’t add a scope the caller lacks', async () => {
    const own = await createWorkspace('Escalation update');
    const manager = await createWorkspaceKey(own, ['completions.write', 'workspace_service_api_keys.update', 'workspace_service_api_keys.read']);
    const { id } = await createWorkspaceKey(own, ['completions.write']);
    await expectError(await requestAs(manager.key, 'PUT', `/v1/api-keys/${id}`, { scopes: ['completions.write', 'virtual_keys.create'] }), 403, 'scope_escalation');
    expect((await retrieve(id)).scopes).toEqual(['completions.write']);
  });
});

describe('no escalation through update, rotate, expiry or another user', () => {
  it('a key can’t update or rotate a key that holds scopes it lacks (rotation would hand it the secret)', async () => {
    const workspace = await createWorkspace('Takeover');
    const strong = await createWorkspaceKey(workspace, ['completions.write', 'virtual_keys.delete']);
    const weak = await createWorkspaceKey(workspace, ['workspace_service_api_keys.rotate', 'workspace_service_api_keys.update']);
    const rotate = await expectError(await requestAs(weak.key, 'POST', `/v1/api-keys/${strong.id}/rotate`), 403, 'scope_escalation');
    expect(rotate.message).toContain('virtual_keys.delete');
    await expectError(await requestAs(weak.key, 'PUT', `/v1/api-keys/${strong.id}`, { name: 'mine now' }), 403, 'scope_escalation');
    expect((await requestAs(strong.key, 'GET', '/v1/virtual-keys')).status).toBe(403); // the strong key is untouched: still valid
    // Within its own scopes it may rotate: a key with the same powers gives nothing away.
    const peer = await createWorkspaceKey(workspace, ['workspace_service_api_keys.rotate']);
    expect((await requestAs(weak.key, 'POST', `/v1/api-keys/${peer.id}/rotate`)).status).toBe(200);
  });

  it('a key that expires can’t make or leave a key that outlives it, itself included', async () => {
    const workspace = await createWorkspace('Expiring manager');
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const manager = await createWorkspaceKey(workspace, ['completions.write', 'workspace_service_api_keys.create', 'workspace_service_api_keys.update', 'workspace_service_api_keys.read'], { expires_at: expiresAt });
    const create = (body: Record<string, unknown>) => requestAs(manager.key, 'POST', '/v1/api-keys/workspace/service', { name: 'child', workspace_id: workspace, scopes: ['completions.write'], ...body });

    const child = (await (await create({})).json()) as { id: string };
    expect((await retrieve(child.id)).expires_at).toBe(expiresAt);
    await expectError(await create({ expires_at: null }), 403, 'expiry_escalation');
    await expectError(await create({ expires_at: new Date(Date.now() + 7_200_000).toISOString() }), 403, 'expiry_escalation');
    expect((await create({ expires_at: new Date(Date.now() + 1_800_000).toISOString() })).status).toBe(200);
    await expectError(await requestAs(manager.key, 'PUT', `/v1/api-keys/${manager.id}`, { expires_at: null }), 403, 'expiry_escalation');
    expect((await retrieve(manager.id)).expires_at).toBe(expiresAt);
  });

  it('a user key acts for its own user only', async () => {
    const workspace = await createWorkspace('Users');
    const scopes = ['completions.write', ...['create', 'read', 'list', 'rotate'].map((action) => `workspace_user_api_keys.${action}`)];
    const bob = await createApiKey('workspace/user', { workspace_id: workspace, user_id: 'bob', scopes });
    const alice = await createApiKey('workspace/user', { workspace_id: workspace, user_id: 'alice', scopes: ['completions.write'] });
    const make = (kind: string, body: Record<string, unknown>) => requestAs(bob.key, 'POST', `/v1/api-keys/${kind}`, { name: 'x', workspace_id: workspace, scopes: ['completions.write'], ...body });

    expect((await make('workspace/user', { user_id: 'bob' })).status).toBe(200);
    await expectError(await make('workspace/user', { user_id: 'alice' }), 403, 'user_forbidden');
    await expectError(await requestAs(bob.key, 'GET', `/v1/api-keys/${alice.id}`), 404, 'api_key_not_found');
    await expectError(await requestAs(bob.key, 'POST', `/v1/api-keys/${alice.id}/rotate`), 404, 'api_key_not_found');
    const listed = (await (await requestAs(bob.key, 'GET', '/v1/api-keys')).json()) as { data: ApiKeyObject[] };
    expect(new Set(listed.data.map((key) => key.user_id))).toEqual(new Set(['bob']));
  });
});

describe('read, list, update, delete', () => {
  it('lists with Portkey’s paging, by workspace (either spelling), and never another workspace', async () => {
    const workspace = await createWorkspace('Listing');
    const ids = [];
    for (let index = 0; index < 3; index++) ids.push((await createWorkspaceKey(workspace, ['completions.write'])).id);
    const page = (await (await requestAs(ADMIN_API_KEY, 'GET', `/v1/api-keys?workspace_id=${workspace}&page_size=2&current_page=1`)).json()) as { total: number; data: ApiKeyObject[] };
    expect(page.total).toBe(3);
    expect(page.data.map((key) => key.id)).toEqual([ids[0]]);
    const camel = (await (await requestAs(ADMIN_API_KEY, 'GET', `/v1/api-keys?workspaceId=${workspace}`)).json()) as { total: number };
    expect(camel.total).toBe(3);

    const member = await createWorkspaceKey(workspace, ['workspace_service_api_keys.list']);
    const own = (await (await requestAs(member.key, 'GET', '/v1/api-keys')).json()) as { data: ApiKeyObject[] };
    expect(new Set(own.data.map((key) => key.workspace_id))).toEqual(new Set([workspace]));
    await expectError(await requestAs(member.key, 'GET', '/v1/api-keys?workspace_id=ws_default'), 403, 'workspace_forbidden');
    await expectError(await requestAs(member.key, 'GET', `/v1/api-keys/${(await createWorkspaceKey('ws_default', ['completions.write'])).id}`), 404, 'api_key_not_found');
    const noList = await createWorkspaceKey(workspace, ['completions.write']);
    await expectError(await requestAs(noList.key, 'GET', '/v1/api-keys'), 403, 'missing_scope');
  });

  it('answers 404 for an id that is not a key, whatever its shape, without echoing it', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', 'x'.repeat(5000)]) {
      const body = await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/api-keys/${id}`), 404, 'api_key_not_found');
      expect(body.message.length).toBeLessThan(200);
    }
  });

  it('updates name, description, scopes, expiry and defaults, answers {}, and applies scopes at once', async () => {
    const workspace = await createWorkspace('Updates');
    const slug = await createVirtualKeyIn(workspace);
    const { id, key } = await createWorkspaceKey(workspace, ['completions.write', 'virtual_keys.list']);
    expect((await chatAs(key, slug)).status).toBe(200);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    // The SDK leaves `id` in the body.
    const response = await requestAs(ADMIN_API_KEY, 'PUT', `/v1/api-keys/${id}`, {
      id,
      name: 'renamed',
      description: 'now read-only',
      scopes: ['virtual_keys.list'],
      expires_at: expiresAt,
      defaults: { metadata: { team: 'search' } },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(await retrieve(id)).toMatchObject({ name: 'renamed', description: 'now read-only', scopes: ['virtual_keys.list'], expires_at: expiresAt });
    await expectError(await chatAs(key, slug), 403, 'missing_scope');
  });

  it.each([
    ['a different id', { id: '00000000-0000-4000-8000-000000000000' }, 'id_mismatch'],
    ['another workspace', { workspace_id: 'ws-other-123456' }, 'immutable_field'],
    ['another user', { user_id: 'someone-else' }, 'immutable_field'],
    ['another type', { type: 'organisation' }, 'api_key_type_mismatch'],
  ])('refuses an update to %s with 400 and changes nothing', async (_label, body, code) => {
    const { id } = await createWorkspaceKey('ws_default', ['completions.write']);
    await expectError(await requestAs(ADMIN_API_KEY, 'PUT', `/v1/api-keys/${id}`, { name: 'changed', ...body }), 400, code);
    expect((await retrieve(id)).name).toBe('workspace/service key');
  });

  it('accepts identity fields in an update when they are unchanged (null ones too)', async () => {
    const { id } = await createApiKey('workspace/user', { workspace_id: 'ws_default', user_id: 'user-7', scopes: ['completions.write'] });
    const response = await requestAs(ADMIN_API_KEY, 'PUT', `/v1/api-keys/${id}`, { id, name: 'same', workspace_id: 'ws_default', user_id: 'user-7', type: 'workspace', 'sub-type': 'user' });
    expect(response.status).toBe(200);
    expect((await retrieve(id)).user_id).toBe('user-7');
    const organisationKey = await createApiKey('organisation/service', { scopes: ['completions.write'] });
    const unchanged = await requestAs(ADMIN_API_KEY, 'PUT', `/v1/api-keys/${organisationKey.id}`, { name: 'org', workspace_id: null, user_id: null });
    expect(unchanged.status).toBe(200);
  });

  it('deletes a key, answers {}, and refuses the key at once', async () => {
    const slug = await createVirtualKeyIn('ws_default');
    const { id, key } = await createWorkspaceKey('ws_default', ['completions.write']);
    expect((await chatAs(key, slug)).status).toBe(200);
    const response = await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/api-keys/${id}`, { id });
    expect(await response.json()).toEqual({});
    await expectError(await chatAs(key, slug), 401, 'invalid_api_key');
    await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/api-keys/${id}`), 404, 'api_key_not_found');
  });
});

describe('expiry and rotation', () => {
  it('refuses a key after its expires_at with 401 api_key_expired', async () => {
    const slug = await createVirtualKeyIn('ws_default');
    const { id, key } = await createWorkspaceKey('ws_default', ['completions.write'], { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await chatAs(key, slug)).status).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3_600_001);
    await expectError(await chatAs(key, slug), 401, 'api_key_expired');
    expect((await retrieve(id)).status).toBe('expired');
  });

  it('keeps the old key working until the transition ends, then only the new one', async () => {
    const slug = await createVirtualKeyIn('ws_default');
    const { id, key: oldKey } = await createWorkspaceKey('ws_default', ['completions.write']);
    expect((await chatAs(oldKey, slug)).status).toBe(200);
    const before = Date.now();
    const response = await requestAs(ADMIN_API_KEY, 'POST', `/v1/api-keys/${id}/rotate`, { key_transition_period_ms: 3_600_000 });
    const rotated = (await response.json()) as { id: string; key: string; key_transition_expires_at: string };
    expect(rotated.id).toBe(id);
    expect(rotated.key).not.toBe(oldKey);
    expect(Date.parse(rotated.key_transition_expires_at) - before).toBeGreaterThanOrEqual(3_600_000);
    expect((await chatAs(oldKey, slug)).status).toBe(200);
    expect((await chatAs(rotated.key, slug)).status).toBe(200);
    expect((await retrieve(id)).key).toBe(`kg-ak-********${rotated.key.slice(-4)}`);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse(rotated.key_transition_expires_at) + 1);
    await expectError(await chatAs(oldKey, slug), 401, 'invalid_api_key');
    expect((await chatAs(rotated.key, slug)).status).toBe(200);
  });

  it('rotates with the default transition of 30 minutes when the body is left out', async () => {
    const { id } = await createWorkspaceKey('ws_default', ['completions.write']);
    const before = Date.now();
    const response = await requestAs(ADMIN_API_KEY, 'POST', `/v1/api-keys/${id}/rotate`);
    const rotated = (await response.json()) as { key_transition_expires_at: string };
    expect(Date.parse(rotated.key_transition_expires_at) - before).toBeGreaterThanOrEqual(1_800_000);
    expect(Date.parse(rotated.key_transition_expires_at) - before).toBeLessThan(1_860_000);
  });

  it('refuses a transition shorter than 30 minutes with 400', async () => {
    const { id, key } = await createWorkspaceKey('ws_default', ['completions.write']);
    await expectError(await requestAs(ADMIN_API_KEY, 'POST', `/v1/api-keys/${id}/rotate`, { key_transition_period_ms: 60_000 }), 400, 'invalid_body');
    expect((await requestAs(key, 'GET', '/v1/virtual-keys')).status).toBe(403); // still the same key: it lacks the scope, but is valid
  });
});

describe('authentication speed and caching', () => {
  it('checks a warm key with no storage read: it keeps working from the isolate cache until that expires', async () => {
    const slug = await createVirtualKeyIn('ws_default');
    const { id, key } = await createWorkspaceKey('ws_default', ['completions.write']);
    expect((await chatAs(key, slug)).status).toBe(200);
    const digest = await sha256Hex(key);
    expect(await env.KEY_CACHE.get(`ak:v1:digest:${digest}`)).toContain(id);
    // Storage loses the key behind the API's back: a warm isolate does not notice.
    await env.DB.prepare('DELETE FROM api_key_credentials WHERE api_key_id = ?1').bind(id).run();
    await env.KEY_CACHE.delete(`ak:v1:digest:${digest}`);
    expect((await chatAs(key, slug)).status).toBe(200);
    isolateApiKeys.clear();
    await expectError(await chatAs(key, slug), 401, 'invalid_api_key');
  });

  it('records last_used_at after use, at most once a minute per key per isolate', async () => {
    const slug = await createVirtualKeyIn('ws_default');
    const { id, key } = await createWorkspaceKey('ws_default', ['completions.write']);
    expect((await retrieve(id)).last_used_at).toBeNull();
    await chatAs(key, slug);
    const first = (await retrieve(id)).last_used_at;
    expect(first).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await chatAs(key, slug);
    expect((await retrieve(id)).last_used_at).toBe(first);
  });
});

describe('without ADMIN_API_KEY', () => {
  it('API keys still work, and the bootstrap key is simply gone', async () => {
    const slug = await createVirtualKeyIn('ws_default');
    const { key } = await createWorkspaceKey('ws_default', WORKSPACE_SCOPES);
    expect((await chatAs(key, slug, { ADMIN_API_KEY: '' })).status).toBe(200);
    expect((await requestAs(key, 'GET', '/v1/virtual-keys', undefined, { ADMIN_API_KEY: '' })).status).toBe(200);
    await expectError(await requestAs(ADMIN_API_KEY, 'GET', '/v1/virtual-keys', undefined, { ADMIN_API_KEY: '' }), 401, 'invalid_api_key');
  });
});
