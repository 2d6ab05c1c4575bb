// The ledger's storage (issue 13): rows in its Durable Object's SQLite, bounded whatever the
// traffic; a settlement applied once however often it is sent; reservations charged only to the
// budget they were made in; a deleted key's ledger emptied; the pre-issue-13 value moved into rows.

import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyLedger } from '../src/limits/key-ledger';
import type { BudgetPeriod } from '../src/limits/usage-limits';
import { adminRequest, chat, keyObject, postKey } from './support/keygate';

const HOUR = 3_600_000;
const lifetime: BudgetPeriod = { start: 0, end: null };
const ledger = () => env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(`storage-${crypto.randomUUID()}`));
const tokens = (limit: number, period = lifetime, estimate = 10) => ({ limit, unit: 'tokens' as const, period, estimate });
const spentOf = async (stub: ReturnType<typeof ledger>, now: number, period = lifetime) => (await stub.state([], { unit: 'tokens', period }, now)).spent;

afterEach(() => vi.useRealTimers());

describe('bounded storage', () => {
  it('keeps admitting through 10,000 unsettled calls, and forgets them all once they are over', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.UTC(2026, 10, 30, 10);
    vi.setSystemTime(start);
    const stub = ledger();
    await runInDurableObject(stub, async (instance: KeyLedger) => {
      for (let index = 0; index < 10_000; index++) {
        const admission = await instance.admit({ rateLimits: [{ type: 'requests', unit: 'rpd', value: 20_000 }], budget: tokens(1e9) }, start + index);
        expect(admission.admitted).toBe(true);
      }
    });
    expect(await stub.storedRows()).toMatchObject({ reservations: 10_000 });
    // An hour on, every one has expired and is charged its estimate, once.
    expect(await spentOf(stub, start + 10_000 + HOUR + 1)).toBe(100_000);
    expect(await spentOf(stub, start + 10_000 + HOUR + 2)).toBe(100_000);
    expect((await stub.storedRows()).reservations).toBeUndefined();
    // A day later the alarm forgets them without any call: only the ledger's own row is left.
    vi.setSystemTime(start + 26 * HOUR);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.storedRows()).toEqual({ meta: 1 });
  });
});

describe('settlements', () => {
  it('count once however often one is sent', async () => {
    const stub = ledger();
    const now = Date.UTC(2026, 10, 30, 11);
    const admission = await stub.admit({ rateLimits: [{ type: 'tokens', unit: 'rpm', value: 1000 }], estimatedTokens: 10, budget: tokens(1000) }, now);
    const reservationId = admission.admitted ? admission.reservationId : null;
    const settlement = { id: crypto.randomUUID(), reservationId, tokens: 40, amount: 40, budget: { unit: 'tokens' as const, period: lifetime } };
    // The reply to the first send was lost, so the Worker sends it again, twice.
    for (let send = 0; send < 3; send++) await stub.settleAll([{ settlement, now: now + send }]);
    const state = await stub.state([{ type: 'tokens', unit: 'rpm', value: 1000 }], { unit: 'tokens', period: lifetime }, now + 10);
    expect(state).toMatchObject({ spent: 40, reserved: 0 });
    expect(state.windows[0]!.used).toBe(40);
  });

  it('of an admission whose reply was lost: the reservation expires and is charged once', async () => {
    const stub = ledger();
    const now = Date.UTC(2026, 10, 30, 12);
    await stub.admit({ rateLimits: [], budget: tokens(1000, lifetime, 30) }, now); // nobody hears the answer
    expect(await spentOf(stub, now + 2 * HOUR)).toBe(30);
    expect(await spentOf(stub, now + 3 * HOUR)).toBe(30);
  });

  it('late, after a period reset, charge the period they were reserved in, not the new one', async () => {
    const stub = ledger();
    const november: BudgetPeriod = { start: Date.UTC(2026, 10, 1), end: Date.UTC(2026, 11, 1) };
    const december: BudgetPeriod = { start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) };
    const admission = await stub.admit({ rateLimits: [], budget: tokens(100, november, 50) }, Date.UTC(2026, 10, 30, 23, 59));
    const reservationId = admission.admitted ? admission.reservationId : null;
    // December: the November reservation holds nothing of December's budget.
    const next = await stub.admit({ rateLimits: [], budget: tokens(100, december, 60) }, Date.UTC(2026, 11, 1, 0, 0, 30));
    expect(next.admitted).toBe(true);
    await stub.settle({ id: crypto.randomUUID(), reservationId, tokens: 80, amount: 80, budget: { unit: 'tokens', period: december } }, Date.UTC(2026, 11, 1, 0, 1));
    expect(await spentOf(stub, Date.UTC(2026, 11, 1, 0, 2), december)).toBe(0);
  });

  it('in a budget’s old unit hold and charge nothing once the budget counts in another', async () => {
    const { id, slug } = ((await (await postKey({ name: 'unit change', provider: 'openai', key: 'sk-fake-unit-000000000000000', usage_limits: { credit_limit: 300, type: 'tokens' } })).json()) as {
      data: { id: string; slug: string };
    }).data;
    const stub = env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(id));
    // A call in flight holds 250 tokens of the 300.
    const open = await stub.admit({ revision: 1, rateLimits: [], budget: tokens(300, lifetime, 250) }, Date.now());
    expect(open.admitted).toBe(true);
    // The budget becomes $1: the 250 tokens in flight are not $250 held.
    expect((await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { usage_limits: { credit_limit: 1, type: 'cost' } })).status).toBe(200);
    const response = await chat({ model: `@${slug}/gpt-4o-mini` });
    await response.text();
    expect(response.status).toBe(200);
    const reservationId = open.admitted ? open.reservationId : null;
    await stub.settle({ id: crypto.randomUUID(), revision: 1, reservationId, tokens: 280, amount: 280, budget: { unit: 'tokens', period: lifetime } }, Date.now());
    const { usage_limits: limits } = await keyObject(slug);
    expect((limits as { spent: number }).spent).toBeLessThan(1);
  });
});

