// What an outside review of the gateway's request path found (issue 11): long values that broke
// the body rewrite, a cost budget bypassed by a content type, methods no OpenAI route uses, an
// unbounded error message, and upstream failures that left the operator nothing to go on.

import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withTopLevelField } from '../src/wire/json-body';
import { createAzureKey } from './support/azure';
import { ADMIN_API_KEY, callKeygate, chat, createVirtualKey, expectError, fakeUpstreamUrl, keyObject, upstreamRequests } from './support/keygate';

const LONG = 33_000;

function gatewayCall(path: string, body: BodyInit, headers: Record<string, string> = {}, method = 'POST'): Promise<Response> {
  return callKeygate(path, { method, headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', ...headers }, body });
}

async function delivered(response: Promise<Response>): Promise<Response> {
  const answer = await response;
  await answer.text(); // a call settles once its answer is delivered
  return answer;
}

const spentOf = async (slug: string) => ((await keyObject(slug)).usage_limits as { spent: number }).spent;

describe('rewriting the body keeps everything else byte for byte', () => {
  const rewrite = (text: string, field: string, value: unknown) => withTopLevelField(text, JSON.parse(text), field, value);

  it.each([
    ['an absent field, after the brace', '{"a":1}', 'model', 'm', '{"model":"m","a":1}'],
    ['an absent field in an empty object', ' { } ', 'model', 'm', ' {"model":"m" } '],
    ['a string field, keeping the whitespace around it', '{ "model" : "@k/m" ,"seed":12345678901234567890}', 'model', 'm', '{ "model":"m" ,"seed":12345678901234567890}'],
    ['an object field, keeping big integers elsewhere', '{"stream_options":{"a":[1,{"b":"}"}]},"seed":12345678901234567890}', 'stream_options', { include_usage: true }, '{"stream_options":{"include_usage":true},"seed":12345678901234567890}'],
    ['only the top-level field, not one nested or inside a string', '{"m":{"model":"x"},"s":"\\"model\\":\\"x\\"","model":"x"}', 'model', 'y', '{"m":{"model":"x"},"s":"\\"model\\":\\"x\\"","model":"y"}'],
    ['a key spelled with an escape', '{"mod\\u0065l":"x","n":null}', 'model', 'y', '{"model":"y","n":null}'],
    ['every copy of a repeated key', '{"model":"a","model":"b"}', 'model', 'c', '{"model":"c","model":"c"}'],
    ['a number field', '{"model":12,"x":true}', 'model', 'y', '{"model":"y","x":true}'],
    ['a string ending in an escaped backslash', '{"a":"\\\\","model":"x"}', 'model', 'y', '{"a":"\\\\","model":"y"}'],
  ])('sets %s', (_label, text, field, value, expected) => {
    expect(rewrite(text, field, value)).toBe(expected);
    expect(JSON.parse(expected)[field]).toEqual(value);
  });
});

describe('long values in a gateway body', () => {
  it(`forward a ${LONG}-character model in the Model Catalog form, the rest byte for byte`, async () => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    const model = 'x'.repeat(LONG);
    const text = `{"model":"@${slug}/${model}","seed":12345678901234567890,"messages":[{"role":"user","content":"hi"}]}`;
    const response = await delivered(gatewayCall('/v1/chat/completions', text, { 'x-test-id': testId }));
    expect(response.status).toBe(200);
    const [received] = await upstreamRequests(testId);
    expect(received!.body).toBe(text.replace(`@${slug}/`, ''));
  });

  it(`ask for the stream's usage beside a ${LONG}-character stream_options`, async () => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    const text = `{"model":"@${slug}/gpt-4o-mini","stream":true,"stream_options":"${'y'.repeat(LONG)}","seed":12345678901234567890}`;
    const response = await delivered(gatewayCall('/v1/chat/completions', text, { 'x-test-id': testId }));
    expect(response.status).toBe(200);
    const [received] = await upstreamRequests(testId);
    expect(received!.body).toBe('{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"seed":12345678901234567890}');
  });

  it('ask for the stream’s usage without re-serialising the rest of the body', async () => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    const text = `{"model":"@${slug}/gpt-4o-mini","stream":true,"stream_options":{"extra":"z"},"seed":12345678901234567890}`;
    await delivered(gatewayCall('/v1/chat/completions', text, { 'x-test-id': testId }));
    const [received] = await upstreamRequests(testId);
    expect(received!.body).toBe('{"model":"gpt-4o-mini","stream":true,"stream_options":{"extra":"z","include_usage":true},"seed":12345678901234567890}');
  });

  it(`name the Azure deployment in a /v1/responses call with a ${LONG}-character model`, async () => {
    const slug = await createAzureKey();
    const testId = crypto.randomUUID();
    const text = `{"model":"${'z'.repeat(LONG)}","input":"hi","seed":12345678901234567890}`;
    const response = await delivered(gatewayCall('/v1/responses', text, { 'x-test-id': testId, 'x-portkey-virtual-key': slug }));
    expect(response.status).toBe(200);
    const [received] = await upstreamRequests(testId);
    expect(received!.body).toBe('{"model":"gpt4o-prod","input":"hi","seed":12345678901234567890}');
  });

  it('quote a malformed long Model Catalog model only in part', async () => {
    const body = await expectError(await gatewayCall('/v1/chat/completions', JSON.stringify({ model: `@${'x'.repeat(LONG)}` })), 400, 'invalid_model');
    expect(body.message.length).toBeLessThan(300);
  });
});

