// A client that goes away mid-stream, over a real socket: the runtime then runs neither the
// stream's cancel() nor another pull, so only request.signal (enable_request_signal) tells
// Keygate. The upstream must be stopped, not left generating (and billing) to its end, and the key
// settled for what was streamed rather than holding its reservation for an hour.
//
// A client that goes away before the upstream answers is tested in gateway-hardening.test.ts,
// in-process: locally, workerd does not notice a closed socket until it has a response to write.

import { request as httpRequest, type ClientRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { adminApiKey, fakeUrl, keygateUrl, providerKey, useKeygateWithFakeUpstream } from './harness';

useKeygateWithFakeUpstream();

interface ClosedEarly {
  path: string;
  framesSent: number;
  at: number;
}

async function createBudgetedKey(): Promise<string> {
  const response = await fetch(`${keygateUrl()}/v1/virtual-keys`, {
    method: 'POST',
    headers: { 'x-portkey-api-key': adminApiKey(), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'disconnect', provider: 'openai', key: providerKey('disconnect'), usage_limits: { credit_limit: 100_000, type: 'tokens' } }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { slug: string } }).data.slug;
}

async function spentOf(slug: string): Promise<number> {
  const response = await fetch(`${keygateUrl()}/v1/virtual-keys/${slug}`, { headers: { 'x-portkey-api-key': adminApiKey() } });
  return ((await response.json()) as { usage_limits: { spent: number } }).usage_limits.spent;
}

async function closedEarly(testId: string): Promise<ClosedEarly[]> {
  return (await (await fetch(`${fakeUrl()}/__fake/closed?test=${testId}`)).json()) as ClosedEarly[];
}

/** Polls `read` until `done` holds of its value or `ms` pass; returns the last value. */
async function eventually<Value>(read: () => Promise<Value>, done: (value: Value) => boolean, ms = 4000): Promise<Value> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

/** Starts a streamed chat call on a raw socket, which the test then destroys. */
function rawStreamedChat(slug: string, testId: string): ClientRequest {
  const request = httpRequest(`${keygateUrl()}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminApiKey()}`, 'content-type': 'application/json', 'x-test-id': testId },
  });
  request.on('error', () => {}); // destroying the socket is the point
  request.end(JSON.stringify({ model: `@${slug}/slow-stream`, stream: true, messages: [{ role: 'user', content: 'write at length' }] }));
  return request;
}

describe('a client that disconnects', () => {
  it('mid-stream stops the upstream and is charged for what was streamed', async () => {
    const slug = await createBudgetedKey();
    const testId = crypto.randomUUID();
    const request = rawStreamedChat(slug, testId);
    const firstWords = await new Promise<string>((resolve, reject) => {
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes(' word')) resolve(text);
        });
      });
      request.on('error', reject);
    });
    expect(firstWords).toContain('data: ');
    const closedAt = Date.now();
    request.destroy();

    // The fake streams for 20 s unless its client goes away.
    const [closed] = await eventually(() => closedEarly(testId), (list) => list.length > 0);
    expect(closed).toMatchObject({ path: '/v1/chat/completions' });
    expect(closed!.at - closedAt).toBeLessThan(3000);
    expect(closed!.framesSent).toBeLessThan(50);

    // The prompt's estimate plus a token for each 4 characters streamed: not nothing, and not the
    // 256-token completion reserved for a call without max_tokens.
    const spent = await eventually(() => spentOf(slug), (value) => value > 0);
    expect(spent).toBeGreaterThan(10);
    expect(spent).toBeLessThan(100);
  });
});