describe('expired reservations settled late', () => {
  const november: BudgetPeriod = { start: Date.UTC(2026, 10, 1), end: Date.UTC(2026, 11, 1) };
  const december: BudgetPeriod = { start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) };

  it('correct only the period they were charged to', async () => {
    const stub = ledger();
    const admission = await stub.admit({ rateLimits: [], budget: tokens(1000, november, 50) }, Date.UTC(2026, 10, 20));
    const reservationId = admission.admitted ? admission.reservationId : null;
    // It expires in November (charged 50 there); December spends 60 of its own.
    expect((await stub.state([], { unit: 'tokens', period: november }, Date.UTC(2026, 10, 25))).spent).toBe(50);
    const december60 = await stub.admit({ rateLimits: [], budget: tokens(1000, december, 60) }, Date.UTC(2026, 11, 2));
    await stub.settle({ id: crypto.randomUUID(), reservationId: december60.admitted ? december60.reservationId : null, tokens: 60, amount: 60, budget: { unit: 'tokens', period: december } }, Date.UTC(2026, 11, 2));
    // The November call's real usage arrives in December: December stays at 60.
    await stub.settle({ id: crypto.randomUUID(), reservationId, tokens: 10, amount: 10, budget: { unit: 'tokens', period: december } }, Date.UTC(2026, 11, 3));
    expect(await spentOf(stub, Date.UTC(2026, 11, 3), december)).toBe(60);
  });

  it('owe nothing when they expired after their period ended', async () => {
    const stub = ledger();
    const admission = await stub.admit({ rateLimits: [], budget: tokens(1000, november, 50) }, Date.UTC(2026, 10, 30, 23, 30));
    const reservationId = admission.admitted ? admission.reservationId : null;
    // Expires at 00:30 in December, charged nothing there; its late usage is not charged either.
    expect(await spentOf(stub, Date.UTC(2026, 11, 1, 2), december)).toBe(0);
    await stub.settle({ id: crypto.randomUUID(), reservationId, tokens: 80, amount: 80, budget: { unit: 'tokens', period: december } }, Date.UTC(2026, 11, 1, 3));
    expect(await spentOf(stub, Date.UTC(2026, 11, 1, 3), december)).toBe(0);
  });
});

