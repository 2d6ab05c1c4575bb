// Admission leases: far from its limits, a ledger may grant the isolate that asks a lease, a small
// block of admissions (requests, and where it limits them, tokens and budget) that is counted in
// full against every limit the moment it is granted. The isolate then admits calls from it with no
// round trip, and settles their usage in batches as usual (held-settlements.ts). So a lease can
// never let a limit be exceeded; what it costs is that its unused part may refuse a call elsewhere
// near a limit, for at most its life. lease-size.ts bounds it: at most 1/8 of what remains of any
// limit, one second of recent traffic, within its minute window, over within a second; near a
// limit there is none, and every call goes to the ledger.
//
// A lease is given back, with what it did not use and how many calls it admitted, when it ends (a
// timer), with the level's next ledger call, or with a read of the level's state, whichever comes
// first. Calls that settle while their lease is still held here are summed into it and settled
// with its return: one ledger call per lease, not one per call, at each level. A call that settles
// later (a long stream) is settled on its own. The ledger keeps what a lease's calls hold until
// every one of them has settled.

import { sendSettlementsNow } from './held-settlements';
import type { LimitLevel } from './limit-levels';
import type { LeaseGrant, PendingSettlement, Settlement } from './ledger-types';
import { budgetPeriod } from './usage-limits';

/** A call admitted from a lease: the lease, and the estimates it took from it. */
export interface LeaseShare {
  id: string;
  tokens: number;
  amount: number;
}

interface HeldLease {
  id: string;
  level: LimitLevel;
  revision: number;
  /** On this isolate's clock. */
  expiresAt: number;
  requests: number;
  /** Null where the lease does not limit them. */
  tokens: number | null;
  amount: number | null;
  admitted: number;
  /** The calls settled while it is held: how many, their estimates (shares) and their usage, summed. */
  settled: { calls: number; shareTokens: number; shareAmount: number; tokens: number; amount: number };
}

type Context = Pick<ExecutionContext, 'waitUntil'>;

const leases = new Map<string, HeldLease>();
/** Levels with a lease request in flight from this isolate: one at a time is enough. */
const asking = new Set<string>();

/** On unless the Worker var LEDGER_LEASES is "off". */
export function leasesOn(env: Env): boolean {
  return env.LEDGER_LEASES !== 'off';
}

/** Admits a call from this isolate's lease for `level`, if it holds one that covers the call. */
export function admitFromLease(level: LimitLevel, estimate: { tokens: number; amount: number }, now: number): LeaseShare | null {
  const lease = leases.get(level.id);
  if (!lease || lease.revision !== level.revision || now >= lease.expiresAt || lease.requests < 1) return null;
  if ((lease.tokens !== null && estimate.tokens > lease.tokens) || (lease.amount !== null && estimate.amount > lease.amount)) return null;
  const share = { id: lease.id, tokens: lease.tokens === null ? 0 : estimate.tokens, amount: lease.amount === null ? 0 : estimate.amount };
  adjust(lease, share, -1);
  return share;
}

/** Puts a call's share back (another level refused it); false when its lease is no longer held here. */
export function giveBackToLease(level: LimitLevel, share: LeaseShare): boolean {
  const lease = leases.get(level.id);
  if (lease?.id !== share.id) return false;
  adjust(lease, share, 1);
  return true;
}

function adjust(lease: HeldLease, share: LeaseShare, sign: 1 | -1): void {
  lease.requests += sign;
  if (lease.tokens !== null) lease.tokens += sign * share.tokens;
  if (lease.amount !== null) lease.amount += sign * share.amount;
  lease.admitted -= sign;
}

/** Whether to ask `level`'s ledger for a lease now; `done` once its answer is in. */
export function askForLease(env: Env, level: LimitLevel): { ask: boolean; done(): void } {
  if (!leasesOn(env) || asking.has(level.id)) return { ask: false, done() {} };
  asking.add(level.id);
  return { ask: true, done: () => asking.delete(level.id) };
}

/** Settles a call admitted from a lease into the lease, if it is still held here; false when not. */
export function settleIntoLease(level: LimitLevel, share: LeaseShare, usage: { tokens: number; amount: number }): boolean {
  const lease = leases.get(level.id);
  if (lease?.id !== share.id) return false;
  const settled = lease.settled;
  settled.calls++;
  settled.shareTokens += share.tokens;
  settled.shareAmount += share.amount;
  settled.tokens += usage.tokens;
  settled.amount += usage.amount;
  return true;
}

/** Takes this isolate's lease for `level`, as the settlement that gives it back. */
export function takeLeaseReturn(level: LimitLevel, now: number): PendingSettlement[] {
  const lease = leases.get(level.id);
  if (!lease) return [];
  leases.delete(level.id);
  const { calls, shareTokens, shareAmount, tokens, amount } = lease.settled;
  const limits = level.usageLimits;
  const settlement: Settlement = {
    id: crypto.randomUUID(),
    revision: lease.revision,
    reservationId: null,
    tokens,
    amount,
    lease: { id: lease.id, tokens: shareTokens, amount: shareAmount },
    leaseReturn: { admitted: lease.admitted, settled: calls, requests: lease.requests, tokens: lease.tokens ?? 0, amount: lease.amount ?? 0 },
    ...(limits ? { budget: { unit: limits.type, period: budgetPeriod(limits, now), ...(limits.alert_threshold !== undefined ? { alertThreshold: limits.alert_threshold } : {}) } } : {}),
  };
  return [{ settlement, now }];
}

/**
 * Keeps a lease the ledger granted. Its end is moved onto this isolate's clock from the time the
 * request was sent, which is never later than the ledger's time of the grant: it can only end early.
 */
export function keepLease(env: Env, context: Context, level: LimitLevel, grant: LeaseGrant, grantedAt: number, sentAt: number): void {
  const previous = takeLeaseReturn(level, sentAt);
  if (previous.length > 0) sendSettlementsNow(env, context, level, previous);
  const lease: HeldLease = {
    id: grant.id,
    level,
    revision: level.revision,
    expiresAt: sentAt + (grant.expiresAt - grantedAt),
    requests: grant.requests,
    tokens: grant.tokens ?? null,
    amount: grant.amount ?? null,
    admitted: 0,
    settled: { calls: 0, shareTokens: 0, shareAmount: 0, tokens: 0, amount: 0 },
  };
  leases.set(level.id, lease);
  context.waitUntil(giveBackWhenEnded(env, context, lease));
}

async function giveBackWhenEnded(env: Env, context: Context, lease: HeldLease): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, lease.expiresAt - Date.now())));
  // Already given back with a ledger call or a read, or replaced by a newer lease.
  if (leases.get(lease.level.id) !== lease) return;
  sendSettlementsNow(env, context, lease.level, takeLeaseReturn(lease.level, Date.now()));
}
