// Token budgets held exactly by the key's ledger: the request that crosses a budget is the last
// one admitted, a burst overshoots by at most the in-flight estimates that fell short, streams
// are charged, and periods reset at UTC boundaries.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { budgetPeriod, type StoredUsageLimits } from '../src/limits/usage-limits';
import { adminRequest, chat, createVirtualKey, expectError, fakeUpstreamUrl, keyObject, postKey } from './support/keygate';

const budget = (creditLimit: number, extra: Record<string, unknown> = {}) => ({ usage_limits: { credit_limit: creditLimit, type: 'tokens', ...extra } });
// Each answer of a `usage-17` model uses 17 tokens.
const seventeenTokens = (slug: string) => chat({ model: `@${slug}/usage-17`, max_tokens: 6 });

async function delivered(response: Promise<Response>): Promise<Response> {
  const answer = await response;
  await answer.text(); // a call settles once its answer is delivered, as the runtime delivers it
  return answer;
}

describe('a token budget of 50, with answers of 17 tokens', () => {
  it('admits exactly 3 requests in a row (the third crosses it), refuses the 4th with 412, and reads exhausted', async () => {
    const slug = await createVirtualKey(budget(50));
    const statuses: number[] = [];
    for (let index = 0; index < 4; index++) statuses.push((await delivered(seventeenTokens(slug))).status);
    expect(statuses).toEqual([200, 200, 200, 412]);

    const body = await expectError(await seventeenTokens(slug), 412, 'budget_exhausted');
    expect(body.message).toContain('budget of 50 tokens');
    expect(body.message).toContain('lifetime budget');
    const key = await keyObject(slug);
    expect(key.status).toBe('exhausted');
    expect(key.usage_limits).toMatchObject({ credit_limit: 50, type: 'tokens', spent: 51, remaining: 0, next_usage_reset_at: null });
  });

  it('admits at most 4 of 50 concurrent requests: at most one beyond the sequential count', async () => {
    const slug = await createVirtualKey(budget(50));
    const responses = await Promise.all(Array.from({ length: 50 }, () => delivered(seventeenTokens(slug))));
    const admitted = responses.filter((response) => response.status === 200).length;
    const spent = ((await keyObject(slug)).usage_limits as { spent: number }).spent;
    console.log(`budget 50 tokens, 50 concurrent requests: ${admitted} admitted, ${spent} spent, overshoot ${spent - 50} tokens`);
    expect(admitted).toBeGreaterThanOrEqual(3);
    expect(admitted).toBeLessThanOrEqual(4);
    expect(responses.filter((response) => response.status === 412)).toHaveLength(50 - admitted);
  });

  it('reactivates at once when the budget is raised', async () => {
    const slug = await createVirtualKey(budget(20));
    await delivered(seventeenTokens(slug));
    await delivered(seventeenTokens(slug));
    expect((await delivered(seventeenTokens(slug))).status).toBe(412);
    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, budget(100));
    expect((await keyObject(slug)).status).toBe('active');
    expect((await delivered(seventeenTokens(slug))).status).toBe(200);
  });
});

describe('streams', () => {
  it('are charged their real usage', async () => {
    const slug = await createVirtualKey(budget(1000));
    const response = await chat({ model: `@${slug}/gpt-4o-mini`, stream: true });
    expect(await response.text()).not.toContain('"choices":[]');
    expect(((await keyObject(slug)).usage_limits as { spent: number }).spent).toBe(12);
  });

  it('are charged an estimate when cut off before their usage arrives', async () => {
    const slug = await createVirtualKey(budget(1000));
    const testId = crypto.randomUUID();
    // The fake holds this stream after its first chunk; the client goes away there.
    const response = await chat({ model: `@${slug}/hold-stream`, stream: true, max_tokens: 600 }, { 'x-test-id': testId });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await fetch(`${fakeUpstreamUrl()}/__fake/release?test=${testId}`, { method: 'POST' });
    // The prompt estimate, 'hello' (2 tokens at 4 characters a token) + 3 for the message + 3 for
    // the reply, plus what streamed before the cut: an empty first delta, so nothing.
    await expect.poll(async () => ((await keyObject(slug)).usage_limits as { spent: number }).spent).toBe(8);
  });
});

