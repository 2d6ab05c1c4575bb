// The OpenAI-compatible gateway: which virtual key a call names, what reaches the upstream, and
// what the client sees when the key or the upstream is not usable.

import { describe, expect, it } from 'vitest';
import {
  ADMIN_API_KEY,
  adminRequest,
  callKeygate,
  chat,
  createVirtualKey,
  expectError,
  upstreamRequests,
} from './support/keygate';

const PROVIDER_KEY = 'sk-fake-gateway-000000000000001';

function testId(): string {
  return crypto.randomUUID();
}

describe('choosing the virtual key', () => {
  it('takes it from x-portkey-virtual-key and forwards the body unchanged', async () => {
    const slug = await createVirtualKey({ key: PROVIDER_KEY });
    const id = testId();
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], temperature: 0.2 };
    const response = await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': id },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    const completion = (await response.json()) as { object: string; choices: Array<{ message: { content: string } }> };
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toBe('echo: hello');
    const [received] = await upstreamRequests(id);
    expect(received!.path).toBe('/v1/chat/completions');
    expect(JSON.parse(received!.body)).toEqual(body);
  });

  it('takes it from the Model Catalog form and sends the bare model upstream', async () => {
    const slug = await createVirtualKey({ key: PROVIDER_KEY });
    const id = testId();
    const response = await chat({ model: `@${slug}/gpt-4o-mini` }, { 'x-test-id': id });
    expect(response.status).toBe(200);
    const [received] = await upstreamRequests(id);
    expect(JSON.parse(received!.body).model).toBe('gpt-4o-mini');
  });

  it('prefers the Model Catalog form over the header', async () => {
    const fromModel = await createVirtualKey({ key: 'sk-fake-from-model-0000000000001' });
    const fromHeader = await createVirtualKey({ key: 'sk-fake-from-header-000000000001' });
    const id = testId();
    await chat({ model: `@${fromModel}/gpt-4o` }, { 'x-portkey-virtual-key': fromHeader, 'x-test-id': id });
    const [received] = await upstreamRequests(id);
    expect(received!.headers.authorization).toBe('Bearer sk-fake-from-model-0000000000001');
  });

  it('keeps slashes of the model name after the slug', async () => {
    const slug = await createVirtualKey();
    const id = testId();
    await chat({ model: `@${slug}/org/model-v1` }, { 'x-test-id': id });
    const [received] = await upstreamRequests(id);
    expect(JSON.parse(received!.body).model).toBe('org/model-v1');
  });

  it('refuses a call with no virtual key with 400', async () => {
    const body = await expectError(await chat({ model: 'gpt-4o-mini' }), 400, 'missing_virtual_key');
    expect(body.message).toMatch(/x-portkey-virtual-key/);
  });

  it('refuses a malformed Model Catalog model with 400', async () => {
    await expectError(await chat({ model: '@just-a-slug' }), 400, 'invalid_model');
  });

  it('refuses a body that is not valid JSON with 400', async () => {
    const slug = await createVirtualKey();
    const response = await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug },
      body: '{"model": ',
    });
    await expectError(response, 400, 'invalid_json');
  });
});