describe('a JSON body whatever its content type claims', () => {
  const costBudget = { usage_limits: { credit_limit: 5, type: 'cost' } };

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', null])(
    'is priced on a cost budget when sent as %s: a model without a price is refused',
    async (contentType) => {
      const slug = await createVirtualKey(costBudget);
      const testId = crypto.randomUUID();
      const headers = new Headers({ authorization: `Bearer ${ADMIN_API_KEY}`, 'x-test-id': testId, 'x-portkey-virtual-key': slug });
      if (contentType) headers.set('content-type', contentType);
      const text = JSON.stringify({ model: 'my-finetune', messages: [{ role: 'user', content: 'hello' }] });
      const response = await callKeygate('/v1/chat/completions', { method: 'POST', headers, body: new TextEncoder().encode(text) });
      await expectError(response, 400, 'unknown_model_price');
      expect(await upstreamRequests(testId)).toEqual([]);
    },
  );

  it('is charged on a cost budget when sent as text/plain', async () => {
    const slug = await createVirtualKey(costBudget);
    const text = JSON.stringify({ model: `@${slug}/gpt-4o-mini`, messages: [{ role: 'user', content: 'hello' }] });
    for (let call = 0; call < 2; call++) {
      expect((await delivered(gatewayCall('/v1/chat/completions', text, { 'content-type': 'text/plain' }))).status).toBe(200);
    }
    expect(await spentOf(slug)).toBeCloseTo((2 * (9 * 0.15 + 3 * 0.6)) / 1_000_000, 12);
  });

  it.each([
    ['a cost budget', costBudget],
    ['a token budget', { usage_limits: { credit_limit: 1000, type: 'tokens' } }],
    ['a token rate limit', { rate_limits: [{ type: 'tokens', unit: 'rpm', value: 1000 }] }],
  ])('that is not JSON is refused with 415 on a key with %s, before the upstream', async (_label, limits) => {
    const slug = await createVirtualKey(limits);
    const testId = crypto.randomUUID();
    const labelledMultipart = ['multipart/form-data; boundary=x', JSON.stringify({ model: 'my-finetune-no-price', messages: [{ role: 'user', content: 'hi' }] })];
    for (const [contentType, body] of [['text/plain', 'not json {"model":"gpt-4o-mini"}'], ['application/octet-stream', new Uint8Array([0xff, 0, 1])], ['application/json', '[1,2]'], labelledMultipart] as const) {
      const response = await gatewayCall('/v1/chat/completions', body, { 'content-type': contentType, 'x-test-id': testId, 'x-portkey-virtual-key': slug });
      const error = await expectError(response, 415, 'unsupported_media_type');
      expect(error.message).toContain('multipart/form-data');
    }
    expect(await upstreamRequests(testId)).toEqual([]);
  });

  it('that is not JSON still reaches the upstream byte for byte on a key without a budget', async () => {
    const slug = await createVirtualKey({ rate_limits: [{ type: 'requests', unit: 'rpm', value: 100 }] });
    const testId = crypto.randomUUID();
    const bytes = new Uint8Array([0x68, 0x69, 0xff, 0x00, 0x7b]);
    const response = await gatewayCall('/v1/chat/completions', bytes, { 'content-type': 'application/octet-stream', 'x-test-id': testId, 'x-portkey-virtual-key': slug });
    expect(response.status).toBe(400); // the fake upstream's own answer to a body it cannot parse
    const [received] = await upstreamRequests(testId);
    expect(received!.headers['content-type']).toBe('application/octet-stream');
    expect(received!.body).toBe(new TextDecoder().decode(bytes));
  });

  it('is not needed for a multipart/form-data upload, which streams through on a limited key', async () => {
    const slug = await createVirtualKey({ usage_limits: { credit_limit: 1000, type: 'tokens' } });
    const testId = crypto.randomUUID();
    const form = new FormData();
    form.set('purpose', 'batch');
    form.set('file', new Blob(['{"custom_id":"1"}\n']), 'batch.jsonl');
    const response = await callKeygate('/v1/files', { method: 'POST', headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-test-id': testId, 'x-portkey-virtual-key': slug }, body: form });
    await response.text();
    const [received] = await upstreamRequests(testId);
    expect(received!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(received!.body).toContain('{"custom_id":"1"}');
  });
});

describe('methods', () => {
  it.each(['TRACE', 'PUT', 'PATCH', 'OPTIONS', 'PROPFIND'])('answers %s with 405 and never reaches a provider', async (method) => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    const response = await callKeygate('/v1/models', { method, headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-portkey-virtual-key': slug, 'x-test-id': testId } });
    const body = await expectError(response, 405, 'method_not_allowed');
    expect(body.message).toContain(method);
    expect(await upstreamRequests(testId)).toEqual([]);
  });

  it.each(['GET', 'DELETE'])('forwards %s', async (method) => {
    const slug = await createVirtualKey();
    const testId = crypto.randomUUID();
    await (await callKeygate('/v1/models/gpt-4o-mini', { method, headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-portkey-virtual-key': slug, 'x-test-id': testId } })).text();
    expect((await upstreamRequests(testId)).map((request) => request.method)).toEqual([method]);
  });
});

describe('an unknown model price', () => {
  it('quotes a 1 MB model name only in part', async () => {
    const slug = await createVirtualKey({ usage_limits: { credit_limit: 5, type: 'cost' } });
    const response = await chat({ model: `@${slug}/${'m'.repeat(1_000_000)}` });
    const text = await response.clone().text();
    const body = await expectError(response, 400, 'unknown_model_price');
    expect(body.message).toContain('usage_limits.model_prices');
    expect(body.message.length).toBeLessThan(500);
    expect(text.length).toBeLessThan(1200);
  });
});

describe('an upstream that cannot be reached', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is logged for the operator by host and kind, without the key or the path', async () => {
    const lines: string[] = [];
    for (const level of ['error', 'warn', 'info'] as const) vi.spyOn(console, level).mockImplementation((line: unknown) => void lines.push(String(line)));
    const slug = await createVirtualKey({ key: 'sk-fake-secret-must-not-be-logged-0000' });
    await expectError(await chat({ model: `@${slug}/gpt-4o` }, {}, { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }), 502, 'upstream_unreachable');
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.code === 'upstream_unreachable');
    expect(logged).toMatchObject({ level: 'error', host: '127.0.0.1:1', errorClass: expect.any(String), kind: expect.any(String) });
    expect(lines.join('\n')).not.toMatch(/sk-fake-secret|chat\/completions|hello/);
  });
});

describe('a client that goes away before the upstream answers', () => {
  // In-process: the test aborts the request's signal as the runtime does when a client disconnects
  // (test/e2e/client-disconnect.test.ts covers a stream over a real socket).
  it('cancels the upstream request and charges its estimate (the provider may have billed the prompt)', async () => {
    const slug = await createVirtualKey({ usage_limits: { credit_limit: 1000, type: 'tokens' } });
    const testId = crypto.randomUUID();
    const controller = new AbortController();
    const answer = callKeygate('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-test-id': testId },
      body: JSON.stringify({ model: `@${slug}/slow`, messages: [{ role: 'user', content: 'hello' }] }), // answers after 3 s
      signal: controller.signal,
    });
    await vi.waitFor(async () => expect(await upstreamRequests(testId)).toHaveLength(1));
    const abortedAt = Date.now();
    controller.abort();
    await expectError(await answer, 502, 'upstream_unreachable'); // an answer no one reads
    const closed = await vi.waitFor(async () => {
      const list = (await (await fetch(`${fakeUpstreamUrl()}/__fake/closed?test=${testId}`)).json()) as Array<{ at: number }>;
      expect(list).toHaveLength(1);
      return list[0]!;
    });
    expect(closed.at - abortedAt).toBeLessThan(1000);
    expect(await spentOf(slug)).toBeGreaterThan(0);
    const history = await env.DB.prepare('SELECT status, estimated FROM usage_events WHERE virtual_key_slug = ?1').bind(slug).all();
    expect(history.results).toEqual([{ status: 499, estimated: 1 }]);
  });
});
