// The ledger where limits usually leak: settlements that never come or come late, callers whose
// clocks lag, a budget that changes unit, token limits under a burst, and calls that generate
// nothing.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { BudgetPeriod } from '../src/limits/usage-limits';
import { usageEventsOfKey } from '../src/usage/usage-events';
import { ADMIN_API_KEY, callKeygate, chat, fakeUpstreamUrl, keyObject, postKey } from './support/keygate';

const HOUR = 3_600_000;
const lifetime: BudgetPeriod = { start: 0, end: null };
const ledger = () => env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(`edge-${crypto.randomUUID()}`));
const tokensBudget = (limit: number, period = lifetime) => ({ limit, unit: 'tokens' as const, period, estimate: 10 });

async function createKey(extra: Record<string, unknown>) {
  return ((await (await postKey({ name: 'edge', provider: 'openai', key: 'sk-fake-edge-00000000000000001', ...extra })).json()) as { data: { id: string; slug: string } }).data;
}

describe('settlements', () => {
  it('reach the ledger on their own soon after a call when no next call carries them', async () => {
    const { id, slug } = await createKey({ usage_limits: { credit_limit: 1000, type: 'tokens' } });
    await (await chat({ model: `@${slug}/usage-17`, max_tokens: 6 })).text();
    // Read the ledger directly, not through the admin API (which would bring held settlements along).
    const keyLedger = env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(id));
    await expect
      .poll(() => keyLedger.state([], { unit: 'tokens', period: lifetime }, Date.now()), { timeout: 2_000 })
      .toMatchObject({ spent: 17, reserved: 0 });
  });

  it('charge a reservation its estimate when it never settles, and correct it when it settles late', async () => {
    const stub = ledger();
    const start = Date.UTC(2026, 10, 1);
    const admission = await stub.admit({ rateLimits: [], budget: tokensBudget(100) }, start);
    const reservationId = admission.admitted ? admission.reservationId : null;
    // Two hours on, the reservation has expired: its estimate (10) is charged.
    expect((await stub.state([], { unit: 'tokens', period: lifetime }, start + 2 * HOUR)).spent).toBe(10);
    await stub.settle({ reservationId, tokens: 25, amount: 25, budget: { unit: 'tokens', period: lifetime } }, start + 3 * HOUR);
    expect((await stub.state([], { unit: 'tokens', period: lifetime }, start + 3 * HOUR)).spent).toBe(25);
  });

  it('fire the alert again in the next period', async () => {
    const stub = ledger();
    const november: BudgetPeriod = { start: Date.UTC(2026, 10, 1), end: Date.UTC(2026, 11, 1) };
    const december: BudgetPeriod = { start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) };
    for (const [period, at] of [[november, Date.UTC(2026, 10, 5)], [november, Date.UTC(2026, 10, 6)], [december, Date.UTC(2026, 11, 5)]] as const) {
      const admission = await stub.admit({ rateLimits: [], budget: tokensBudget(100, period) }, at);
      const reservationId = admission.admitted ? admission.reservationId : null;
      await stub.settle({ reservationId, tokens: 40, amount: 40, budget: { unit: 'tokens', period, alertThreshold: 30 } }, at);
    }
    const { alerts } = await stub.state([], { unit: 'tokens', period: december }, Date.UTC(2026, 11, 6));
    expect(alerts.map((alert) => alert.period_start)).toEqual([new Date(november.start).toISOString(), new Date(december.start).toISOString()]);
  });
});

describe('a caller whose clock lags', () => {
  it('cannot reopen a spent budget period or a full window', async () => {
    const stub = ledger();
    const december: BudgetPeriod = { start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) };
    const november: BudgetPeriod = { start: Date.UTC(2026, 10, 1), end: Date.UTC(2026, 11, 1) };
    const admission = await stub.admit({ rateLimits: [{ type: 'requests', unit: 'rpm', value: 1 }], budget: tokensBudget(30, december) }, december.start + 1000);
    await stub.settle({ reservationId: admission.admitted ? admission.reservationId : null, tokens: 40, amount: 40, budget: { unit: 'tokens', period: december } }, december.start + 1000);
    // An isolate a few seconds behind still thinks it is November.
    expect(await stub.admit({ rateLimits: [], budget: tokensBudget(30, november) }, december.start - 2000)).toMatchObject({ admitted: false, reason: 'budget', spent: 40 });
    expect(await stub.admit({ rateLimits: [{ type: 'requests', unit: 'rpm', value: 1 }] }, december.start - 2000)).toMatchObject({ admitted: false, reason: 'rate_limit' });
  });
});

describe('a budget that changes unit', () => {
  it('starts afresh instead of reading tokens as dollars', async () => {
    const stub = ledger();
    const admission = await stub.admit({ rateLimits: [], budget: tokensBudget(100) }, 1000);
    await stub.settle({ reservationId: admission.admitted ? admission.reservationId : null, tokens: 17, amount: 17, budget: { unit: 'tokens', period: lifetime } }, 1000);
    const asCost = await stub.state([], { unit: 'cost', period: lifetime }, 2000);
    expect(asCost.spent).toBe(0);
  });
});

describe('token limits under a burst', () => {
  it('hold the in-flight estimates, so a burst cannot slip past', async () => {
    const { slug } = await createKey({ rate_limits: [{ type: 'tokens', unit: 'rpd', value: 20 }] });
    const responses = await Promise.all(Array.from({ length: 20 }, () => chat({ model: `@${slug}/usage-17` })));
    await Promise.all(responses.map((response) => response.text()));
    // Each call reserves its estimate (8 prompt + 256 default completion), far above 20.
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
  });
});

