// Calls through Azure virtual keys: which deployment a model picks, the URL and api-version it
// goes to, and each auth mode's credential, against a fake Azure and a fake Entra ID.

import { describe, expect, it } from 'vitest';
import { fakeStreamFrames } from '../scripts/lib/fake-openai.mjs';
import { AZURE_KEY, azureApiKeyBody, azureEntraBody, createAzureKey, managedIdentityEnv, uniqueTenant } from './support/azure';
import { ADMIN_API_KEY, adminRequest, callKeygate, chat, entraTokenRequests, expectError, upstreamRequests } from './support/keygate';

async function chatVia(slug: string, body: Record<string, unknown>, envOverrides = {}) {
  const testId = crypto.randomUUID();
  const response = await chat(body, { 'x-portkey-virtual-key': slug, 'x-test-id': testId }, envOverrides);
  return { response, received: await upstreamRequests(testId) };
}

describe('choosing the deployment', () => {
  it.each([
    ['an alias', 'gpt-4o-mini', 'mini-east', '2024-10-21'],
    ['a deployment name', 'mini-east', 'mini-east', '2024-10-21'],
    ['a model that matches nothing', 'gpt-5-turbo', 'gpt4o-prod', '2024-08-01-preview'],
    ['an empty model', '', 'gpt4o-prod', '2024-08-01-preview'],
  ])('routes %s to its deployment with that deployment’s api-version', async (_label, model, deployment, apiVersion) => {
    const slug = await createAzureKey();
    const { response, received } = await chatVia(slug, { model });
    expect(response.status).toBe(200);
    expect(received[0]).toMatchObject({
      path: `/azure/my-resource/openai/deployments/${deployment}/chat/completions`,
      search: `?api-version=${apiVersion}`,
    });
  });

  it('routes a missing model to the default deployment', async () => {
    const slug = await createAzureKey();
    const testId = crypto.randomUUID();
    const response = await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': testId },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'no model' }] }),
    });
    expect(response.status).toBe(200);
    expect((await upstreamRequests(testId))[0]!.path).toBe('/azure/my-resource/openai/deployments/gpt4o-prod/chat/completions');
  });

  it('routes the Model Catalog form @slug/alias', async () => {
    const slug = await createAzureKey();
    const testId = crypto.randomUUID();
    const response = await chat({ model: `@${slug}/gpt-4o-mini` }, { 'x-test-id': testId });
    expect(response.status).toBe(200);
    const [received] = await upstreamRequests(testId);
    expect(received!.path).toBe('/azure/my-resource/openai/deployments/mini-east/chat/completions');
    expect(JSON.parse(received!.body).model).toBe('gpt-4o-mini');
  });

  it('sends /v1/responses to Azure’s v1 surface with the deployment as the model', async () => {
    const slug = await createAzureKey();
    const testId = crypto.randomUUID();
    const response = await callKeygate('/v1/responses', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': testId },
      body: '{"model":"gpt-4o-mini","input":"x","seed":12345678901234567890}',
    });
    expect(response.status).toBe(200);
    const [received] = await upstreamRequests(testId);
    expect(received).toMatchObject({ path: '/azure/my-resource/openai/v1/responses', search: '' });
    expect(received!.body).toBe('{"model":"mini-east","input":"x","seed":12345678901234567890}');
  });

  it.each([
    ['/v1/completions', { model: 'gpt-4o-mini', prompt: 'x' }, '/azure/my-resource/openai/deployments/mini-east/completions'],
    ['/v1/embeddings', { model: 'gpt-4o-mini', input: 'x' }, '/azure/my-resource/openai/deployments/mini-east/embeddings'],
  ])('sends %s to the deployment path', async (path, body, upstreamPath) => {
    const slug = await createAzureKey();
    const testId = crypto.randomUUID();
    const response = await callKeygate(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': testId },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    expect((await upstreamRequests(testId))[0]).toMatchObject({ path: upstreamPath, search: '?api-version=2024-10-21' });
  });

  it('sends other paths to the resource root with the default api-version and the client’s query', async () => {
    const slug = await createAzureKey();
    const testId = crypto.randomUUID();
    const response = await callKeygate('/v1/models?limit=2', {
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-portkey-virtual-key': slug, 'x-test-id': testId },
    });
    expect(response.status).toBe(200);
    expect((await upstreamRequests(testId))[0]).toMatchObject({ path: '/azure/my-resource/openai/models', search: '?limit=2&api-version=2024-08-01-preview' });
  });
});

