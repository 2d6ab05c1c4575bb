// Gateway edge cases: odd virtual key names, bodies the Model Catalog rewrite must not damage,
// bodyless answers, and headers that must not cross the gateway in either direction.

import { describe, expect, it } from 'vitest';
import { ADMIN_API_KEY, callKeygate, chat, createVirtualKey, expectError, upstreamRequests } from './support/keygate';

const gatewayHeaders = (extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${ADMIN_API_KEY}`,
  'content-type': 'application/json',
  ...extra,
});

describe('virtual key names that cannot exist', () => {
  it.each([
    ['a 600-character slug', 'a'.repeat(600)],
    ['a slug with a space', 'has space'],
    ['a slug with a slash-free but odd character', 'semi;colon'],
  ])('answer 404 for %s without touching storage limits', async (_label, slug) => {
    const response = await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: gatewayHeaders({ 'x-portkey-virtual-key': slug }),
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    });
    const body = await expectError(response, 404, 'virtual_key_not_found');
    expect(body.message.length).toBeLessThan(200);
  });

  it('answers 404 for a long slug in the Model Catalog form too', async () => {
    await expectError(await chat({ model: `@${'b'.repeat(600)}/gpt-4o` }), 404, 'virtual_key_not_found');
  });
});

describe('the Model Catalog rewrite', () => {
  it('changes only the model: big integers and formatting reach the upstream byte for byte', async () => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    const text = `{\n  "model": "@${slug}/gpt-4o-mini",\n  "seed": 12345678901234567890,\n  "messages": [{"role": "user", "content": "say \\"model\\": \\"@x/y\\""}]\n}`;
    const response = await callKeygate('/v1/chat/completions', { method: 'POST', headers: gatewayHeaders({ 'x-test-id': testId }), body: text });
    expect(response.status).toBe(200);
    const [received] = await upstreamRequests(testId);
    expect(received!.body).toBe(text.replace(`"model": "@${slug}/gpt-4o-mini"`, '"model":"gpt-4o-mini"'));
  });

  it('still rewrites the top-level model when the same literal appears twice', async () => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    const model = `@${slug}/gpt-4o-mini`;
    const body = { model, messages: [{ role: 'user', content: 'hello' }], metadata: { model } };
    await callKeygate('/v1/chat/completions', { method: 'POST', headers: gatewayHeaders({ 'x-test-id': testId }), body: JSON.stringify(body) });
    const [received] = await upstreamRequests(testId);
    expect(JSON.parse(received!.body)).toEqual({ ...body, model: 'gpt-4o-mini' });
  });

  it('passes a model with $ signs through literally', async () => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    await chat({ model: `@${slug}/ft:$&-$1` }, { 'x-test-id': testId });
    const [received] = await upstreamRequests(testId);
    expect(JSON.parse(received!.body).model).toBe('ft:$&-$1');
  });
});

describe('requests and answers without a body', () => {
  it('forwards HEAD and relays the status without a body check', async () => {
    const slug = await createVirtualKey();
    const response = await callKeygate('/v1/models', { method: 'HEAD', headers: gatewayHeaders({ 'x-portkey-virtual-key': slug }) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});

describe('upstream answers that are not an API response', () => {
  it('answers 502 for a 2xx HTML page, such as a captive portal', async () => {
    const slug = await createVirtualKey();
    const body = await expectError(await chat({ model: `@${slug}/html-200` }), 502, 'upstream_invalid_response');
    expect(body.message).not.toContain('captive');
  });

  it.each([
    ['502 (garbage)', 'garbage-json', {}, 502],
    ['504 (timeout)', 'slow', { UPSTREAM_TIMEOUT_MS: '200' }, 504],
  ])('tells the OpenAI SDK not to retry a %s the upstream may already have billed', async (_label, model, envOverrides, status) => {
    const slug = await createVirtualKey();
    const response = await chat({ model: `@${slug}/${model}` }, {}, envOverrides);
    expect(response.status).toBe(status);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(response.headers.get('x-portkey-request-id')).toBe(response.headers.get('x-request-id'));
  });
});

describe('headers across the gateway', () => {
  it('drops forwarded and via headers on the way up', async () => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    await chat({ model: `@${slug}/gpt-4o` }, { forwarded: 'for=10.0.0.1', via: '1.1 corp-proxy', 'x-test-id': testId });
    const [received] = await upstreamRequests(testId);
    expect(received!.headers).not.toHaveProperty('forwarded');
    expect(received!.headers).not.toHaveProperty('via');
  });

  it('does not show the real key’s organization to the app', async () => {
    const slug = await createVirtualKey();
    const response = await chat({ model: `@${slug}/gpt-4o` });
    expect(response.status).toBe(200);
    expect(response.headers.get('openai-organization')).toBeNull();
  });
});

describe('request ids on every kind of answer', () => {
  it.each([
    ['401', () => callKeygate('/v1/chat/completions', { method: 'POST' })],
    ['405', () => callKeygate('/v1/virtual-keys', { method: 'PATCH', headers: gatewayHeaders() })],
    ['413', () => callKeygate('/v1/virtual-keys', { method: 'POST', headers: gatewayHeaders(), body: 'x'.repeat(65 * 1024) })],
  ])('are set on a %s', async (_label, send) => {
    const response = await send();
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-portkey-request-id')).toBe(response.headers.get('x-request-id'));
  });

  it('are set on a stream', async () => {
    const slug = await createVirtualKey();
    const response = await chat({ model: `@${slug}/gpt-4o`, stream: true });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('x-portkey-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await response.body?.cancel();
  });
});

describe('gateway body limit', () => {
  it('refuses a body over 32 MiB with 413 before reaching the upstream', async () => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    const big = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(33 * 1024 * 1024) }] });
    const response = await callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: gatewayHeaders({ 'x-portkey-virtual-key': slug, 'x-test-id': testId }),
      body: big,
    });
    await expectError(response, 413, 'body_too_large');
    expect(await upstreamRequests(testId)).toEqual([]);
  });
});
