// Admission leases (issue 13): far from its limits, a ledger lends an isolate a block of
// admissions, counted in full when granted. These drive the ledger Durable Object directly (its
// clock is the caller's `now`), the lease bounds as properties, and the gateway with leases on and
// off. Real local Durable Objects and D1; the upstream is the fake.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { LEASE_LIFETIME_MS, LEASE_SHARE, leaseEnd, leaseSize } from '../src/limits/lease-size';
import { LedgerBook } from '../src/limits/ledger-book';
import type { AdmissionRequest, Settlement } from '../src/limits/ledger-types';
import { emptyState } from '../src/limits/ledger-state';
import type { BudgetPeriod } from '../src/limits/usage-limits';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../src/index';
import { ADMIN_API_KEY, keyObject, postKey, testEnv } from './support/keygate';

const MINUTE = 60_000;
const lifetime: BudgetPeriod = { start: 0, end: null };
const ledger = () => env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(`lease-${crypto.randomUUID()}`));
const perMinute = (value: number, type: 'requests' | 'tokens' = 'requests') => ({ type, unit: 'rpm' as const, value });
const budgetSettlement = { unit: 'tokens' as const, period: lifetime };

/** A request like a Worker's: 1,000 rpm, 100,000 tokens per minute, a budget of 1,000,000 tokens, 10 tokens a call. */
const roomy: AdmissionRequest = {
  rateLimits: [perMinute(1000), perMinute(100_000, 'tokens')],
  estimatedTokens: 10,
  budget: { limit: 1_000_000, unit: 'tokens', period: lifetime, estimate: 10 },
  lease: true,
};

/** Admits `count` calls at `now` (the traffic a lease is sized by), then one more asking for a lease. */
async function leaseAfter(stub: ReturnType<typeof ledger>, count: number, now: number, request = roomy) {
  for (let index = 0; index < count; index++) await stub.admit({ ...request, lease: false }, now);
  const admission = await stub.admit(request, now);
  if (!admission.admitted) throw new Error('expected an admission');
  return admission;
}

const state = (stub: ReturnType<typeof ledger>, now: number) => stub.state(roomy.rateLimits, budgetSettlement, now);

/**
 * The settlement that gives lease `id` back: it admitted `admitted` calls, `settled` of which it
 * settles at once (their shares `shares` tokens, their usage `used`), and `unused` requests of 10
 * tokens each went unused.
 */
function giveBack(id: string, { admitted, unused, settled = 0, shares = 0, used = 0 }: { admitted: number; unused: number; settled?: number; shares?: number; used?: number }): Settlement {
  return {
    id: crypto.randomUUID(),
    reservationId: null,
    tokens: used,
    amount: used,
    budget: budgetSettlement,
    lease: { id, tokens: shares, amount: shares },
    leaseReturn: { admitted, settled, requests: unused, tokens: unused * 10, amount: unused * 10 },
  };
}

