// The workspace admin API as a user meets it: Portkey's shapes, filters and paging, what a
// workspace key may see, and deletion that is refused whole while anything is left inside.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApiKey, createVirtualKeyIn, createWorkspace, createWorkspaceKey, requestAs, WORKSPACE_SCOPES } from './support/access';
import { ADMIN_API_KEY, expectError } from './support/keygate';

interface WorkspaceObject {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  defaults: Record<string, unknown>;
  created_at: string;
  last_updated_at: string;
  object: string;
}

async function retrieve(id: string, as = ADMIN_API_KEY): Promise<WorkspaceObject> {
  const response = await requestAs(as, 'GET', `/v1/admin/workspaces/${id}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as WorkspaceObject;
}

describe('create and read', () => {
  it('answers Portkey’s workspace object with an id like ws-<name>-<6 hex> that is also its slug', async () => {
    const response = await requestAs(ADMIN_API_KEY, 'POST', '/v1/admin/workspaces', {
      name: 'Search Team!',
      description: 'Ranking and retrieval',
      defaults: { metadata: { environment: 'production' } },
    });
    expect(response.status).toBe(200);
    const created = (await response.json()) as WorkspaceObject;
    expect(created.id).toMatch(/^ws-search-team-[0-9a-f]{6}$/);
    expect(created).toMatchObject({
      slug: created.id,
      name: 'Search Team!',
      description: 'Ranking and retrieval',
      defaults: { metadata: { environment: 'production' } },
      object: 'workspace',
    });
    expect(created.last_updated_at).toBe(created.created_at);
    // A single read adds the live state of the workspace's limits.
    expect(await retrieve(created.id)).toEqual({ ...created, rate_limit_windows: [] });
  });

  it('keeps the default workspace of existing keys under its old id', async () => {
    expect(await retrieve('ws_default')).toMatchObject({ id: 'ws_default', slug: 'ws_default', name: 'Default', object: 'workspace' });
  });

  it.each([
    ['no name', {}],
    ['an empty name', { name: '  ' }],
    ['a name over 200 characters', { name: 'x'.repeat(201) }],
    ['metadata that is not strings', { name: 'x', defaults: { metadata: { a: 1 } } }],
    ['an unknown default', { name: 'x', defaults: { config_id: 'pc-1' } }],
    ['an unknown field', { name: 'x', users: ['someone'] }],
  ])('refuses %s with 400 and creates nothing', async (_label, body) => {
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM workspaces').first<{ n: number }>();
    await expectError(await requestAs(ADMIN_API_KEY, 'POST', '/v1/admin/workspaces', body), 400, 'invalid_body');
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM workspaces').first<{ n: number }>()).toEqual(before);
  });

  it('answers 404 for a workspace that does not exist, however its id looks', async () => {
    for (const id of ['ws-nothing-000000', 'a%20b', 'x'.repeat(3000)]) {
      const body = await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/admin/workspaces/${id}`), 404, 'workspace_not_found');
      expect(body.message.length).toBeLessThan(200);
    }
  });
});

describe('list', () => {
  it('filters by name (contains, case-sensitive) and exact_name, and pages with a whole total', async () => {
    const suffix = crypto.randomUUID().slice(0, 8);
    const ids = [];
    for (const name of [`Listed ${suffix} one`, `Listed ${suffix} two`, `listed ${suffix} three`]) ids.push(await createWorkspace(name));
    const list = async (query: string) => (await (await requestAs(ADMIN_API_KEY, 'GET', `/v1/admin/workspaces?${query}`)).json()) as { object: string; total: number; data: WorkspaceObject[] };

    const contains = await list(`name=${encodeURIComponent(`Listed ${suffix}`)}`);
    expect(contains.object).toBe('list');
    expect(contains.total).toBe(2);
    expect(contains.data.map((workspace) => workspace.id).sort()).toEqual([ids[0], ids[1]].sort());
    expect((await list(`exact_name=${encodeURIComponent(`Listed ${suffix} two`)}`)).data.map((workspace) => workspace.id)).toEqual([ids[1]]);
    const page = await list(`name=${encodeURIComponent(suffix)}&page_size=1&current_page=2`);
    expect(page.total).toBe(3);
    expect(page.data.map((workspace) => workspace.id)).toEqual([ids[0]]);
    // A name with LIKE's wildcards is matched literally.
    expect((await list('name=%25')).total).toBe(0);
  });

  it('shows a workspace key its own workspace only', async () => {
    const own = await createWorkspace('Seen by its key');
    await createWorkspace('Not seen by that key');
    const { key } = await createWorkspaceKey(own, ['workspaces.list', 'workspaces.read']);
    const list = (await (await requestAs(key, 'GET', '/v1/admin/workspaces')).json()) as { total: number; data: WorkspaceObject[] };
    expect(list.total).toBe(1);
    expect(list.data[0]!.id).toBe(own);
    await expectError(await requestAs(key, 'GET', '/v1/admin/workspaces/ws_default'), 404, 'workspace_not_found');
  });
});