describe('api-key mode', () => {
  it('sends the resource key as api-key, and no Authorization header', async () => {
    const slug = await createAzureKey();
    const { received } = await chatVia(slug, { model: 'gpt-4o-mini' });
    expect(received[0]!.headers['api-key']).toBe(AZURE_KEY);
    expect(received[0]!.headers).not.toHaveProperty('authorization');
  });

  it('uses a rotated resource key on the very next call', async () => {
    const slug = await createAzureKey();
    await chatVia(slug, { model: 'gpt-4o-mini' });
    expect((await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { key: 'azure-fake-key-rotated-00000000000002' })).status).toBe(200);
    const { received } = await chatVia(slug, { model: 'gpt-4o-mini' });
    expect(received[0]!.headers['api-key']).toBe('azure-fake-key-rotated-00000000000002');
  });

  it('passes Azure’s refusal of a wrong key through', async () => {
    const slug = await createAzureKey(azureApiKeyBody({ key: 'wrong-azure-key-000000000000000001' }));
    const { response } = await chatVia(slug, { model: 'gpt-4o-mini' });
    expect(response.status).toBe(401);
  });
});

describe('entra mode', () => {
  it('sends an Entra token as Bearer, fetched with the client credentials grant for the Azure scope', async () => {
    const tenant = uniqueTenant();
    const slug = await createAzureKey(azureEntraBody(tenant));
    const { response, received } = await chatVia(slug, { model: 'gpt4o-prod' });
    expect(response.status).toBe(200);
    expect(received[0]!.headers.authorization).toMatch(new RegExp(`^Bearer fake-entra-token-${tenant}-\\d+$`));
    expect(received[0]!.headers).not.toHaveProperty('api-key');
    expect(await entraTokenRequests(tenant)).toEqual([
      { client_id: 'client-0001', scope: 'https://cognitiveservices.azure.com/.default', grant_type: 'client_credentials' },
    ]);
  });

  it('makes one token request for many calls, and one for concurrent first calls', async () => {
    const tenant = uniqueTenant();
    const slug = await createAzureKey(azureEntraBody(tenant));
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => chatVia(slug, { model: 'gpt4o-prod' })));
    for (let index = 0; index < 3; index++) await chatVia(slug, { model: 'gpt4o-prod' });
    expect(concurrent.every(({ response }) => response.status === 200)).toBe(true);
    expect(await entraTokenRequests(tenant)).toHaveLength(1);
  });

  it('answers 401 naming Entra when it refuses the secret, without repeating the secret or the token endpoint’s text', async () => {
    const tenant = uniqueTenant();
    const slug = await createAzureKey(azureEntraBody(tenant, { azureEntraClientSecret: 'wrong-secret-value-00000000000000' }));
    const { response, received } = await chatVia(slug, { model: 'gpt4o-prod' });
    const body = await expectError(response, 401, 'entra_token_refused');
    expect(body.message).toMatch(/Microsoft Entra ID refused the client credentials of virtual key/);
    expect(body.message).toContain('AADSTS7000215');
    expect(body.message).not.toContain('wrong-secret-value');
    expect(received).toEqual([]);
  });

  it('tries again after a refusal instead of caching it', async () => {
    const tenant = uniqueTenant();
    const slug = await createAzureKey(azureEntraBody(tenant, { azureEntraClientSecret: 'wrong-secret-value-00000000000000' }));
    await chatVia(slug, { model: 'gpt4o-prod' });
    await chatVia(slug, { model: 'gpt4o-prod' });
    expect(await entraTokenRequests(tenant)).toHaveLength(2);
  });

  it('uses a rotated client secret on the very next call', async () => {
    const tenant = uniqueTenant();
    const slug = await createAzureKey(azureEntraBody(tenant, { azureEntraClientSecret: 'wrong-secret-value-00000000000000' }));
    await expectError((await chatVia(slug, { model: 'gpt4o-prod' })).response, 401, 'entra_token_refused');
    const rotated = await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { azureEntraClientSecret: 'fake-entra-secret-fixed-000000000001' });
    expect(rotated.status).toBe(200);
    expect((await chatVia(slug, { model: 'gpt4o-prod' })).response.status).toBe(200);
  });

  it('answers 502 naming Entra when the token endpoint is down', async () => {
    const slug = await createAzureKey(azureEntraBody('unavailable-tenant'));
    const body = await expectError((await chatVia(slug, { model: 'gpt4o-prod' })).response, 502, 'entra_unavailable');
    expect(body.message).toMatch(/Microsoft Entra ID token endpoint/);
  });

  it('never lets a key with a wrong secret ride on another key’s token for the same client', async () => {
    const tenant = uniqueTenant();
    const good = await createAzureKey(azureEntraBody(tenant));
    const impostor = await createAzureKey(azureEntraBody(tenant, { azureEntraClientSecret: 'not-the-secret-000000000000000000' }));
    expect((await chatVia(good, { model: 'gpt4o-prod' })).response.status).toBe(200);
    await expectError((await chatVia(impostor, { model: 'gpt4o-prod' })).response, 401, 'entra_token_refused');
  });
});

