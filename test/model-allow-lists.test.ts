// Model allow-lists on virtual keys and API keys (issue 13): a call for a model off either list is
// refused with 412 model_not_allowed before any reservation and before the upstream; names and
// `prefix*` patterns; set, changed and cleared through the admin API. Real local D1, KV and
// ledgers; the upstream is the fake.

import { describe, expect, it } from 'vitest';
import { createApiKey, requestAs } from './support/access';
import { azureApiKeyBody } from './support/azure';
import { ADMIN_API_KEY, adminRequest, callKeygate, createKeyFromBody, createVirtualKey, expectError, keyObject, postKey, putKey, upstreamRequests } from './support/keygate';

/** A chat call naming `model` through `slug`, as `key`, tagged so the fake records it. */
async function chatFor(slug: string, model: string, key = ADMIN_API_KEY, testId = crypto.randomUUID()) {
  const response = await callKeygate('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': testId },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }),
  });
  await response.clone().text();
  return response;
}

describe('a virtual key’s allowed_models', () => {
  it('lets listed models and prefixes through, and refuses any other with 412 before the upstream', async () => {
    const slug = await createVirtualKey({ name: 'allow-listed', allowed_models: ['gpt-4o-mini', 'gpt-4.1*'] });
    expect((await chatFor(slug, 'gpt-4o-mini')).status).toBe(200);
    expect((await chatFor(slug, 'gpt-4.1-nano')).status).toBe(200);
    const testId = crypto.randomUUID();
    const body = await expectError(await chatFor(slug, 'gpt-4o', ADMIN_API_KEY, testId), 412, 'model_not_allowed');
    expect(body.error.message).toBe(`Virtual key ${slug} allows only the models gpt-4o-mini, gpt-4.1*; model "gpt-4o" is not on it.`);
    expect(body.error.param).toBe('model');
    expect(await upstreamRequests(testId)).toEqual([]);
    // The model is the one the call names after the @slug/ part, the same as pricing reads.
    const catalogForm = await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: `@${slug}/gpt-4.1`, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(catalogForm.status).toBe(200);
    await expectError(await chatFor(slug, `@${slug}/gpt-4`), 412, 'model_not_allowed');
  });

  it('sends the upstream the model it checked when a body names model twice', async () => {
    const slug = await createVirtualKey({ name: 'twice', allowed_models: ['gpt-4o-mini'] });
    const testId = crypto.randomUUID();
    const response = await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': testId },
      // JSON.parse keeps the last copy; an upstream's parser might keep the first.
      body: '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"model":"gpt-4o-mini"}',
    });
    expect(response.status).toBe(200);
    const [sent] = await upstreamRequests(testId);
    expect(sent!.body).toBe('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"model":"gpt-4o-mini"}');
  });

  it('refuses before any reservation: refused calls use no rate limit and no budget', async () => {
    const slug = await createVirtualKey({
      name: 'limited and listed',
      allowed_models: ['gpt-4o-mini'],
      rate_limits: [{ type: 'requests', unit: 'rpm', value: 1 }],
      usage_limits: { credit_limit: 1000, type: 'tokens' },
    });
    for (let index = 0; index < 3; index++) await expectError(await chatFor(slug, 'o1'), 412, 'model_not_allowed');
    const before = await keyObject(slug);
    expect(before.usage_limits).toMatchObject({ spent: 0 });
    expect((before.rate_limit_windows as Array<{ used: number }>)[0]!.used).toBe(0);
    expect((await chatFor(slug, 'gpt-4o-mini')).status).toBe(200);
  });

  it('lets calls that name no model through only when they read or delete', async () => {
    const slug = await createVirtualKey({ name: 'no model', allowed_models: ['gpt-4o-mini'] });
    const models = await callKeygate('/v1/models', { headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-portkey-virtual-key': slug } });
    expect(models.status).toBe(200);
    const noModel = await callKeygate('/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug },
      body: JSON.stringify({ input: 'no model named' }),
    });
    const body = await expectError(noModel, 412, 'model_not_allowed');
    expect(body.error.message).toContain('names no model Keygate can read');
  });

  it('is shown on read, changed and cleared by an update, at once on the gateway', async () => {
    const slug = await createVirtualKey({ name: 'changing', allowed_models: ['gpt-4o-mini'] });
    expect((await keyObject(slug)).allowed_models).toEqual(['gpt-4o-mini']);
    await expectError(await chatFor(slug, 'gpt-4o'), 412, 'model_not_allowed');
    expect((await putKey(slug, { allowedModels: ['gpt-4o'] })).status).toBe(200);
    expect((await chatFor(slug, 'gpt-4o')).status).toBe(200);
    await expectError(await chatFor(slug, 'gpt-4o-mini'), 412, 'model_not_allowed');
    expect((await putKey(slug, { allowed_models: null })).status).toBe(200);
    expect((await keyObject(slug)).allowed_models).toEqual([]);
    expect((await chatFor(slug, 'anything-at-all')).status).toBe(200);
    const unlisted = await createVirtualKey({ name: 'unlisted' });
    expect((await keyObject(unlisted)).allowed_models).toEqual([]);
  });

  it.each([
    ['a star inside', ['gpt-*-mini']],
    ['only a star', ['*']],
    ['an empty name', ['']],
    ['a name twice', ['gpt-4o', 'gpt-4o']],
    ['a number', [4]],
    ['101 entries', Array.from({ length: 101 }, (_value, index) => `model-${index}`)],
    ['a name over 200 characters', ['m'.repeat(201)]],
  ])('refuses %s with 400 and writes nothing', async (_label, allowed) => {
    const response = await postKey({ name: 'bad list', provider: 'openai', key: 'sk-x-00000000000000000000', allowed_models: allowed });
    const body = await expectError(response, 400, 'invalid_body');
    expect(body.error.param).toMatch(/^allowed_models/);
  });
});

