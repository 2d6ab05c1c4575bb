// End to end, the things that only show over real HTTP with real SDK defaults: the Portkey SDK's
// own retry of a 5xx (which Keygate's request id must stop), its streaming, and a raw request
// shape no fetch() would send.

import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  adminApiKey,
  createKey,
  failure,
  hello,
  keygateUrl,
  onlyUpstreamRequest,
  portkeyClient,
  providerKey,
  upstreamRequests,
  useKeygateWithFakeUpstream,
} from './harness';
import { Portkey } from 'portkey-ai';

useKeygateWithFakeUpstream();

describe('the Portkey SDK with its default retries', () => {
  it('sends an upstream 5xx call upstream exactly once, because every answer carries x-portkey-request-id', async () => {
    const slug = await createKey(providerKey('once'));
    const testId = crypto.randomUUID();
    // No maxRetries override: the SDK's chat fetch retries a 5xx unless that header is present.
    const portkey = new Portkey({ apiKey: adminApiKey(), baseURL: `${keygateUrl()}/v1`, virtualKey: slug });

    const error = await failure(() =>
      portkey.chat.completions.create({ model: 'fail-500', messages: hello }, undefined, { extraHeaders: { 'x-test-id': testId } }),
    );

    expect(error.status).toBe(500);
    expect(error.message).toBe('The server had an error while processing your request.');
    expect(await upstreamRequests(testId)).toHaveLength(1);
  });

  it('streams a chat answer', async () => {
    const secret = providerKey('portkey-stream');
    const slug = await createKey(secret);
    const testId = crypto.randomUUID();

    const stream = await portkeyClient({ virtualKey: slug }).chat.completions.create(
      { model: 'gpt-4o-mini', messages: hello, stream: true },
      undefined,
      { extraHeaders: { 'x-test-id': testId } },
    );
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';

    expect(text).toBe('Hello from fake');
    const upstream = await onlyUpstreamRequest(testId);
    expect(upstream.headers.authorization).toBe(`Bearer ${secret}`);
  });
});

describe('raw HTTP', () => {
  it('forwards a GET that carries a body, without the body, instead of failing', async () => {
    const slug = await createKey(providerKey('get-body'));
    const testId = crypto.randomUUID();
    const url = new URL(`${keygateUrl()}/v1/models`);
    const payload = JSON.stringify({ unexpected: true });

    const status = await new Promise<number>((resolve, reject) => {
      const sent = httpRequest(
        url,
        {
          method: 'GET',
          headers: {
            authorization: `Bearer ${adminApiKey()}`,
            'x-portkey-virtual-key': slug,
            'x-test-id': testId,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      sent.on('error', reject);
      sent.end(payload);
    });

    expect(status).toBe(200);
    const upstream = (await upstreamRequests(testId))[0]!;
    expect(upstream).toMatchObject({ method: 'GET', path: '/v1/models', body: '' });
  });
});