describe('the alarm', () => {
  it('is moved earlier when a reservation ends before what it was set for', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // Ahead of the real clock: workerd moves an alarm set in its past to its own now, whatever the
    // test's faked Date says, so a date that has passed would make this test fail from then on.
    const start = Date.UTC(2036, 10, 30, 14);
    vi.setSystemTime(start);
    const stub = ledger();
    await stub.admit({ rateLimits: [], budget: tokens(1000) }, start);
    const alarm = () => runInDurableObject(stub, (_instance: KeyLedger, state) => state.storage.getAlarm());
    expect(await alarm()).toBe(start + HOUR + 1);
    // An hour on, the alarm expires it, and then waits for its expired entry, a day later.
    vi.setSystemTime(start + HOUR + 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await alarm()).toBe(start + 25 * HOUR + 2);
    // A new reservation ends in an hour: the alarm comes back to it.
    await stub.admit({ rateLimits: [], budget: tokens(1000) }, start + HOUR + 2);
    expect(await alarm()).toBe(start + 2 * HOUR + 3);
  });
});

describe('a read that carries settlements', () => {
  it('keeps what they changed, even when no reservation was involved', async () => {
    const stub = ledger();
    const now = Date.UTC(2026, 10, 30, 15);
    const rules = [{ type: 'tokens' as const, unit: 'rpd' as const, value: 10_000 }];
    const carried = [{ settlement: { id: crypto.randomUUID(), reservationId: null, tokens: 500, amount: 0 }, now }];
    expect((await stub.state(rules, null, now, carried)).windows[0]!.used).toBe(500);
    await runInDurableObject(stub, async (_instance: KeyLedger, state) => {
      const restarted = new KeyLedger(state, env);
      await state.blockConcurrencyWhile(async () => {});
      expect((await restarted.state(rules, null, now + 1)).windows[0]!.used).toBe(500);
    });
  });

  it('leaves nothing held once the last reservation settles, however the cents add up', async () => {
    const stub = ledger();
    const now = Date.UTC(2026, 10, 30, 16);
    const cost = (estimate: number) => ({ limit: 10, unit: 'cost' as const, period: lifetime, estimate });
    const ids = [];
    for (const estimate of [0.1, 0.2]) {
      const admission = await stub.admit({ rateLimits: [], budget: cost(estimate) }, now);
      ids.push(admission.admitted ? admission.reservationId : null);
    }
    for (const reservationId of ids) await stub.settle({ id: crypto.randomUUID(), reservationId, tokens: 0, amount: 0, budget: { unit: 'cost', period: lifetime } }, now);
    expect((await stub.state([], { unit: 'cost', period: lifetime }, now)).reserved).toBe(0);
  });
});

describe('a deleted key', () => {
  it('leaves an empty ledger behind', async () => {
    const response = await postKey({ name: 'to delete', provider: 'openai', key: 'sk-fake-delete-00000000000000', rate_limits: [{ type: 'requests', unit: 'rpm', value: 100 }] });
    const { id, slug } = ((await response.json()) as { data: { id: string; slug: string } }).data;
    await (await chat({ model: `@${slug}/gpt-4o-mini` })).text();
    const stub = env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(id));
    expect((await stub.storedRows()).meta).toBe(1);
    expect((await adminRequest('DELETE', `/v1/virtual-keys/${slug}`)).status).toBe(200);
    expect(await stub.storedRows()).toEqual({});
  });
});

describe('a ledger written before issue 13', () => {
  it('moves its one stored value into rows, and goes on from it', async () => {
    const stub = ledger();
    const now = Date.UTC(2026, 10, 30, 13);
    await runInDurableObject(stub, async (_instance: KeyLedger, state) => {
      state.storage.sql.exec('DELETE FROM ledger_rows');
      await state.storage.put('ledger', {
        counters: {},
        budget: { unit: 'tokens', periodStart: 0, spent: 70 },
        reservations: { old: { amount: 20, tokens: 0, windows: { rpm: 0, rph: 0, rpd: 0 }, at: now } },
        expired: {},
        latestNow: now,
      });
      // A fresh start of the object, as after a deploy.
      const restarted = new KeyLedger(state, env);
      await state.blockConcurrencyWhile(async () => {});
      expect(await restarted.storedRows()).toEqual({ meta: 1, reservations: 1 });
      expect(await state.storage.get('ledger')).toBeUndefined();
      expect(await restarted.state([], { unit: 'tokens', period: lifetime }, now + 1)).toMatchObject({ spent: 70, reserved: 20 });
    });
  });
});