describe('an Azure key with a list', () => {
  it('calls only a deployment the model names: never the default in place of an unknown name', async () => {
    const slug = await createKeyFromBody(azureApiKeyBody({ allowed_models: ['gpt-4o-mini*', 'gpt-35-turbo'] }));
    const testId = crypto.randomUUID();
    expect((await chatFor(slug, 'gpt-4o-mini', ADMIN_API_KEY, testId)).status).toBe(200);
    expect((await upstreamRequests(testId))[0]!.path).toContain('/deployments/mini-east/');
    // On the list, but no deployment has these names: Azure would answer with the default one.
    for (const model of ['gpt-4o-mini-whatever', 'gpt-35-turbo']) {
      const refusedId = crypto.randomUUID();
      const body = await expectError(await chatFor(slug, model, ADMIN_API_KEY, refusedId), 412, 'model_not_allowed');
      expect(body.error.message).toContain('has no deployment for model');
      expect(await upstreamRequests(refusedId)).toEqual([]);
    }
    // An API key's list binds the same way.
    const app = await createApiKey('organisation/service', { scopes: ['completions.write'], allowed_models: ['gpt-35-turbo'] });
    const open = await createKeyFromBody(azureApiKeyBody());
    await expectError(await chatFor(open, 'gpt-35-turbo', app.key), 412, 'model_not_allowed');
  });

  it('refuses a path that names a deployment, which would go around model (and the list)', async () => {
    const slug = await createKeyFromBody(azureApiKeyBody({ allowed_models: ['gpt-4o-mini'] }));
    for (const path of ['/v1/deployments/gpt4o-prod/chat/completions', '/v1//Deployments/gpt4o-prod/chat/completions', '/v1/deployments%2Fgpt4o-prod/chat/completions']) {
      const testId = crypto.randomUUID();
      const response = await callKeygate(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': testId },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await expectError(response, 400, 'unsupported_for_provider');
      expect(await upstreamRequests(testId)).toEqual([]);
    }
  });
});

describe('an API key’s allowed_models', () => {
  it('binds every call the key makes, on top of the virtual key’s own list', async () => {
    const app = await createApiKey('organisation/service', { scopes: ['completions.write', 'virtual_keys.read'], allowed_models: ['gpt-4o*', 'o3'] });
    const open = await createVirtualKey({ name: 'open' });
    const listed = await createVirtualKey({ name: 'listed', allowed_models: ['gpt-4o-mini', 'o3'] });
    expect((await chatFor(open, 'gpt-4o', app.key)).status).toBe(200);
    const refused = await expectError(await chatFor(open, 'o1', app.key), 412, 'model_not_allowed');
    expect(refused.error.message).toContain('This API key allows only the models gpt-4o*, o3');
    // Both lists bind: gpt-4o is on the API key's, not on the virtual key's.
    expect((await chatFor(listed, 'gpt-4o-mini', app.key)).status).toBe(200);
    expect((await chatFor(listed, 'o3', app.key)).status).toBe(200);
    const both = await expectError(await chatFor(listed, 'gpt-4o', app.key), 412, 'model_not_allowed');
    expect(both.error.message).toContain(`Virtual key ${listed}`);
  });

  it('is shown on read, and changed and cleared by an update', async () => {
    const app = await createApiKey('organisation/service', { scopes: ['completions.write'], allowed_models: ['gpt-4o-mini'] });
    const slug = await createVirtualKey({ name: 'for the app' });
    const read = async () => ((await (await adminRequest('GET', `/v1/api-keys/${app.id}`)).json()) as { allowed_models: string[] }).allowed_models;
    expect(await read()).toEqual(['gpt-4o-mini']);
    await expectError(await chatFor(slug, 'gpt-4o', app.key), 412, 'model_not_allowed');
    expect((await requestAs(ADMIN_API_KEY, 'PUT', `/v1/api-keys/${app.id}`, { allowed_models: null })).status).toBe(200);
    expect(await read()).toEqual([]);
    expect((await chatFor(slug, 'gpt-4o', app.key)).status).toBe(200);
    await expectError(await requestAs(ADMIN_API_KEY, 'PUT', `/v1/api-keys/${app.id}`, { allowed_models: ['a*b'] }), 400, 'invalid_body');
  });
});