describe('a ledger', () => {
  it('grants no lease to a key without recent traffic, and none near a limit', async () => {
    const start = Date.UTC(2026, 10, 30, 12, 0, 10);
    expect((await leaseAfter(ledger(), 0, start)).lease).toBeUndefined();
    // 15 rpm: 1/8 of what remains is never 2 calls.
    const near = { ...roomy, rateLimits: [perMinute(15)] };
    const stub = ledger();
    for (let call = 0; call < 15; call++) {
      const admission = await stub.admit(near, start);
      expect(admission.admitted && admission.lease).toBeFalsy();
    }
  });

  it('counts a lease in full when it grants it, sized by recent traffic and by 1/8 of what remains', async () => {
    const start = Date.UTC(2026, 10, 30, 12, 0, 10);
    const stub = ledger();
    const admission = await leaseAfter(stub, 5, start);
    const lease = admission.lease!;
    // Six calls this second: a lease of six more, well within 1/8 of every limit.
    expect(lease).toMatchObject({ requests: 6, tokens: 60, amount: 60 });
    expect(lease.expiresAt).toBe(start + LEASE_LIFETIME_MS);
    const counted = await state(stub, start);
    expect(counted.windows.map((window) => window.used)).toEqual([6 + 6, 60 + 60]);
    expect(counted.reserved).toBe(60 + 60);
  });

  it('never lets a lease run past the minute window it was granted in', async () => {
    const lateInMinute = Date.UTC(2026, 10, 30, 12, 0, 59, 600);
    const lease = (await leaseAfter(ledger(), 5, lateInMinute)).lease!;
    expect(lease.expiresAt).toBe(Date.UTC(2026, 10, 30, 12, 1, 0));
    expect((await leaseAfter(ledger(), 5, Date.UTC(2026, 10, 30, 12, 0, 59, 950))).lease).toBeUndefined();
  });

  it.each([
    ['given back before its calls settle', ['return', 'settle']],
    ['given back after its calls settled', ['settle', 'return']],
  ] as const)('when %s, keeps exactly what its calls used', async (_order, steps) => {
    const start = Date.UTC(2026, 10, 30, 12, 0, 10);
    const stub = ledger();
    const lease = (await leaseAfter(stub, 5, start)).lease!;
    // Two calls were admitted from the lease, each taking its 10-token estimate; they used 7 and 12.
    const give = giveBack(lease.id, { admitted: 2, unused: 4 });
    const calls: Settlement[] = [7, 12].map((used) => ({ id: crypto.randomUUID(), reservationId: null, tokens: used, amount: used, budget: budgetSettlement, lease: { id: lease.id, tokens: 10, amount: 10 } }));
    for (const step of steps) {
      if (step === 'return') await stub.settleAll([{ settlement: give, now: start + 500 }]);
      else await stub.settleAll(calls.map((settlement) => ({ settlement, now: start + 200 })));
    }
    const after = await state(stub, start + 600);
    // The six ordinary calls still hold their estimates; the lease holds nothing and is gone.
    expect(after.windows.map((window) => window.used)).toEqual([6 + 2, 60 + 19]);
    expect(after).toMatchObject({ spent: 19, reserved: 60 });
    expect(await stub.storedRows()).toMatchObject({ reservations: 6 });
  });

  it('settles the calls a lease summed with its return, at once', async () => {
    const start = Date.UTC(2026, 10, 30, 12, 0, 10);
    const stub = ledger();
    const lease = (await leaseAfter(stub, 5, start)).lease!;
    const give = giveBack(lease.id, { admitted: 2, unused: 4, settled: 2, shares: 20, used: 7 + 12 });
    await stub.settleAll([{ settlement: give, now: start + 500 }]);
    expect(await state(stub, start + 600)).toMatchObject({ spent: 19, reserved: 60, windows: [{ used: 6 + 2 }, { used: 60 + 19 }] });
    expect(await stub.storedRows()).toMatchObject({ reservations: 6 });
    // Sent again (its reply lost), it changes nothing.
    await stub.settleAll([{ settlement: give, now: start + 700 }]);
    expect(await state(stub, start + 800)).toMatchObject({ spent: 19, reserved: 60 });
  });

  it('charges a lease never given back what it holds when it expires, as a lost settlement, and corrects late calls', async () => {
    const start = Date.UTC(2026, 10, 30, 12, 0, 10);
    const stub = ledger();
    const lease = (await leaseAfter(stub, 1, start, { ...roomy, rateLimits: [] })).lease!;
    expect(lease).toMatchObject({ requests: 2, amount: 20 });
    const later = start + 2 * 3_600_000;
    expect((await state(stub, later)).spent).toBe(20 + 20); // two ordinary reservations and the lease
    const late: Settlement = { id: crypto.randomUUID(), reservationId: null, tokens: 4, amount: 4, budget: budgetSettlement, lease: { id: lease.id, tokens: 10, amount: 10 } };
    await stub.settleAll([{ settlement: late, now: later }]);
    expect((await state(stub, later)).spent).toBe(40 - 6);
  });
});

describe('a lease and the calls refused elsewhere', () => {
  it('takes a call back out of a lease already given back: its request and its share, nothing charged', async () => {
    const start = Date.UTC(2026, 10, 30, 12, 0, 10);
    const stub = ledger();
    const lease = (await leaseAfter(stub, 5, start)).lease!;
    const share = { id: lease.id, tokens: 10, amount: 10 };
    // The lease went back having admitted one call; that call was then refused at another level.
    const give = giveBack(lease.id, { admitted: 1, unused: 5 });
    const release: Settlement = { id: crypto.randomUUID(), reservationId: null, tokens: 0, amount: 0, release: start, lease: share };
    await stub.settleAll([{ settlement: give, now: start + 100 }, { settlement: release, now: start + 200 }]);
    expect(await state(stub, start + 300)).toMatchObject({ spent: 0, reserved: 60, windows: [{ used: 6 }, { used: 60 }] });
    expect(await stub.storedRows()).toMatchObject({ reservations: 6 });
  });

  it('ignores a lease given back twice, even once the ids it remembers are gone', () => {
    const start = Date.UTC(2026, 10, 30, 12, 0, 10);
    const book = new LedgerBook(emptyState(0));
    for (let index = 0; index < 5; index++) book.admit({ ...roomy, lease: false }, start);
    const admission = book.admit(roomy, start);
    const lease = admission.admitted ? admission.lease! : null;
    const give = giveBack(lease!.id, { admitted: 3, unused: 3 });
    book.settle(give, start + 100);
    const counted = book.used(roomy.rateLimits[0]!, start + 100);
    book.state.applied.clear(); // the object restarted: its applied ids were in memory only
    book.settle(give, start + 200);
    expect(book.used(roomy.rateLimits[0]!, start + 200)).toBe(counted);
    expect(book.reserved()).toBe(60 + 30);
  });
});

