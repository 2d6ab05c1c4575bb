// Limits at every level (issue 13): a workspace's and an API key's rate_limits and usage_limits,
// and model rules (model_limits) on both kinds of key. A call is admitted only if every level
// admits it; a refusal at one level takes back what the others admitted; answers name the level;
// settlement reaches every level; reads show live state; reset_usage and deletes reach the
// ledgers. Real local D1, KV and ledger Durable Objects; the upstream is the fake.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ledgerOf } from '../src/limits/ledger-stub';
import { createApiKey, createWorkspace, requestAs, WORKSPACE_SCOPES } from './support/access';
import { azureApiKeyBody, createAzureKey } from './support/azure';
import { auditRecords } from './support/audit';
import { ADMIN_API_KEY, callKeygate, expectError } from './support/keygate';

const tokens = (creditLimit: number) => ({ credit_limit: creditLimit, type: 'tokens' });
const perDay = (value: number, type = 'requests') => [{ type, unit: 'rpd', value }];

/** A chat call through `slug` as `key`; each answer of a `usage-17` model uses 17 tokens. Delivered before it returns. */
async function call(key: string, slug: string, model = 'usage-17'): Promise<Response> {
  const response = await callKeygate('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug },
    body: JSON.stringify({ model, max_tokens: 6, messages: [{ role: 'user', content: 'hello' }] }),
  });
  await response.clone().text(); // a call settles once its answer is delivered
  return response;
}

async function read<T = Record<string, any>>(path: string): Promise<T> {
  const response = await requestAs(ADMIN_API_KEY, 'GET', path);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as T;
}

async function write(method: string, path: string, body: unknown): Promise<Response> {
  const response = await requestAs(ADMIN_API_KEY, method, path, body);
  await response.clone().text();
  return response;
}

/** A workspace, an API key that calls through it, and a virtual key in it, each with `limits`. */
async function fourLevels(limits: { workspace?: object; apiKey?: object; virtualKey?: object } = {}) {
  const workspaceId = await createWorkspace(`levels ${crypto.randomUUID().slice(0, 8)}`);
  expect((await write('PUT', `/v1/admin/workspaces/${workspaceId}`, limits.workspace ?? {})).status).toBe(200);
  const apiKey = await createApiKey('workspace/service', { workspace_id: workspaceId, scopes: ['completions.write'], ...limits.apiKey });
  const created = await write('POST', '/v1/virtual-keys', {
    name: 'levels',
    provider: 'openai',
    key: 'sk-fake-levels-0000000000000000000000',
    workspace_id: workspaceId,
    ...limits.virtualKey,
  });
  expect(created.status, await created.clone().text()).toBe(200);
  const slug = ((await created.json()) as { data: { slug: string } }).data.slug;
  const virtualKeyId = (await read<{ id: string }>(`/v1/virtual-keys/${slug}`)).id;
  return { workspaceId, apiKey, slug, virtualKeyId };
}