describe('budget settings', () => {
  it.each([
    ['a threshold above the limit', { credit_limit: 10, type: 'tokens', alert_threshold: 50 }, /below credit_limit/],
    ['both kinds of reset', { credit_limit: 10, type: 'tokens', periodic_reset: 'monthly', periodic_reset_days: 7 }, /not both/],
    ['a zero limit', { credit_limit: 0, type: 'tokens' }, /at least 1/],
  ])('refuse %s with 400', async (_label, usageLimits, message) => {
    const body = await expectError(await postKey({ name: 'b', provider: 'openai', key: 'sk-fake-budget-00000000000001', usage_limits: usageLimits }), 400);
    expect(body.message).toMatch(message);
  });

  it('show the next reset of a monthly budget and can be removed', async () => {
    const slug = await createVirtualKey(budget(100, { periodic_reset: 'monthly' }));
    const now = new Date();
    expect((await keyObject(slug)).usage_limits).toMatchObject({
      periodic_reset: 'monthly',
      next_usage_reset_at: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
    });
    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { usage_limits: null });
    expect((await keyObject(slug)).usage_limits).toBeNull();
  });
});

describe('budget periods on a controllable clock', () => {
  const limits = (extra: Partial<StoredUsageLimits>): StoredUsageLimits => ({ credit_limit: 30, type: 'tokens', period_anchor: '2026-11-10T08:00:00.000Z', ...extra });

  it('reset at the UTC month boundary', async () => {
    const stub = env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(`budget-test-${crypto.randomUUID()}`));
    const monthly = limits({ periodic_reset: 'monthly' });
    const lastSecondOfNovember = Date.UTC(2026, 10, 30, 23, 59, 59);
    const november = budgetPeriod(monthly, lastSecondOfNovember);
    const first = await stub.admit({ rateLimits: [], budget: { limit: 30, unit: 'tokens', period: november, estimate: 10 } }, lastSecondOfNovember);
    expect(first.admitted).toBe(true);
    await stub.settle({ reservationId: first.admitted ? first.reservationId : null, tokens: 40, amount: 40, budget: { unit: 'tokens', period: november } }, lastSecondOfNovember);
    expect(await stub.admit({ rateLimits: [], budget: { limit: 30, unit: 'tokens', period: november, estimate: 10 } }, lastSecondOfNovember)).toMatchObject({
      admitted: false,
      reason: 'budget',
      spent: 40,
      resetsAt: Date.UTC(2026, 11, 1),
    });
    const firstOfDecember = Date.UTC(2026, 11, 1);
    const december = budgetPeriod(monthly, firstOfDecember);
    expect(december).toEqual({ start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) });
    expect((await stub.admit({ rateLimits: [], budget: { limit: 30, unit: 'tokens', period: december, estimate: 10 } }, firstOfDecember)).admitted).toBe(true);
  });

  it.each([
    ['weekly, from Monday 00:00 UTC', limits({ periodic_reset: 'weekly' }), Date.UTC(2026, 10, 26, 15), { start: Date.UTC(2026, 10, 23), end: Date.UTC(2026, 10, 30) }],
    ['every 7 days from the anchor', limits({ periodic_reset_days: 7 }), Date.UTC(2026, 10, 20), { start: Date.UTC(2026, 10, 17, 8), end: Date.UTC(2026, 10, 24, 8) }],
    ['lifetime', limits({}), Date.UTC(2030, 0, 1), { start: 0, end: null }],
  ])('compute %s', (_label, stored, now, expected) => {
    expect(budgetPeriod(stored, now)).toEqual(expected);
  });
});
