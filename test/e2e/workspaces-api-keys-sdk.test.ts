// Workspaces and scoped API keys end to end, the way a Portkey user meets them: the real
// `portkey-ai` SDK manages workspaces and keys, the real `openai` SDK chats with a workspace key,
// and the Worker runs as it deploys in front of a fake OpenAI. Every assertion is on what an SDK
// returns, an error's status, or what the upstream recorded.

import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import {
  adminApiKey,
  adminClient,
  expectCleanUpstreamHeaders,
  failure,
  hello,
  keygateUrl,
  onlyUpstreamRequest,
  openaiClient,
  portkeyClient,
  providerKey,
  upstreamRequests,
  useKeygateWithFakeUpstream,
} from './harness';

useKeygateWithFakeUpstream();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A random tag, so names made by one test are found only by that test's filters. */
const tag = () => crypto.randomUUID().slice(0, 8);

async function createWorkspace(name: string): Promise<string> {
  const workspace = await adminClient().admin.workspaces.create({ name });
  return workspace.id!;
}

/** An OpenAI virtual key in `workspaceId`, created as admin; returns its slug. */
async function createVirtualKeyIn(workspaceId: string, secret: string, name = 'workspace openai'): Promise<string> {
  const created = (await adminClient().virtualKeys.create({ name, provider: 'openai', key: secret, workspace_id: workspaceId })) as unknown as {
    success: boolean;
    data: { id: string; slug: string };
  };
  expect(created.success).toBe(true);
  return created.data.slug;
}

/** A workspace service key made through the SDK as `asKey` (the admin key by default). */
async function createWorkspaceKey(workspaceId: string, scopes: string[], asKey = adminApiKey()): Promise<{ id: string; key: string }> {
  const created = await portkeyClient({ apiKey: asKey }).apiKeys.create({
    type: 'workspace',
    'sub-type': 'service',
    name: `service ${tag()}`,
    workspace_id: workspaceId,
    scopes,
  });
  expect(created.object).toBe('api-key');
  return { id: created.id!, key: created.key! };
}

describe('workspaces through the Portkey SDK', () => {
  it('creates a workspace in Portkey’s shape, whose id is ws-<name>-<6 hex> and also its slug', async () => {
    const created = await adminClient().admin.workspaces.create({
      name: 'Search Team',
      description: 'search and ranking',
      defaults: { metadata: { team: 'search' } },
    });

    expect(created).toMatchObject({
      name: 'Search Team',
      description: 'search and ranking',
      defaults: { metadata: { team: 'search' } },
      object: 'workspace',
    });
    expect(created.id).toMatch(/^ws-search-team-[0-9a-f]{6}$/);
    expect(created.slug).toBe(created.id);
    expect(Date.parse(String(created.created_at))).not.toBeNaN();
    expect(Date.parse(String(created.last_updated_at))).toBeGreaterThanOrEqual(Date.parse(String(created.created_at)));
  });

  it('lists by part of the name, by exact name, and page by page with the whole count as total', async () => {
    const mark = tag();
    const first = await createWorkspace(`Ranking ${mark}`);
    const second = await createWorkspace(`Ranking ${mark} staging`);
    const workspaces = adminClient().admin.workspaces;

    const byName = await workspaces.list({ name: mark });
    expect(byName.object).toBe('list');
    expect((byName.data ?? []).map((workspace) => workspace.id).sort()).toEqual([first, second].sort());
    expect(byName.total).toBe(2);

    const byExactName = await workspaces.list({ exact_name: `Ranking ${mark}` });
    expect((byExactName.data ?? []).map((workspace) => workspace.id)).toEqual([first]);
    expect(byExactName.total).toBe(1);

    const everything = await workspaces.list({ page_size: 100 });
    expect(everything.data).toHaveLength(everything.total!);
    const firstPage = await workspaces.list({ page_size: 1, current_page: 0 });
    expect(firstPage.data).toHaveLength(1);
    expect(firstPage.total).toBe(everything.total);
    expect(firstPage.total).toBeGreaterThanOrEqual(2);
  });

  it('retrieves a workspace, and a retrieve after update shows the change', async () => {
    const workspaceId = await createWorkspace(`Billing ${tag()}`);
    const workspaces = adminClient().admin.workspaces;

    const before = await workspaces.retrieve({ workspaceId });
    expect(before).toMatchObject({ id: workspaceId, slug: workspaceId, description: null, object: 'workspace' });

    await workspaces.update({ workspaceId, name: 'Billing renamed', description: 'invoices' });

    const after = await workspaces.retrieve({ workspaceId });
    expect(after).toMatchObject({ id: workspaceId, name: 'Billing renamed', description: 'invoices' });
    expect(Date.parse(String(after.last_updated_at))).toBeGreaterThanOrEqual(Date.parse(String(before.last_updated_at)));
  });

  it('refuses to delete a workspace holding a virtual key (409), and deletes it once empty (then 404)', async () => {
    const workspaceId = await createWorkspace(`Doomed ${tag()}`);
    const slug = await createVirtualKeyIn(workspaceId, providerKey('doomed-ws'));
    const workspaces = adminClient().admin.workspaces;

    const refused = await failure(() => workspaces.delete({ workspaceId }));
    expect(refused.status).toBe(409);
    expect((await workspaces.retrieve({ workspaceId })).id).toBe(workspaceId);

    await adminClient().virtualKeys.delete({ slug });
    await workspaces.delete({ workspaceId });

    const gone = await failure(() => workspaces.retrieve({ workspaceId }));
    expect(gone.status).toBe(404);
  });
});

