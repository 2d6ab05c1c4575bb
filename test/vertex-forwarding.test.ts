// Calls through Vertex AI virtual keys: the token exchange with a signed JWT, the OpenAI-compatible
// endpoint on the regional or global host, model names, streams with usage, budgets, and what a
// Vertex key does not serve. Against a fake Google that checks every JWT's signature.

import { describe, expect, it } from 'vitest';
import { ADMIN_API_KEY, adminRequest, callKeygate, chat, expectError, fakeUpstreamUrl, keyObject, putKey, upstreamRequests } from './support/keygate';
import { captureLogs, everyStoredText } from './support/secret-scan';
import { createVertexKey, googleTokenRequests, newServiceAccount, revokeTokens } from './support/vertex';

async function chatVia(slug: string, body: Record<string, unknown>, envOverrides = {}) {
  const testId = crypto.randomUUID();
  const response = await chat(body, { 'x-portkey-virtual-key': slug, 'x-test-id': testId }, envOverrides);
  return { response, received: await upstreamRequests(testId) };
}

const CHAT_PATH = '/v1/projects/test-project-1/locations/us-central1/endpoints/openapi/chat/completions';

describe('the token exchange', () => {
  it('signs a JWT Google accepts, and sends its access token to Vertex', async () => {
    const account = await newServiceAccount();
    const slug = await createVertexKey(account);
    const { response, received } = await chatVia(slug, { model: 'gemini-2.5-flash' });
    expect(response.status, await response.clone().text()).toBe(200);
    const [request] = await googleTokenRequests(account.file.client_email);
    expect(request).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      claims: { iss: account.file.client_email, sub: account.file.client_email, scope: 'https://www.googleapis.com/auth/cloud-platform' },
    });
    expect(received[0]!.path).toBe(`/vertex/us-central1${CHAT_PATH}`);
    expect(received[0]!.headers.authorization).toMatch(/^Bearer fake-google-token-\d+$/);
  });

  it('asks for one token for 20 concurrent calls, and reuses it after', async () => {
    const account = await newServiceAccount();
    const slug = await createVertexKey(account);
    const calls = await Promise.all(Array.from({ length: 20 }, () => chatVia(slug, { model: 'gemini-2.5-flash' })));
    expect(calls.map(({ response }) => response.status)).toEqual(Array(20).fill(200));
    expect((await chatVia(slug, { model: 'gemini-2.5-flash' })).response.status).toBe(200);
    expect(await googleTokenRequests(account.file.client_email)).toHaveLength(1);
    expect(new Set(calls.map(({ received }) => received[0]!.headers.authorization)).size).toBe(1);
  });

  it('uses a rotated key file at once', async () => {
    const first = await newServiceAccount();
    const slug = await createVertexKey(first);
    const before = await chatVia(slug, { model: 'gemini-2.5-flash' });
    const second = await newServiceAccount();
    expect((await putKey(slug, { vertexServiceAccountJson: second.file })).status).toBe(200);
    const after = await chatVia(slug, { model: 'gemini-2.5-flash' });
    expect(after.response.status).toBe(200);
    expect(await googleTokenRequests(second.file.client_email)).toHaveLength(1);
    expect(after.received[0]!.headers.authorization).not.toBe(before.received[0]!.headers.authorization);
  });

  it('answers 502 saying Google refused the account, and why, without the key', async () => {
    const account = await newServiceAccount({ disabled: true });
    const slug = await createVertexKey(account);
    const { response, received } = await chatVia(slug, { model: 'gemini-2.5-flash' });
    const body = await expectError(response, 502, 'google_token_refused');
    expect(body.error.message).toContain(`Google refused the service account ${account.file.client_email}`);
    expect(body.error.message).toContain('invalid_grant');
    expect(JSON.stringify(body)).not.toContain(account.privateKeyBase64.slice(100, 140));
    expect(received).toEqual([]);
  });

  it('answers 502 when the key id is unknown to Google', async () => {
    const account = await newServiceAccount({ register: false });
    const slug = await createVertexKey(account);
    const body = await expectError((await chatVia(slug, { model: 'gemini-2.5-flash' })).response, 502, 'google_token_refused');
    expect(body.error.message).toContain('Invalid JWT Signature');
  });

  it('answers 502 when the token endpoint cannot be reached', async () => {
    const slug = await createVertexKey(await newServiceAccount());
    const { response } = await chatVia(slug, { model: 'gemini-2.5-flash' }, { GOOGLE_TOKEN_URL: 'http://127.0.0.1:1/token' });
    await expectError(response, 502, 'google_token_unavailable');
  });
});