describe('a workspace’s limits', () => {
  it('are one budget shared by every key in it, refused with workspace_budget_exhausted, shown live, and reset', async () => {
    const { workspaceId, apiKey, slug } = await fourLevels({ workspace: { usage_limits: tokens(50) } });
    const second = await write('POST', '/v1/virtual-keys', { name: 'second', provider: 'openai', key: 'sk-fake-levels-1111111111111111111111', workspace_id: workspaceId });
    const otherSlug = ((await second.json()) as { data: { slug: string } }).data.slug;
    const statuses = [(await call(apiKey.key, slug)).status, (await call(apiKey.key, otherSlug)).status, (await call(ADMIN_API_KEY, slug)).status];
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await expectError(await call(apiKey.key, otherSlug), 412, 'workspace_budget_exhausted');
    expect(refused.error.message).toContain(`Workspace ${workspaceId} has used its budget of 50 tokens (51 tokens spent)`);

    const workspace = await read(`/v1/admin/workspaces/${workspaceId}`);
    expect(workspace.usage_limits).toMatchObject({ credit_limit: 50, type: 'tokens', spent: 51, remaining: 0 });
    // The keys themselves have no limits: nothing was counted for them.
    expect((await read(`/v1/virtual-keys/${slug}`)).usage_limits).toBeNull();

    expect((await write('PUT', `/v1/admin/workspaces/${workspaceId}`, { reset_usage: true })).status).toBe(200);
    expect((await read(`/v1/admin/workspaces/${workspaceId}`)).usage_limits).toMatchObject({ spent: 0 });
    expect((await call(apiKey.key, slug)).status).toBe(200);
    const [event] = await auditRecords({ resource_type: 'budget', action: 'exhausted', resource_id: workspaceId });
    expect(event).toMatchObject({ workspace_id: workspaceId, uri: `/v1/admin/workspaces/${workspaceId}` });
  });

  it('take the same rate limits as a virtual key: 429 naming the workspace, with Retry-After', async () => {
    const { workspaceId, apiKey, slug } = await fourLevels({ workspace: { rate_limits: perDay(2) } });
    expect([(await call(apiKey.key, slug)).status, (await call(apiKey.key, slug)).status]).toEqual([200, 200]);
    const response = await call(apiKey.key, slug);
    const body = await expectError(response, 429, 'rate_limit_exceeded');
    expect(body.error.message).toMatch(new RegExp(`^Workspace ${workspaceId} reached its limit of 2 requests per day`));
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await read(`/v1/admin/workspaces/${workspaceId}`)).rate_limit_windows).toEqual([
      expect.objectContaining({ type: 'requests', unit: 'rpd', value: 2, used: 2, remaining: 0 }),
    ]);
  });

  it('are validated as a virtual key’s are, and a workspace takes no model rules', async () => {
    const workspaceId = await createWorkspace('validated');
    for (const body of [
      { rate_limits: [{ type: 'requests', unit: 'rpm', value: 0 }] },
      { usage_limits: { credit_limit: 10, alert_threshold: 20 } },
      { model_limits: [{ models: ['gpt-4o'], rate_limits: perDay(1) }] },
    ]) {
      await expectError(await write('PUT', `/v1/admin/workspaces/${workspaceId}`, body), 400, 'invalid_body');
    }
    expect(await read(`/v1/admin/workspaces/${workspaceId}`)).toMatchObject({ rate_limits: [], usage_limits: null });
  });
});

describe('an API key’s limits', () => {
  it('bind its calls through every virtual key, refused with api_key_budget_exhausted', async () => {
    const { apiKey, slug } = await fourLevels({ apiKey: { usage_limits: tokens(30) } });
    expect([(await call(apiKey.key, slug)).status, (await call(apiKey.key, slug)).status]).toEqual([200, 200]);
    const body = await expectError(await call(apiKey.key, slug), 412, 'api_key_budget_exhausted');
    expect(body.error.message).toContain(`API key ${apiKey.id} has used its budget of 30 tokens`);
    // Another caller of the same virtual key is not bound by this key's budget.
    expect((await call(ADMIN_API_KEY, slug)).status).toBe(200);
    expect((await read(`/v1/api-keys/${apiKey.id}`)).usage_limits).toMatchObject({ spent: 34, remaining: 0 });

    expect((await write('PUT', `/v1/api-keys/${apiKey.id}`, { reset_usage: true })).status).toBe(200);
    expect((await call(apiKey.key, slug)).status).toBe(200);
  });
});

describe('model rules', () => {
  it('bind only the models they name, with model_budget_exhausted and live state per rule', async () => {
    const { apiKey, slug } = await fourLevels({
      virtualKey: { model_limits: [{ models: ['usage-17*'], usage_limits: tokens(30) }, { models: ['gpt-4o'], rate_limits: perDay(1) }] },
    });
    expect([(await call(apiKey.key, slug)).status, (await call(apiKey.key, slug)).status]).toEqual([200, 200]);
    const body = await expectError(await call(apiKey.key, slug), 412, 'model_budget_exhausted');
    expect(body.error.message).toContain(`The model rule usage-17* of virtual key ${slug} has used its budget of 30 tokens`);
    expect(body.error.message).toContain('model_limits[0].usage_limits.credit_limit');
    // gpt-4o-mini matches no rule: only the key's own limits (none) apply.
    for (let index = 0; index < 3; index++) expect((await call(apiKey.key, slug, 'gpt-4o-mini')).status).toBe(200);
    expect((await call(apiKey.key, slug, 'gpt-4o')).status).toBe(200);
    const limited = await expectError(await call(apiKey.key, slug, 'gpt-4o'), 429, 'rate_limit_exceeded');
    expect(limited.error.message).toContain(`The model rule gpt-4o of virtual key ${slug} reached its limit of 1 requests per day`);

    const key = await read(`/v1/virtual-keys/${slug}`);
    expect(key.model_limits).toEqual([
      expect.objectContaining({ models: ['usage-17*'], usage_limits: expect.objectContaining({ spent: 34, remaining: 0 }) }),
      expect.objectContaining({ models: ['gpt-4o'], rate_limit_windows: [expect.objectContaining({ used: 1, remaining: 0 })] }),
    ]);
    expect(key.status).toBe('active'); // the key's own budget is not spent
  });

  it('bind a model that matches several rules by all of them, on API keys too', async () => {
    const { apiKey, slug } = await fourLevels({
      apiKey: { model_limits: [{ models: ['usage-*'], rate_limits: perDay(3) }, { models: ['usage-17'], rate_limits: perDay(1) }] },
    });
    expect((await call(apiKey.key, slug)).status).toBe(200);
    const body = await expectError(await call(apiKey.key, slug), 429, 'rate_limit_exceeded');
    expect(body.error.message).toContain(`The model rule usage-17 of API key ${apiKey.id}`);
    const windows = (await read(`/v1/api-keys/${apiKey.id}`)).model_limits.map((rule: any) => rule.rate_limit_windows[0].used);
    expect(windows).toEqual([1, 1]); // the refused call was taken back from the rule that admitted it
  });

  it('refuse rules without limits, without models, or twice for the same models', async () => {
    const { slug } = await fourLevels();
    for (const model_limits of [
      [{ models: ['gpt-4o'] }],
      [{ models: [], rate_limits: perDay(1) }],
      [{ models: ['gpt-*o'], rate_limits: perDay(1) }],
      [{ models: ['a'], rate_limits: perDay(1) }, { models: ['a'], usage_limits: tokens(5) }],
    ]) {
      await expectError(await write('PUT', `/v1/virtual-keys/${slug}`, { model_limits }), 400, 'invalid_body');
    }
    expect((await read(`/v1/virtual-keys/${slug}`)).model_limits).toEqual([]);
  });
});