describe('what reaches the upstream', () => {
  it('gets the real key as Bearer, and no Portkey header nor the gateway key', async () => {
    const slug = await createVirtualKey({ key: PROVIDER_KEY });
    const id = testId();
    await chat(
      { model: 'gpt-4o-mini' },
      { 'x-portkey-virtual-key': slug, 'x-portkey-api-key': ADMIN_API_KEY, 'x-portkey-trace-id': 't1', 'openai-organization': 'org-fake', 'x-test-id': id },
    );
    const [received] = await upstreamRequests(id);
    expect(received!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(Object.keys(received!.headers).filter((name) => name.startsWith('x-portkey-'))).toEqual([]);
    expect(JSON.stringify(received!.headers)).not.toContain(ADMIN_API_KEY);
    expect(received!.headers['openai-organization']).toBe('org-fake');
  });

  it.each([
    ['/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'Say' }, 'text_completion'],
    ['/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' }, 'list'],
    ['/v1/responses', { model: 'gpt-4o-mini', input: 'hi' }, 'response'],
  ])('forwards POST %s', async (path, body, object) => {
    const slug = await createVirtualKey({ key: PROVIDER_KEY });
    const id = testId();
    const response = await callKeygate(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug, 'x-test-id': id },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { object: string }).object).toBe(object);
    const [received] = await upstreamRequests(id);
    expect(received!.path).toBe(path);
    expect(received!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  });

  it('passes any other /v1 path through with its method and query string', async () => {
    const slug = await createVirtualKey({ key: PROVIDER_KEY });
    const id = testId();
    const response = await callKeygate('/v1/models?limit=5&after=x', {
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-portkey-virtual-key': slug, 'x-test-id': id },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown[] }).data).toHaveLength(1);
    const [received] = await upstreamRequests(id);
    expect(received).toMatchObject({ method: 'GET', path: '/v1/models', search: '?limit=5&after=x' });
  });

  it('answers with its own request id and keeps the provider’s as x-upstream-request-id', async () => {
    const slug = await createVirtualKey();
    const response = await chat({ model: `@${slug}/gpt-4o-mini` });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-portkey-request-id')).toBe(response.headers.get('x-request-id'));
    expect(response.headers.get('x-upstream-request-id')).toBe('req_fake_upstream');
  });
});

describe('keys that may not be used', () => {
  it('refuses without the gateway API key with 401, before touching the upstream', async () => {
    const slug = await createVirtualKey();
    const id = testId();
    const response = await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-id': id },
      body: JSON.stringify({ model: `@${slug}/gpt-4o-mini`, messages: [] }),
    });
    await expectError(response, 401, 'missing_api_key');
    expect(await upstreamRequests(id)).toEqual([]);
  });

  it('refuses an unknown virtual key with 404 naming it', async () => {
    const body = await expectError(await chat({ model: '@ghost-aaaaaaaaaaaaaaaa/gpt-4o' }), 404, 'virtual_key_not_found');
    expect(body.message).toContain('ghost-aaaaaaaaaaaaaaaa');
  });

  it('refuses a deleted virtual key at once', async () => {
    const slug = await createVirtualKey();
    expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(200);
    await adminRequest('DELETE', `/v1/virtual-keys/${slug}`);
    const body = await expectError(await chat({ model: `@${slug}/gpt-4o` }), 404, 'virtual_key_not_found');
    expect(body.message).toContain(slug);
  });

  it('refuses a disabled virtual key with 403 naming it', async () => {
    const slug = await createVirtualKey();
    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { status: 'disabled' });
    const body = await expectError(await chat({ model: `@${slug}/gpt-4o` }), 403, 'virtual_key_disabled');
    expect(body.message).toContain(slug);
  });

  it('refuses an expired virtual key with 403 saying it expired, and shows it as expired', async () => {
    const expiresAt = new Date(Date.now() + 1000).toISOString();
    const slug = await createVirtualKey({ expires_at: expiresAt });
    expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const body = await expectError(await chat({ model: `@${slug}/gpt-4o` }), 403, 'virtual_key_expired');
    expect(body.message).toContain(slug);
    expect(body.message).toContain('expired');
    const key = (await (await adminRequest('GET', `/v1/virtual-keys/${slug}`)).json()) as { status: string };
    expect(key.status).toBe('expired');
  });
});

describe('when the upstream fails', () => {
  it('passes an upstream error status and body through, adding the top-level message Portkey reads', async () => {
    const slug = await createVirtualKey();
    const response = await chat({ model: `@${slug}/fail-429` });
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({
      error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' },
      message: 'Rate limit reached for requests',
    });
  });

  it('keeps the status of a non-JSON upstream error but answers in the error shape', async () => {
    const slug = await createVirtualKey();
    const body = await expectError(await chat({ model: `@${slug}/fail-html` }), 502, 'upstream_error');
    expect(body.message).not.toContain('<html>');
  });

  it.each([
    ['an invalid JSON body', 'garbage-json', 'upstream_invalid_response'],
    ['bytes that are not HTTP', 'garbage-http', 'upstream_unreachable'],
    ['a connection reset', 'reset', 'upstream_unreachable'],
  ])('answers 502 when the upstream sends %s', async (_label, model, code) => {
    const slug = await createVirtualKey();
    await expectError(await chat({ model: `@${slug}/${model}` }), 502, code);
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    const slug = await createVirtualKey();
    const body = await expectError(await chat({ model: `@${slug}/gpt-4o` }, {}, { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }), 502, 'upstream_unreachable');
    expect(body.message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
  });

  it('answers 504 when the upstream does not answer in time', async () => {
    const slug = await createVirtualKey();
    const body = await expectError(await chat({ model: `@${slug}/slow` }, {}, { UPSTREAM_TIMEOUT_MS: '300' }), 504, 'upstream_timeout');
    expect(body.message).toContain('300 ms');
  });
});