describe('chat', () => {
  it.each([
    ['a bare Gemini model gets google/', 'gemini-2.5-flash', 'google/gemini-2.5-flash'],
    ['a model naming Google stays', 'google/gemini-2.5-pro', 'google/gemini-2.5-pro'],
    ['a model naming another publisher stays', 'meta/llama-3.3-70b-instruct-maas', 'meta/llama-3.3-70b-instruct-maas'],
  ])('%s', async (_case, model, upstreamModel) => {
    const slug = await createVertexKey(await newServiceAccount());
    const { response, received } = await chatVia(slug, { model, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] });
    expect(response.status).toBe(200);
    const sent = JSON.parse(received[0]!.body) as Record<string, unknown>;
    expect(sent.model).toBe(upstreamModel);
    // Tools pass through as the client sent them.
    expect(sent.tools).toEqual([{ type: 'function', function: { name: 'f', parameters: {} } }]);
  });

  it('takes the @slug/model form', async () => {
    const slug = await createVertexKey(await newServiceAccount());
    const testId = crypto.randomUUID();
    const response = await chat({ model: `@${slug}/gemini-2.0-flash` }, { 'x-test-id': testId });
    expect(response.status).toBe(200);
    expect(JSON.parse((await upstreamRequests(testId))[0]!.body).model).toBe('google/gemini-2.0-flash');
  });

  it('calls the global host for region global', async () => {
    const slug = await createVertexKey(await newServiceAccount(), { vertexRegion: 'global' });
    const { response, received } = await chatVia(slug, { model: 'gemini-2.5-flash' });
    expect(response.status).toBe(200);
    expect(received[0]!.path).toBe('/vertex-global/v1/projects/test-project-1/locations/global/endpoints/openapi/chat/completions');
  });

  it('calls the regional host of a region changed by update', async () => {
    const slug = await createVertexKey(await newServiceAccount());
    await putKey(slug, { vertexRegion: 'europe-west4' });
    const { received } = await chatVia(slug, { model: 'gemini-2.5-flash' });
    expect(received[0]!.path).toBe('/vertex/europe-west4/v1/projects/test-project-1/locations/europe-west4/endpoints/openapi/chat/completions');
  });

  it('streams as SSE and meters the usage Gemini puts on its last chunk, asking for it unasked', async () => {
    const slug = await createVertexKey(await newServiceAccount(), { usage_limits: { credit_limit: 1000, type: 'tokens' } });
    const { response, received } = await chatVia(slug, { model: 'gemini-2.5-flash', stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await response.text();
    expect(text).toContain('Hello');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(JSON.parse(received[0]!.body).stream_options).toEqual({ include_usage: true });
    // The client did not ask for usage, so no chunk carries it, though the last one did upstream.
    expect(text).not.toContain('usage');
    expect(text).toContain('"finish_reason":"stop"');
    await expect.poll(async () => ((await keyObject(slug)).usage_limits as { spent: number }).spent).toBe(12);
  });

  it('streams usage on the last chunk to a client that asked for it', async () => {
    const slug = await createVertexKey(await newServiceAccount());
    const { response } = await chatVia(slug, { model: 'gemini-2.5-flash', stream: true, stream_options: { include_usage: true } });
    expect(await response.text()).toContain('"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}');
  });

  it('charges thinking tokens, counted in the total only, as output', async () => {
    const prices = { 'thinking-model': { input_per_million: 1, output_per_million: 10 } };
    const slug = await createVertexKey(await newServiceAccount(), { usage_limits: { credit_limit: 1, type: 'cost', model_prices: prices } });
    expect((await chatVia(slug, { model: 'thinking-model' })).response.status).toBe(200);
    // 9 prompt tokens; 3 completion and 10 thinking tokens at the output price.
    await expect.poll(async () => ((await keyObject(slug)).usage_limits as { spent: number }).spent).toBeCloseTo((9 * 1 + 13 * 10) / 1e6, 12);
  });

  it('keeps x-goog-* headers from Google: the key decides the billed project, not the app', async () => {
    const slug = await createVertexKey(await newServiceAccount());
    const testId = crypto.randomUUID();
    const headers = { 'x-portkey-virtual-key': slug, 'x-test-id': testId, 'x-goog-user-project': 'someone-else', 'x-goog-api-key': 'AIzaFAKE' };
    expect((await chat({ model: 'gemini-2.5-flash' }, headers)).status).toBe(200);
    const [received] = await upstreamRequests(testId);
    expect(Object.keys(received!.headers).filter((name) => name.startsWith('x-goog-'))).toEqual([]);
  });

  it('asks Google again after Vertex refuses a revoked token', async () => {
    const account = await newServiceAccount();
    const slug = await createVertexKey(account);
    const first = await chatVia(slug, { model: 'gemini-2.5-flash' });
    await revokeTokens(account.file.client_email);
    const refused = await chatVia(slug, { model: 'gemini-2.5-flash' });
    expect(refused.response.status).toBe(401);
    const after = await chatVia(slug, { model: 'gemini-2.5-flash' });
    expect(after.response.status).toBe(200);
    expect(await googleTokenRequests(account.file.client_email)).toHaveLength(2);
    expect(after.received[0]!.headers.authorization).not.toBe(first.received[0]!.headers.authorization);
  });

  it('holds a token budget', async () => {
    const slug = await createVertexKey(await newServiceAccount(), { usage_limits: { credit_limit: 20, type: 'tokens' } });
    expect((await chatVia(slug, { model: 'gemini-2.5-flash' })).response.status).toBe(200);
    expect((await chatVia(slug, { model: 'gemini-2.5-flash' })).response.status).toBe(200);
    const { response, received } = await chatVia(slug, { model: 'gemini-2.5-flash' });
    await expectError(response, 412, 'budget_exhausted');
    expect(received).toEqual([]);
  });

  it('prices Gemini for a cost budget', async () => {
    const slug = await createVertexKey(await newServiceAccount(), { usage_limits: { credit_limit: 1, type: 'cost' } });
    expect((await chatVia(slug, { model: 'gemini-2.5-pro' })).response.status).toBe(200);
    // 9 prompt tokens at $1.25 and 3 completion tokens at $10 per million.
    await expect.poll(async () => ((await keyObject(slug)).usage_limits as { spent: number }).spent).toBeCloseTo((9 * 1.25 + 3 * 10) / 1e6, 12);
  });

  it('passes a Google error on in the shape OpenAI’s SDK reads', async () => {
    const slug = await createVertexKey(await newServiceAccount());
    // A host for another region: the fake Vertex refuses the location, in Google's list-of-one shape.
    const { response } = await chatVia(slug, { model: 'gemini-2.5-flash' }, { VERTEX_ENDPOINT: `${fakeUpstreamUrl()}/vertex/us-east5` });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string; status: string }; message: string };
    expect(body.error).toMatchObject({ status: 'FAILED_PRECONDITION', message: expect.stringContaining('Location us-central1') });
    expect(body.message).toBe(body.error.message);
  });
});

