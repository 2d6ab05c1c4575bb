// Rate limits held exactly by the key's ledger Durable Object: under a burst, exactly the limit
// gets through; the rest get 429 with Retry-After and never reach the upstream.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { RateLimitRule } from '../src/limits/rate-limit-rules';
import { fakeStreamFrames } from '../scripts/lib/fake-openai.mjs';
import { azureApiKeyBody } from './support/azure';
import { bedrockAccessKeyBody, uniqueModel } from './support/bedrock';
import { adminRequest, chat, createKeyFromBody, createVirtualKey, expectError, keyObject, postKey, upstreamRequests } from './support/keygate';

/** Fixed windows are UTC minutes: start a burst well inside one, so it cannot straddle two. */
async function awayFromMinuteBoundary(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 200));
}

describe('rate limit settings', () => {
  it('are stored on create (either spelling) and shown with their current window on retrieve', async () => {
    const slug = await createVirtualKey({ rateLimits: [{ type: 'requests', unit: 'rph', value: 100 }] });
    await chat({ model: `@${slug}/gpt-4o` });
    const key = await keyObject(slug);
    expect(key.rate_limits).toEqual([{ type: 'requests', unit: 'rph', value: 100 }]);
    expect(key.rate_limit_windows).toEqual([
      { type: 'requests', unit: 'rph', value: 100, used: 1, remaining: 99, resets_at: new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000).toISOString() },
    ]);
  });

  it.each([
    ['an unknown unit', [{ type: 'requests', unit: 'rps', value: 1 }], /rate_limits.0.unit/],
    ['a zero value', [{ type: 'requests', unit: 'rpm', value: 0 }], /at least 1/],
    ['a fractional value', [{ type: 'tokens', unit: 'rpm', value: 1.5 }], /whole number/],
    ['two limits of one type and unit', [{ type: 'requests', unit: 'rpm', value: 1 }, { type: 'requests', unit: 'rpm', value: 2 }], /same type and unit/],
  ])('refuses %s with 400', async (_label, rateLimits, message) => {
    const body = await expectError(await postKey({ name: 'x', provider: 'openai', key: 'sk-fake-rate-0000000000000001', rate_limits: rateLimits }), 400);
    expect(body.message).toMatch(message);
  });
});

describe('request rate limits', () => {
  it('let exactly 10 of 50 concurrent requests through a 10 rpm limit; 40 get 429 with Retry-After', { timeout: 70_000 }, async () => {
    const slug = await createVirtualKey({ rate_limits: [{ type: 'requests', unit: 'rpm', value: 10 }] });
    const testId = crypto.randomUUID();
    await awayFromMinuteBoundary();
    const responses = await Promise.all(Array.from({ length: 50 }, () => chat({ model: `@${slug}/gpt-4o` }, { 'x-test-id': testId })));

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40);
    expect(await upstreamRequests(testId)).toHaveLength(10);
    const refused = responses.find((response) => response.status === 429)!;
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = await expectError(refused, 429, 'rate_limit_exceeded');
    expect(body.error.type).toBe('rate_limit_error');
    expect(body.message).toContain('10 requests per minute');
  });

  it('takes a raised limit into account at once', async () => {
    const slug = await createVirtualKey({ rate_limits: [{ type: 'requests', unit: 'rpd', value: 1 }] });
    expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(200);
    expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(429);
    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { rate_limits: [{ type: 'requests', unit: 'rpd', value: 2 }] });
    expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(200);
    expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(429);
  });

  it('keeps a key without limits off the ledger', async () => {
    const slug = await createVirtualKey();
    for (let index = 0; index < 3; index++) expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(200);
    expect((await keyObject(slug)).rate_limit_windows).toEqual([]);
  });
});

