// Settlements held back to ride with a key's next ledger call (src/limits/held-settlements.ts),
// against the real ledger Durable Object.

import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { holdSettlements, returnSettlements, sendSettlementsNow, takeHeldSettlements } from '../src/limits/held-settlements';
import type { PendingSettlement } from '../src/limits/ledger-types';
import { ledgerOf } from '../src/limits/ledger-stub';
import type { BudgetPeriod } from '../src/limits/usage-limits';
import type { VirtualKeyRecord } from '../src/store/virtual-key-record';
import { virtualKeyLevel } from '../src/limits/limit-levels';

const lifetime: BudgetPeriod = { start: 0, end: null };

function keyRecord(): VirtualKeyRecord {
  const id = `vk_held_${crypto.randomUUID()}`;
  return {
    id,
    workspaceId: 'ws_default',
    slug: `held-${id.slice(-12)}`,
    name: 'held',
    note: null,
    provider: 'openai',
    status: 'active',
    providerConfig: {},
    secretEnvelope: 'kg1.x.y.z',
    secretKeyId: 'mk_test',
    maskedSecrets: {},
    expiresAt: null,
    rateLimits: [],
    allowedModels: [],
    modelLimits: [],
    usageLimits: { credit_limit: 1000, type: 'tokens', period_anchor: new Date(0).toISOString() },
    revision: 1,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  };
}

async function reserve(record: { id: string }, estimate: number): Promise<string> {
  const admission = await ledgerOf(env, record).admit({ rateLimits: [], budget: { limit: 1000, unit: 'tokens', period: lifetime, estimate } }, Date.now());
  if (!admission.admitted || !admission.reservationId) throw new Error('expected an admission with a reservation');
  return admission.reservationId;
}

function settlement(reservationId: string, tokens: number): PendingSettlement {
  return { settlement: { reservationId, tokens, amount: tokens, budget: { unit: 'tokens', period: lifetime } }, now: Date.now() };
}

const ledgerState = (record: { id: string }) => ledgerOf(env, record).state([], { unit: 'tokens', period: lifetime }, Date.now());

describe('held settlements', () => {
  it('wait for the key’s next ledger call, which takes them along', async () => {
    const record = virtualKeyLevel(keyRecord());
    const held = settlement(await reserve(record, 10), 7);
    const context = createExecutionContext();
    holdSettlements(env, context, record, [held]);
    expect(await ledgerState(record)).toMatchObject({ spent: 0, reserved: 10 });
    expect(takeHeldSettlements(record)).toEqual([held]);
    await waitOnExecutionContext(context); // the delayed send finds nothing left to send
    expect(await ledgerState(record)).toMatchObject({ spent: 0, reserved: 10 });
  });

  it('are sent on their own after the delay when no call takes them', async () => {
    const record = virtualKeyLevel(keyRecord());
    const context = createExecutionContext();
    holdSettlements(env, context, record, [settlement(await reserve(record, 10), 7)]);
    await waitOnExecutionContext(context);
    expect(await ledgerState(record)).toMatchObject({ spent: 7, reserved: 0 });
  });

  it('go at once, with any held before, when a call used more than it reserved', async () => {
    const record = virtualKeyLevel(keyRecord());
    const context = createExecutionContext();
    holdSettlements(env, context, record, [settlement(await reserve(record, 10), 5)]);
    sendSettlementsNow(env, context, record, [settlement(await reserve(record, 10), 40)]);
    expect(takeHeldSettlements(record)).toEqual([]);
    await waitOnExecutionContext(context);
    expect(await ledgerState(record)).toMatchObject({ spent: 45, reserved: 0 });
  });

  it('get one more try when their ledger call fails, then are dropped', async () => {
    const record = virtualKeyLevel(keyRecord());
    const context = createExecutionContext();
    const pending = settlement(await reserve(record, 10), 7);
    holdSettlements(env, context, record, [pending]);
    returnSettlements(env, context, record, takeHeldSettlements(record), new Error('first call failed'));
    expect(takeHeldSettlements(record)).toEqual([pending]); // held again: the second send
    returnSettlements(env, context, record, [pending], new Error('second call failed'));
    expect(takeHeldSettlements(record)).toEqual([]);
    await waitOnExecutionContext(context);
  });
});