describe('API keys through the Portkey SDK', () => {
  it('creates a workspace service key, shows it once, and masks it in every read', async () => {
    const workspaceId = await createWorkspace(`Keys ${tag()}`);
    const scopes = ['completions.write', 'virtual_keys.list'];

    const created = await adminClient().apiKeys.create({
      type: 'workspace',
      'sub-type': 'service',
      name: 'checkout service',
      workspace_id: workspaceId,
      scopes,
    });
    expect(created.id).toMatch(UUID);
    expect(created.key).toMatch(/^kg-ak-/);
    expect(created.object).toBe('api-key');
    const key = created.key!;

    const retrieved = await adminClient().apiKeys.retrieve({ id: created.id! });
    expect(retrieved).toMatchObject({
      id: created.id,
      name: 'checkout service',
      type: 'workspace-service',
      workspace_id: workspaceId,
      scopes,
      status: 'active',
      object: 'api-key',
    });
    expect(retrieved.organisation_id).toMatch(UUID);
    expect(retrieved.key).not.toBe(key);
    expect(retrieved.key!.endsWith(key.slice(-4))).toBe(true);
    expect(JSON.stringify(retrieved)).not.toContain(key);

    const listed = await adminClient().apiKeys.list({ workspace_id: workspaceId });
    expect(listed.object).toBe('list');
    expect((listed.data ?? []).map((entry) => entry.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(key);
  });

  it('updates a key’s name and scopes, and makes a user key bound to a user_id', async () => {
    const workspaceId = await createWorkspace(`Keys ${tag()}`);
    const { id } = await createWorkspaceKey(workspaceId, ['completions.write']);

    await adminClient().apiKeys.update({ id, name: 'renamed', scopes: ['completions.write', 'virtual_keys.read'] });
    expect(await adminClient().apiKeys.retrieve({ id })).toMatchObject({ name: 'renamed', scopes: ['completions.write', 'virtual_keys.read'] });

    const user = await adminClient().apiKeys.create({
      type: 'workspace',
      'sub-type': 'user',
      name: 'alice',
      workspace_id: workspaceId,
      user_id: 'alice@example.com',
      scopes: ['completions.write'],
    });
    expect(user.key).toMatch(/^kg-ak-/);
    expect(await adminClient().apiKeys.retrieve({ id: user.id! })).toMatchObject({
      type: 'workspace-user',
      workspace_id: workspaceId,
      user_id: 'alice@example.com',
    });
  });

  it('a deleted key gets 401 on the gateway, and nothing goes upstream', async () => {
    const workspaceId = await createWorkspace(`Keys ${tag()}`);
    const slug = await createVirtualKeyIn(workspaceId, providerKey('deleted-key'));
    const { id, key } = await createWorkspaceKey(workspaceId, ['completions.write']);
    const warm = crypto.randomUUID();
    // Chat once first, so the key is cached and the delete has to evict it.
    await openaiClient(warm, { apiKey: key }).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });
    expect(await upstreamRequests(warm)).toHaveLength(1);

    await adminClient().apiKeys.delete({ id });

    const testId = crypto.randomUUID();
    const error = await failure(() => openaiClient(testId, { apiKey: key }).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello }));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.status).toBe(401);
    expect(await upstreamRequests(testId)).toEqual([]);
    expect((await failure(() => adminClient().apiKeys.retrieve({ id }))).status).toBe(404);
  });
});