describe('the ledger on a controllable clock', () => {
  const ledger = () => env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(`ledger-test-${crypto.randomUUID()}`));
  const start = Date.UTC(2026, 10, 30, 23, 59, 0); // one minute before a UTC day (and month) boundary

  it('opens a new window at each UTC minute', async () => {
    const stub = ledger();
    const rules: RateLimitRule[] = [{ type: 'requests', unit: 'rpm', value: 2 }];
    expect((await stub.admit({ rateLimits: rules }, start)).admitted).toBe(true);
    expect((await stub.admit({ rateLimits: rules }, start + 30_000)).admitted).toBe(true);
    const refused = await stub.admit({ rateLimits: rules }, start + 59_000);
    expect(refused).toMatchObject({ admitted: false, retryAfterSeconds: 1, reason: 'rate_limit' });
    expect((await stub.admit({ rateLimits: rules }, start + 60_000)).admitted).toBe(true);
  });

  it('opens a new daily window at UTC midnight', async () => {
    const stub = ledger();
    const daily: RateLimitRule[] = [{ type: 'requests', unit: 'rpd', value: 2 }];
    expect((await stub.admit({ rateLimits: daily }, start)).admitted).toBe(true);
    expect((await stub.admit({ rateLimits: daily }, start + 1_000)).admitted).toBe(true);
    expect(await stub.admit({ rateLimits: daily }, start + 2_000)).toMatchObject({ admitted: false, retryAfterSeconds: 58 });
    expect((await stub.admit({ rateLimits: daily }, start + 60_000)).admitted).toBe(true);
  });

  it('refuses a token limit once the counted tokens reach it', async () => {
    const stub = ledger();
    const rules: RateLimitRule[] = [{ type: 'tokens', unit: 'rph', value: 100 }];
    expect((await stub.admit({ rateLimits: rules }, start)).admitted).toBe(true);
    await stub.settle({ reservationId: null, tokens: 60, amount: 0 }, start);
    expect((await stub.admit({ rateLimits: rules }, start)).admitted).toBe(true);
    await stub.settle({ reservationId: null, tokens: 60, amount: 0 }, start);
    expect(await stub.admit({ rateLimits: rules }, start)).toMatchObject({ admitted: false, used: 120 });
    expect((await stub.state(rules, null, start)).windows).toEqual([{ type: 'tokens', unit: 'rph', value: 100, used: 120, remaining: 0, resets_at: '2026-12-01T00:00:00.000Z' }]);
  });
});

describe('token rate limits, metered from actual usage', () => {
  const tokenLimit = (value: number) => [{ type: 'tokens', unit: 'rpd', value }];
  const tokensUsed = async (slug: string) => ((await keyObject(slug)).rate_limit_windows as Array<{ used: number }>)[0]!.used;

  it('count the usage of plain answers and refuse once the limit is reached', async () => {
    const slug = await createVirtualKey({ rate_limits: tokenLimit(30) });
    // The fake upstream answers every chat with 12 tokens of usage. A call settles once its answer
    // has been delivered, so each body is read, as the runtime does when it sends a response.
    for (const expected of [200, 200, 200, 429]) {
      const response = await chat({ model: `@${slug}/gpt-4o` });
      await response.text();
      expect(response.status).toBe(expected);
    }
    expect(await tokensUsed(slug)).toBe(36);
  });

  it('count an OpenAI stream’s usage, asking for it upstream but not showing it to a client that did not ask', async () => {
    const slug = await createVirtualKey({ rate_limits: tokenLimit(1000) });
    const testId = crypto.randomUUID();
    const response = await chat({ model: `@${slug}/gpt-4o-mini`, stream: true }, { 'x-test-id': testId });
    expect(await response.text()).toBe(fakeStreamFrames('gpt-4o-mini', false).join(''));
    expect(JSON.parse((await upstreamRequests(testId))[0]!.body).stream_options).toEqual({ include_usage: true });
    expect(await tokensUsed(slug)).toBe(12);
  });

  it('count an Azure stream and a Bedrock stream', async () => {
    const azure = await createKeyFromBody({ ...azureApiKeyBody(), rate_limits: tokenLimit(1000) });
    await (await chat({ model: `@${azure}/gpt-4o-mini`, stream: true })).text();
    expect(await tokensUsed(azure)).toBe(12);

    const bedrock = await createKeyFromBody({ ...bedrockAccessKeyBody(), rate_limits: tokenLimit(1000) });
    await (await chat({ model: `@${bedrock}/${uniqueModel()}`, stream: true })).text();
    await (await chat({ model: `@${bedrock}/${uniqueModel()}` })).text();
    expect(await tokensUsed(bedrock)).toBe(24);
  });
});