describe('update', () => {
  it('changes only what it is given, answers {}, and bumps last_updated_at', async () => {
    const id = await createWorkspace('Before');
    const before = await retrieve(id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await requestAs(ADMIN_API_KEY, 'PUT', `/v1/admin/workspaces/${id}`, { description: 'after', defaults: { metadata: { team: 'a' } } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    const after = await retrieve(id);
    expect(after).toMatchObject({ name: 'Before', description: 'after', defaults: { metadata: { team: 'a' } } });
    expect(after.last_updated_at > before.last_updated_at).toBe(true);
  });

  it('lets a workspace key update its own workspace and no other', async () => {
    const own = await createWorkspace('Own to update');
    const other = await createWorkspace('Other to update');
    const { key } = await createWorkspaceKey(own, ['workspaces.update']);
    expect((await requestAs(key, 'PUT', `/v1/admin/workspaces/${own}`, { name: 'Renamed' })).status).toBe(200);
    await expectError(await requestAs(key, 'PUT', `/v1/admin/workspaces/${other}`, { name: 'Hijacked' }), 404, 'workspace_not_found');
    expect((await retrieve(other)).name).toBe('Other to update');
  });
});

describe('delete', () => {
  it('refuses with 409 while keys are left, says what is left, and deletes nothing', async () => {
    const id = await createWorkspace('Not empty');
    const slug = await createVirtualKeyIn(id);
    const apiKey = await createWorkspaceKey(id, ['completions.write']);
    const refused = await expectError(await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/admin/workspaces/${id}`, { workspace_id: id }), 409, 'workspace_not_empty');
    expect(refused.message).toContain('1 virtual key and 1 API key');
    expect((await retrieve(id)).id).toBe(id);
    expect((await requestAs(ADMIN_API_KEY, 'GET', `/v1/virtual-keys/${slug}`)).status).toBe(200);

    await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/virtual-keys/${slug}`);
    const stillOne = await expectError(await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/admin/workspaces/${id}`), 409, 'workspace_not_empty');
    expect(stillOne.message).toContain('1 API key');
    expect(stillOne.message).not.toContain('virtual key');

    await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/api-keys/${apiKey.id}`);
    const deleted = await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/admin/workspaces/${id}`);
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({});
    await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/admin/workspaces/${id}`), 404, 'workspace_not_found');
  });

  it('refuses to delete the default workspace', async () => {
    await expectError(await requestAs(ADMIN_API_KEY, 'DELETE', '/v1/admin/workspaces/ws_default'), 409, 'default_workspace');
  });

  it('a key can’t be created into a workspace once it is deleted', async () => {
    const id = await createWorkspace('Short lived');
    expect((await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/admin/workspaces/${id}`)).status).toBe(200);
    await expectError(
      await requestAs(ADMIN_API_KEY, 'POST', '/v1/virtual-keys', { name: 'late', provider: 'openai', key: 'sk-fake-late-00000000000000000000', workspace_id: id }),
      400,
      'workspace_not_found',
    );
  });
});

describe('scopes on workspace routes', () => {
  it('needs workspaces.create and workspaces.delete, which only organisation keys can hold', async () => {
    const { key: workspaceKey } = await createWorkspaceKey('ws_default', WORKSPACE_SCOPES);
    await expectError(await requestAs(workspaceKey, 'POST', '/v1/admin/workspaces', { name: 'Nope' }), 403, 'missing_scope');
    const { key: organisationKey } = await createApiKey('organisation/service', { scopes: ['workspaces.create', 'workspaces.delete', 'workspaces.read'] });
    const id = (await (await requestAs(organisationKey, 'POST', '/v1/admin/workspaces', { name: 'Yes' })).json()) as { id: string };
    expect((await requestAs(organisationKey, 'DELETE', `/v1/admin/workspaces/${id.id}`)).status).toBe(200);
    const body = await expectError(await requestAs(organisationKey, 'GET', '/v1/admin/workspaces'), 403, 'missing_scope');
    expect(body.message).toContain('workspaces.list');
  });
});