describe('calls that generate nothing', () => {
  it('are neither charged an estimate nor refused for want of a price', async () => {
    const tokenKey = await createKey({ usage_limits: { credit_limit: 1000, type: 'tokens' } });
    const costKey = await createKey({ usage_limits: { credit_limit: 5, type: 'cost' } });
    for (const { slug } of [tokenKey, costKey]) {
      const response = await callKeygate('/v1/models', { headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-portkey-virtual-key': slug } });
      await response.text();
      expect(response.status).toBe(200);
    }
    expect((await keyObject(tokenKey.slug)).usage_limits).toMatchObject({ spent: 0 });
  });
});

describe('the usage history of refused and other calls', () => {
  it('records a call refused by a rate limit', async () => {
    const { id, slug } = await createKey({ rate_limits: [{ type: 'requests', unit: 'rpd', value: 1 }] });
    await (await chat({ model: `@${slug}/gpt-4o` })).text();
    await (await chat({ model: `@${slug}/gpt-4o` })).text();
    await expect.poll(async () => (await usageEventsOfKey(env.DB, id)).map((event) => event.status).sort()).toEqual([200, 429]);
  });

  it.each([
    ['/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' }, 2],
    ['/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'Say' }, 3],
    ['/v1/responses', { model: 'gpt-4o-mini', input: 'hi' }, 4],
  ])('meters %s from its usage', async (path, body, totalTokens) => {
    const { id, slug } = await createKey({});
    const response = await callKeygate(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug },
      body: JSON.stringify(body),
    });
    await response.text();
    await expect.poll(() => usageEventsOfKey(env.DB, id)).toEqual([expect.objectContaining({ total_tokens: totalTokens, estimated: 0 })]);
  });

  // 'Hello' is 5 characters (2 tokens); the second text holds U+2028 and U+2029, which end no SSE
  // line: 12 characters (3 tokens).
  it.each([
    ['hold-after-text', 2],
    ['hold-after-text-separators', 3],
  ])('charges a stream cut short after some text for the text it streamed (%s)', async (model, completionTokens) => {
    const { id, slug } = await createKey({});
    const testId = crypto.randomUUID();
    const response = await chat({ model: `@${slug}/${model}`, stream: true, max_tokens: 600 }, { 'x-test-id': testId });
    const reader = response.body!.getReader();
    let seen = '';
    while (!seen.includes('Hello')) seen += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    await fetch(`${fakeUpstreamUrl()}/__fake/release?test=${testId}`, { method: 'POST' });
    // 8 prompt tokens estimated, plus what was streamed.
    await expect.poll(() => usageEventsOfKey(env.DB, id)).toEqual([expect.objectContaining({ estimated: 1, prompt_tokens: 8, completion_tokens: completionTokens })]);
  });

  it('does not fail on a deeply nested body', async () => {
    const { slug } = await createKey({ usage_limits: { credit_limit: 1000, type: 'tokens' } });
    let nested: unknown = 'deep';
    for (let depth = 0; depth < 5000; depth++) nested = [nested];
    const response = await chat({ model: `@${slug}/gpt-4o`, messages: [{ role: 'user', content: nested }] });
    await response.text();
    expect(response.status).not.toBe(500);
  });
});

describe('limits changed while some Workers still hold the old record', () => {
  it('apply at once: the ledger corrects a caller with an older revision', async () => {
    const stub = ledger();
    const oldBudget = { limit: 20, unit: 'tokens' as const, period: lifetime, estimate: 10 };
    await stub.configure({ revision: 1, rateLimits: [], usageLimits: { credit_limit: 20, type: 'tokens', period_anchor: '2026-11-01T00:00:00.000Z' } });
    const first = await stub.admit({ revision: 1, rateLimits: [], budget: oldBudget }, 1000);
    await stub.settle({ revision: 1, reservationId: first.admitted ? first.reservationId : null, tokens: 25, amount: 25, budget: { unit: 'tokens', period: lifetime } }, 1000);
    expect(await stub.admit({ revision: 1, rateLimits: [], budget: oldBudget }, 2000)).toMatchObject({ admitted: false, reason: 'budget' });

    // The budget is raised (revision 2); a Worker in another location still has revision 1.
    await stub.configure({ revision: 2, rateLimits: [], usageLimits: { credit_limit: 100, type: 'tokens', period_anchor: '2026-11-01T00:00:00.000Z' } });
    expect((await stub.admit({ revision: 1, rateLimits: [], budget: oldBudget }, 3000)).admitted).toBe(true);

    // Then a rate limit is added (revision 3): the stale Worker is held to it too.
    await stub.configure({ revision: 3, rateLimits: [{ type: 'requests', unit: 'rpd', value: 1 }], usageLimits: null });
    expect(await stub.admit({ revision: 1, rateLimits: [], budget: oldBudget }, 4000)).toMatchObject({ admitted: false, reason: 'rate_limit' });
    // An older push never replaces a newer one.
    await stub.configure({ revision: 2, rateLimits: [], usageLimits: null });
    expect(await stub.admit({ revision: 1, rateLimits: [] }, 5000)).toMatchObject({ admitted: false, reason: 'rate_limit' });
  });
});