describe('a workspace key in the OpenAI SDK', () => {
  it('chats through its workspace’s virtual key; the upstream sees the provider key only', async () => {
    const workspaceId = await createWorkspace(`Chat ${tag()}`);
    const secret = providerKey('workspace-chat');
    const slug = await createVirtualKeyIn(workspaceId, secret);
    const { key } = await createWorkspaceKey(workspaceId, ['completions.write', 'virtual_keys.list']);
    const testId = crypto.randomUUID();

    const completion = await openaiClient(testId, { apiKey: key }).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });

    expect(completion.choices[0]?.message.content).toBe('echo: hello');
    const upstream = await onlyUpstreamRequest(testId);
    expect(upstream.json.model).toBe('gpt-4o-mini');
    expectCleanUpstreamHeaders(upstream, secret);
    expect(JSON.stringify(upstream.headers)).not.toContain(key);
  });

  it('is refused virtual-key creation without the scope (403), and sees another workspace’s key as missing (404)', async () => {
    const workspaceId = await createWorkspace(`Chat ${tag()}`);
    const otherSlug = await createVirtualKeyIn(await createWorkspace(`Other ${tag()}`), providerKey('other-ws'));
    const { key } = await createWorkspaceKey(workspaceId, ['completions.write', 'virtual_keys.list']);

    const refused = await failure(() =>
      portkeyClient({ apiKey: key }).virtualKeys.create({ name: 'not allowed', provider: 'openai', key: providerKey('refused') }),
    );
    expect(refused.status).toBe(403);
    const visible = await portkeyClient({ apiKey: key }).virtualKeys.list();
    expect(visible.data ?? []).toEqual([]);

    const testId = crypto.randomUUID();
    const missing = await failure(() =>
      openaiClient(testId, { apiKey: key }).chat.completions.create({ model: `@${otherSlug}/gpt-4o-mini`, messages: hello }),
    );
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing.status).toBe(404);
    expect(await upstreamRequests(testId)).toEqual([]);
  });
});

describe('rotation over plain fetch (the SDK has no rotate method)', () => {
  it('returns a new key and a transition end 30 minutes ahead; old and new keys both work meanwhile', async () => {
    const workspaceId = await createWorkspace(`Rotate ${tag()}`);
    const secret = providerKey('rotate');
    const slug = await createVirtualKeyIn(workspaceId, secret);
    const { id, key: oldKey } = await createWorkspaceKey(workspaceId, ['completions.write']);

    const requestedAt = Date.now();
    const response = await fetch(`${keygateUrl()}/v1/api-keys/${id}/rotate`, {
      method: 'POST',
      headers: { 'x-portkey-api-key': adminApiKey(), 'content-type': 'application/json' },
      body: JSON.stringify({ key_transition_period_ms: 1_800_000 }),
    });
    expect(response.status).toBe(200);
    const rotated = (await response.json()) as { id: string; key: string; key_transition_expires_at: string };
    expect(rotated.id).toBe(id);
    expect(rotated.key).toMatch(/^kg-ak-/);
    expect(rotated.key).not.toBe(oldKey);
    const endsIn = Date.parse(rotated.key_transition_expires_at) - requestedAt;
    expect(endsIn).toBeGreaterThan(1_800_000 - 60_000);
    expect(endsIn).toBeLessThan(1_800_000 + 60_000);

    for (const key of [oldKey, rotated.key]) {
      const testId = crypto.randomUUID();
      const completion = await openaiClient(testId, { apiKey: key }).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });
      expect(completion.choices[0]?.message.content).toBe('echo: hello');
      expectCleanUpstreamHeaders(await onlyUpstreamRequest(testId), secret);
    }
  });
});

describe('scope escalation refused through the SDK', () => {
  it('a key can make keys with its own scopes, not with one it lacks (403), nor with an unknown scope (400)', async () => {
    const workspaceId = await createWorkspace(`Escalate ${tag()}`);
    const { key } = await createWorkspaceKey(workspaceId, ['workspace_service_api_keys.create', 'completions.write']);

    const allowed = await createWorkspaceKey(workspaceId, ['completions.write'], key);
    expect(allowed.key).toMatch(/^kg-ak-/);

    const escalation = await failure(() => createWorkspaceKey(workspaceId, ['completions.write', 'virtual_keys.delete'], key));
    expect(escalation.status).toBe(403);

    const unknown = await failure(() => createWorkspaceKey(workspaceId, ['virtual_keys.destroy'], key));
    expect(unknown.status).toBe(400);

    const listed = await adminClient().apiKeys.list({ workspace_id: workspaceId });
    expect(listed.total).toBe(2);
  });
});
