// Cost budgets: charged in USD from the price table or the key's own prices, never bypassed for a
// model without a price, with an alert once per period when spend crosses the threshold.

import { describe, expect, it } from 'vitest';
import { priceOf } from '../src/usage/prices';
import { chat, createVirtualKey, expectError, fakeUpstreamUrl, keyObject, upstreamRequests } from './support/keygate';

async function delivered(response: Promise<Response>): Promise<Response> {
  const answer = await response;
  await answer.text(); // a call settles once its answer is delivered
  return answer;
}

const spentOf = async (slug: string) => ((await keyObject(slug)).usage_limits as { spent: number }).spent;

describe('cost budgets', () => {
  it('charge the price table’s price for the model', async () => {
    const slug = await createVirtualKey({ usage_limits: { credit_limit: 5, type: 'cost' } });
    expect((await delivered(chat({ model: `@${slug}/gpt-4o-mini` }))).status).toBe(200);
    // The fake answers with 9 prompt and 3 completion tokens; gpt-4o-mini costs $0.15 / $0.60 per million.
    expect(await spentOf(slug)).toBeCloseTo((9 * 0.15 + 3 * 0.6) / 1_000_000, 12);
  });

  it('use the key’s own price over the table, and stop at the request that crosses the budget', async () => {
    const usage_limits = { credit_limit: 1, type: 'cost', model_prices: { 'usage-17': { input_per_million: 10_000, output_per_million: 10_000 } } };
    const slug = await createVirtualKey({ usage_limits });
    // 17 tokens at $0.01 each: $0.17 a call, so the 6th call crosses $1 and the 7th is refused.
    const statuses: number[] = [];
    for (let index = 0; index < 7; index++) statuses.push((await delivered(chat({ model: `@${slug}/usage-17`, max_tokens: 6 }))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 412]);
    expect(await spentOf(slug)).toBeCloseTo(1.02, 10);
    const body = await expectError(await chat({ model: `@${slug}/usage-17` }), 412, 'budget_exhausted');
    expect(body.message).toContain('$1.0000');
  });

  it('refuse a model without a price, saying how to add one, before calling the upstream', async () => {
    const slug = await createVirtualKey({ usage_limits: { credit_limit: 5, type: 'cost' } });
    const testId = crypto.randomUUID();
    const body = await expectError(await chat({ model: `@${slug}/my-finetune` }, { 'x-test-id': testId }), 400, 'unknown_model_price');
    expect(body.message).toContain('usage_limits.model_prices');
    expect(body.message).toContain('my-finetune');
    expect(await upstreamRequests(testId)).toEqual([]);
  });

  it('price dated snapshots and cross-region profiles as their model', () => {
    expect(priceOf('gpt-4o-mini-2024-07-18')).toEqual(priceOf('gpt-4o-mini'));
    expect(priceOf('us.anthropic.claude-3-haiku-20240307-v1:0')).toEqual({ input_per_million: 0.25, output_per_million: 1.25 });
    expect(priceOf('unknown-model')).toBeNull();
  });
});

describe('budget alerts', () => {
  it('fire once per period when spend crosses the threshold, to the webhook and on retrieve', async () => {
    const testId = crypto.randomUUID();
    const envWithWebhook = { ALERT_WEBHOOK_URL: `${fakeUpstreamUrl()}/__fake/webhook?test=${testId}` };
    const slug = await createVirtualKey({ usage_limits: { credit_limit: 100, type: 'tokens', alert_threshold: 30 } });
    for (let index = 0; index < 4; index++) await delivered(chat({ model: `@${slug}/usage-17` }, {}, envWithWebhook));

    const hooks = (await (await fetch(`${fakeUpstreamUrl()}/__fake/webhooks?test=${testId}`)).json()) as Array<Record<string, any>>;
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ type: 'budget.alert_threshold_crossed', virtual_key: { slug }, spent: 34, usage_limits: { alert_threshold: 30 } });
    const alerts = ((await keyObject(slug)).usage_limits as { alerts: unknown[] }).alerts;
    expect(alerts).toEqual([expect.objectContaining({ threshold: 30, spent: 34 })]);
  });
});