describe('who may change limits', () => {
  it('a workspace’s: only an organisation key, never the workspace’s own keys', async () => {
    const workspaceId = await createWorkspace('guarded');
    const own = await createApiKey('workspace/service', { workspace_id: workspaceId, scopes: WORKSPACE_SCOPES });
    expect((await write('PUT', `/v1/admin/workspaces/${workspaceId}`, { usage_limits: tokens(10) })).status).toBe(200);
    for (const body of [{ usage_limits: null }, { rate_limits: perDay(5) }, { reset_usage: true }]) {
      await expectError(await requestAs(own.key, 'PUT', `/v1/admin/workspaces/${workspaceId}`, body), 403, 'limits_forbidden');
    }
    expect((await requestAs(own.key, 'PUT', `/v1/admin/workspaces/${workspaceId}`, { description: 'still editable' })).status).toBe(200);
    // Sending back the limits it holds (a whole object PUT back) changes nothing, and is allowed.
    const same = { rate_limits: [], usage_limits: { type: 'tokens', credit_limit: 10 } };
    expect((await requestAs(own.key, 'PUT', `/v1/admin/workspaces/${workspaceId}`, same)).status).toBe(200);
    expect((await read(`/v1/admin/workspaces/${workspaceId}`)).usage_limits).toMatchObject({ credit_limit: 10 });
  });

  it('an API key’s: never the key itself; another key that may manage it can', async () => {
    const workspaceId = await createWorkspace('self');
    const manager = await createApiKey('workspace/service', { workspace_id: workspaceId, scopes: WORKSPACE_SCOPES });
    const limited = await createApiKey('workspace/service', { workspace_id: workspaceId, scopes: WORKSPACE_SCOPES, usage_limits: tokens(10) }, manager.key);
    expect((await requestAs(limited.key, 'PUT', `/v1/api-keys/${limited.id}`, { description: 'renamed' })).status).toBe(403);
    for (const body of [{ usage_limits: null }, { model_limits: [{ models: ['gpt-4o'], rate_limits: perDay(1) }] }, { reset_usage: true }]) {
      await expectError(await requestAs(limited.key, 'PUT', `/v1/api-keys/${limited.id}`, body), 403, 'limits_forbidden');
    }
    expect((await requestAs(manager.key, 'PUT', `/v1/api-keys/${limited.id}`, { usage_limits: tokens(20) })).status).toBe(200);
    expect((await read(`/v1/api-keys/${limited.id}`)).usage_limits).toMatchObject({ credit_limit: 20 });
    // An unlimited key can't lift or reset its own limits either, but may send back what it holds.
    await expectError(await requestAs(manager.key, 'PUT', `/v1/api-keys/${manager.id}`, { usage_limits: tokens(5) }), 403, 'limits_forbidden');
    expect((await requestAs(manager.key, 'PUT', `/v1/api-keys/${manager.id}`, { usage_limits: null, description: 'kept' })).status).toBe(200);
  });

  it('a limited key can’t make, change or rotate keys: they would not be bound by its limits', async () => {
    const workspaceId = await createWorkspace('no way out');
    const limited = await createApiKey('workspace/service', { workspace_id: workspaceId, scopes: WORKSPACE_SCOPES, usage_limits: tokens(20) });
    const other = await createApiKey('workspace/service', { workspace_id: workspaceId, scopes: ['completions.write'] });
    const made = await requestAs(limited.key, 'POST', '/v1/api-keys/workspace/service', { name: 'sibling', workspace_id: workspaceId, scopes: ['completions.write'] });
    await expectError(made, 403, 'limits_forbidden');
    await expectError(await requestAs(limited.key, 'PUT', `/v1/api-keys/${other.id}`, { description: 'mine now' }), 403, 'limits_forbidden');
    await expectError(await requestAs(limited.key, 'POST', `/v1/api-keys/${other.id}/rotate`, {}), 403, 'limits_forbidden');
    await expectError(await requestAs(limited.key, 'PUT', `/v1/api-keys/${limited.id}`, { usage_limits: null }), 403, 'limits_forbidden');
    // Reading and deleting keys hand it nothing it is not bound by.
    expect((await requestAs(limited.key, 'GET', `/v1/api-keys/${other.id}`)).status).toBe(200);
  });
});