describe('lease bounds', () => {
  it('hold for any traffic and any limits: at most 1/8 of what remains, one second of traffic, and 2 or more', () => {
    let seed = 7;
    const random = (max: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % max);
    for (let trial = 0; trial < 5_000; trial++) {
      const rules = Array.from({ length: random(4) }, () => ({ remaining: random(5_000), perCall: random(3) === 0 ? 1 : random(500) }));
      const budget = random(2) === 0 ? { remaining: random(100_000) / 7, perCall: random(200) / 3 } : undefined;
      const recentRate = random(3_000);
      const size = leaseSize({ recentRate, rules, ...(budget ? { budget } : {}) });
      expect(size === 0 || size >= 2).toBe(true);
      expect(size).toBeLessThanOrEqual(recentRate);
      for (const { remaining, perCall } of budget ? [...rules, budget] : rules) {
        expect(size * perCall).toBeLessThanOrEqual(remaining / LEASE_SHARE + 1e-9);
      }
    }
  });

  it('end within a second, inside the minute window and the budget period', () => {
    for (let offset = 0; offset < MINUTE; offset += 37) {
      const now = Date.UTC(2026, 10, 30, 12, 0) + offset;
      const end = leaseEnd(now, now + 300);
      if (end === null) continue;
      expect(end - now).toBeLessThanOrEqual(Math.min(LEASE_LIFETIME_MS, 300));
      expect(Math.floor((end - 1) / MINUTE)).toBe(Math.floor(now / MINUTE));
    }
  });
});

describe('the gateway', () => {
  async function keyWithRoomyLimits(overrides: Record<string, unknown> = {}) {
    const response = await postKey({
      name: 'leased',
      provider: 'openai',
      key: 'sk-fake-lease-0000000000000000000000',
      rate_limits: [{ type: 'requests', unit: 'rph', value: 10_000 }],
      usage_limits: { credit_limit: 1_000_000, type: 'tokens' },
      ...overrides,
    });
    return ((await response.json()) as { data: { id: string; slug: string } }).data;
  }

  /**
   * Calls one after another, as a client would: each answer is read before the next call, but
   * the background work of each (a lease's return timer among it) runs on, as in production,
   * and is waited for only at the end.
   */
  async function calls(
    slug: string,
    count: number,
    envOverrides = {},
    model = 'usage-17',
    { max_tokens = 20, allowRefusals = false }: { max_tokens?: number; allowRefusals?: boolean } = {},
  ) {
    const contexts: ExecutionContext[] = [];
    let admitted = 0;
    for (let index = 0; index < count; index++) {
      const context = createExecutionContext();
      contexts.push(context);
      const request = new Request('https://keygate.test/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug },
        body: JSON.stringify({ model, max_tokens, messages: [{ role: 'user', content: 'hi' }] }),
      });
      const response = await worker.fetch(request as Parameters<typeof worker.fetch>[0], testEnv(envOverrides), context);
      if (!allowRefusals) expect(response.status).toBe(200);
      if (response.status === 200) admitted++;
      await response.text();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return Object.assign(() => Promise.all(contexts.map((context) => waitOnExecutionContext(context))), { admitted });
  }

  /** What the key's ledger itself has counted this hour, not what this isolate would give back first. */
  const ledgerCount = async (id: string) =>
    (await env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(id)).state([{ type: 'requests', unit: 'rph', value: 10_000 }], null, Date.now())).windows[0]!.used;

  it('admits from a lease once traffic warrants one: the ledger has counted calls not yet made', async () => {
    const { id, slug } = await keyWithRoomyLimits();
    const finished = await calls(slug, 12);
    expect(await ledgerCount(id)).toBeGreaterThan(12);
    // A read gives this isolate's lease back first: what it did not use is not shown as used.
    const key = await keyObject(slug);
    expect((key.rate_limit_windows as Array<{ used: number }>)[0]!.used).toBe(12);
    expect(key.usage_limits).toMatchObject({ spent: 12 * 17 });
    await finished();
    expect(await ledgerCount(id)).toBe(12);
  });

  it.each([
    ['a token budget', { usage_limits: { credit_limit: 5_000, type: 'tokens' } }],
    ['a token rate limit', { rate_limits: [{ type: 'tokens', unit: 'rph', value: 5_000 }] }],
  ])('admit no more calls than without leases when calls use far more than their estimate: %s', async (_limit, limits) => {
    const admitted: Record<string, number> = {};
    for (const leases of ['off', 'on']) {
      const { slug } = await keyWithRoomyLimits({ rate_limits: [], usage_limits: null, ...limits });
      // Each call is estimated at a few tokens and uses 1,000.
      const finished = await calls(slug, 12, { LEDGER_LEASES: leases }, 'usage-1000', { max_tokens: 1, allowRefusals: true });
      admitted[leases] = finished.admitted;
      await finished();
    }
    expect(admitted.off).toBe(5);
    expect(admitted.on).toBeLessThanOrEqual(admitted.off! + 1);
  });

  it('goes to the ledger for every call with LEDGER_LEASES=off', async () => {
    const { id, slug } = await keyWithRoomyLimits();
    await (await calls(slug, 12, { LEDGER_LEASES: 'off' }))();
    expect(await ledgerCount(id)).toBe(12);
  });
});