describe('routes a Vertex key does not serve', () => {
  it.each([
    ['POST', '/v1/embeddings', { model: 'text-embedding-005', input: 'hi' }],
    ['POST', '/v1/completions', { model: 'gemini-2.5-flash', prompt: 'hi' }],
    ['GET', '/v1/models', undefined],
  ])('%s %s is a 400 naming what it serves', async (method, path, body) => {
    const slug = await createVertexKey(await newServiceAccount());
    const testId = crypto.randomUUID();
    const response = await callKeygate(path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': testId },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const error = await expectError(response, 400, 'unsupported_for_provider');
    expect(error.error.message).toContain('POST /v1/chat/completions only');
    expect(await upstreamRequests(testId)).toEqual([]);
  });

  it('a chat without a model is a 400', async () => {
    const slug = await createVertexKey(await newServiceAccount());
    await expectError((await chatVia(slug, {})).response, 400, 'invalid_body');
  });
});

it('stores and logs neither the private key nor its base64 body', async () => {
  const { lines, restore } = captureLogs();
  try {
    const account = await newServiceAccount();
    const slug = await createVertexKey(account);
    expect((await chatVia(slug, { model: 'gemini-2.5-flash' })).response.status).toBe(200);
    expect((await chatVia(slug, { model: 'gemini-2.5-flash', stream: true })).response.status).toBe(200);
    await chatVia(slug, { model: 'gemini-2.5-flash' }, { GOOGLE_TOKEN_URL: 'http://127.0.0.1:1/token' });
    const rotated = await newServiceAccount({ disabled: true });
    await putKey(slug, { vertexServiceAccountJson: JSON.stringify(rotated.file) });
    await chatVia(slug, { model: 'gemini-2.5-flash' });
    await adminRequest('GET', '/v1/audit-logs');

    const stored = await everyStoredText();
    expect(stored.join('\n')).toContain(slug);
    // A piece of the body, in case it is kept re-wrapped: 40 characters from inside one PEM line.
    const forms = [account, rotated].flatMap(({ privateKeyBase64, file }) => [privateKeyBase64, privateKeyBase64.slice(200, 240), file.private_key]);
    for (const form of [...forms, 'PRIVATE KEY', 'fake-google-token-']) {
      expect(stored.filter((text) => text.includes(form))).toEqual([]);
      expect(lines.filter((line) => line.includes(form))).toEqual([]);
    }
  } finally {
    restore();
  }
});