describe('managed mode', () => {
  it('authenticates as the gateway’s own identity', async () => {
    const tenant = uniqueTenant();
    const identity = managedIdentityEnv(tenant);
    const slug = await createAzureKey(azureApiKeyBody({ key: undefined, azureAuthMode: 'managed' }), identity);
    const { response, received } = await chatVia(slug, { model: 'gpt4o-prod' }, identity);
    expect(response.status).toBe(200);
    expect(received[0]!.headers.authorization).toMatch(/^Bearer fake-entra-token-/);
    expect(await entraTokenRequests(tenant)).toEqual([expect.objectContaining({ client_id: 'gateway-identity-client' })]);
  });

  it('answers a clear error when the identity was removed after the key was made', async () => {
    const identity = managedIdentityEnv(uniqueTenant());
    const slug = await createAzureKey(azureApiKeyBody({ key: undefined, azureAuthMode: 'managed' }), identity);
    const body = await expectError((await chatVia(slug, { model: 'gpt4o-prod' })).response, 500, 'azure_identity_not_configured');
    expect(body.message).toMatch(/AZURE_IDENTITY_CLIENT_SECRET/);
  });
});

describe('streaming', () => {
  it('asks Azure for the usage chunk, but does not pass it to a client that did not ask', async () => {
    const slug = await createAzureKey();
    const { response, received } = await chatVia(slug, { model: 'gpt-4o-mini', stream: true });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe(fakeStreamFrames('gpt-4o-mini', false).join(''));
    expect(JSON.parse(received[0]!.body).stream_options).toEqual({ include_usage: true });
  });

  it('passes the usage chunk to a client that asked for it', async () => {
    const slug = await createAzureKey();
    const { response } = await chatVia(slug, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true } });
    expect(await response.text()).toBe(fakeStreamFrames('gpt-4o-mini', true).join(''));
  });

  it('does not send stream_options to an api-version older than 2024-09-01, which would refuse it', async () => {
    const slug = await createAzureKey();
    const { response, received } = await chatVia(slug, { model: 'gpt4o-prod', stream: true });
    expect(response.status).toBe(200);
    expect(JSON.parse(received[0]!.body)).not.toHaveProperty('stream_options');
  });

  it('leaves a body that already asks for usage exactly as sent', async () => {
    const slug = await createAzureKey();
    const testId = crypto.randomUUID();
    const text = `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[]}`;
    await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': testId },
      body: text,
    });
    expect((await upstreamRequests(testId))[0]!.body).toBe(text);
  });

  it('adds stream_options without touching the rest of the body', async () => {
    const slug = await createAzureKey();
    const testId = crypto.randomUUID();
    const text = `{"model":"gpt-4o-mini","stream":true,"seed":12345678901234567890,"messages":[{"role":"user","content":"hi"}]}`;
    await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': testId },
      body: text,
    });
    const [received] = await upstreamRequests(testId);
    expect(received!.body).toBe(`{"stream_options":{"include_usage":true},${text.slice(1)}`);
  });
});