describe('model rules and the model that runs', () => {
  it('refuse a call whose model Keygate can’t read, as allow-lists do', async () => {
    const { apiKey, slug } = await fourLevels({ virtualKey: { model_limits: [{ models: ['whisper-1'], rate_limits: perDay(1) }] } });
    const upload = new FormData();
    upload.append('model', 'whisper-1');
    upload.append('file', new Blob(['RIFF']), 'a.wav');
    const response = await callKeygate('/v1/audio/transcriptions', {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey.key}`, 'x-portkey-virtual-key': slug },
      body: upload,
    });
    const body = await expectError(response, 412, 'model_not_allowed');
    expect(body.error.message).toContain('model rules');
  });

  it('refuse, on Azure, a model no deployment has: it would run on the default deployment', async () => {
    const slug = await createAzureKey(azureApiKeyBody({ model_limits: [{ models: ['gpt4o-prod'], rate_limits: perDay(1) }] }));
    expect((await call(ADMIN_API_KEY, slug, 'gpt4o-prod')).status).toBe(200);
    await expectError(await call(ADMIN_API_KEY, slug, 'gpt4o-prod'), 429, 'rate_limit_exceeded');
    await expectError(await call(ADMIN_API_KEY, slug, 'not-a-deployment'), 412, 'model_not_allowed');
  });

  it('leave an Azure call that names no model and runs no deployment uncharged, as before', async () => {
    const slug = await createAzureKey(azureApiKeyBody({ usage_limits: tokens(100_000) }));
    const response = await callKeygate('/v1/models', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug },
      body: JSON.stringify({ input_file_id: 'file-1', completion_window: '24h' }),
    });
    await response.text();
    expect((await read(`/v1/virtual-keys/${slug}`)).usage_limits).toMatchObject({ spent: 0 });
  });

  it('keep apart rules whose models differ only by where a comma is', async () => {
    const { slug } = await fourLevels();
    const model_limits = [{ models: ['a,b'], rate_limits: perDay(1) }, { models: ['a', 'b'], rate_limits: perDay(2) }];
    expect((await write('PUT', `/v1/virtual-keys/${slug}`, { model_limits })).status).toBe(200);
  });
});

describe('a refusal at one level', () => {
  const roomy = { rate_limits: perDay(100), usage_limits: tokens(10_000) };
  const spent = { rate_limits: perDay(100), usage_limits: tokens(1) };
  const cases = [
    ['the workspace', { workspace: spent, apiKey: roomy, virtualKey: { ...roomy, model_limits: [{ models: ['usage-17'], ...roomy }] } }, 'workspace_budget_exhausted'],
    ['the API key', { workspace: roomy, apiKey: spent, virtualKey: { ...roomy, model_limits: [{ models: ['usage-17'], ...roomy }] } }, 'api_key_budget_exhausted'],
    ['the virtual key', { workspace: roomy, apiKey: roomy, virtualKey: { ...spent, model_limits: [{ models: ['usage-17'], ...roomy }] } }, 'budget_exhausted'],
    ['a model rule', { workspace: roomy, apiKey: roomy, virtualKey: { ...roomy, model_limits: [{ models: ['usage-17'], ...spent }] } }, 'model_budget_exhausted'],
  ] as const;

  it.each(cases)('at %s takes back what every other level admitted', async (_level, limits, code) => {
    const { workspaceId, apiKey, slug, virtualKeyId } = await fourLevels(limits);
    expect((await call(apiKey.key, slug)).status).toBe(200); // spends the tight budget
    for (let index = 0; index < 3; index++) await expectError(await call(apiKey.key, slug), 412, code);

    // Every level counted the one admitted call, once: its request and its 17 tokens, nothing held.
    const ledgers = [`workspace:${workspaceId}`, `api_key:${apiKey.id}`, virtualKeyId, `${virtualKeyId}/model:["usage-17"]`];
    for (const id of ledgers) {
      const state = await ledgerOf(env, { id }).state(perDay(100) as never, { unit: 'tokens', period: { start: 0, end: null } }, Date.now());
      expect({ id, used: state.windows[0]!.used, spent: state.spent, reserved: state.reserved }).toEqual({ id, used: 1, spent: 17, reserved: 0 });
    }
  });
});

describe('calls refused at one level while leases are held at others', () => {
  it('cost the other levels nothing, even once their lease has gone back', { timeout: 30_000 }, async () => {
    const roomy = { rate_limits: perDay(100_000), usage_limits: tokens(10_000_000) };
    const { workspaceId, apiKey, slug } = await fourLevels({ workspace: roomy, apiKey: roomy, virtualKey: { rate_limits: perDay(10) } });
    let admitted = 0;
    const fire = async () => {
      if ((await call(apiKey.key, slug)).status === 200) admitted++;
    };
    for (let wave = 0; wave < 3; wave++) {
      for (let index = 0; index < 8; index++) await fire();
      await Promise.all(Array.from({ length: 20 }, fire));
    }
    expect(admitted).toBe(10);
    expect((await read(`/v1/admin/workspaces/${workspaceId}`)).rate_limit_windows[0].used).toBe(10);
    expect((await read(`/v1/api-keys/${apiKey.id}`)).usage_limits.spent).toBe(17 * 10);
  });
});

describe('deleting', () => {
  it('an API key or a workspace empties its ledgers', async () => {
    const { workspaceId, apiKey, slug } = await fourLevels({
      workspace: { rate_limits: perDay(10) },
      apiKey: { rate_limits: perDay(10), model_limits: [{ models: ['usage-17'], rate_limits: perDay(10) }] },
    });
    expect((await call(apiKey.key, slug)).status).toBe(200);
    const ledgers = [`workspace:${workspaceId}`, `api_key:${apiKey.id}`, `api_key:${apiKey.id}/model:["usage-17"]`];
    const used = async () =>
      Promise.all(ledgers.map(async (id) => (await ledgerOf(env, { id }).state(perDay(10) as never, null, Date.now())).windows[0]!.used));
    expect(await used()).toEqual([1, 1, 1]);
    expect((await write('DELETE', `/v1/api-keys/${apiKey.id}`, undefined)).status).toBe(200);
    expect((await write('DELETE', `/v1/virtual-keys/${slug}`, undefined)).status).toBe(200);
    expect((await write('DELETE', `/v1/admin/workspaces/${workspaceId}`, undefined)).status).toBe(200);
    expect(await used()).toEqual([0, 0, 0]);
  });
});

describe('200 concurrent calls through four levels', () => {
  it('exceed no level by a single request or token, and every level counts exactly the calls admitted', { timeout: 30_000 }, async () => {
    const { workspaceId, apiKey, slug, virtualKeyId } = await fourLevels({
      workspace: { rate_limits: perDay(120) },
      apiKey: { usage_limits: tokens(17 * 100) },
      virtualKey: { rate_limits: perDay(90), model_limits: [{ models: ['usage-17'], rate_limits: perDay(80) }] },
    });
    const responses = await Promise.all(Array.from({ length: 200 }, () => call(apiKey.key, slug)));
    const admitted = responses.filter((response) => response.status === 200).length;
    expect(admitted).toBeGreaterThan(0);
    expect(admitted).toBeLessThanOrEqual(80);
    expect(responses.every((response) => [200, 412, 429].includes(response.status))).toBe(true);
    const windowUsed = (object: Record<string, any>) => object.rate_limit_windows[0].used;
    expect(windowUsed(await read(`/v1/admin/workspaces/${workspaceId}`))).toBe(admitted);
    expect((await read(`/v1/api-keys/${apiKey.id}`)).usage_limits.spent).toBe(17 * admitted);
    const key = await read(`/v1/virtual-keys/${slug}`);
    expect([windowUsed(key), windowUsed(key.model_limits[0])]).toEqual([admitted, admitted]);
    expect(virtualKeyId).toBeTruthy();
  });
});
