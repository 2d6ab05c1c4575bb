// The Worker's side of the ledger: ask before forwarding, tell it the actual usage afterwards.

import { KeygateError } from '../errors';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import type { WindowState } from './key-ledger';

function ledgerOf(env: Env, record: Pick<VirtualKeyRecord, 'id'>) {
  // Named from the key's id (not its slug), so the ledger survives nothing a key can change.
  return env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(record.id));
}

/** Refuses with 429 and Retry-After when a rate limit is reached. A key without limits skips the hop. */
export async function enforceRateLimits(env: Env, record: VirtualKeyRecord, now: number = Date.now()): Promise<void> {
  if (record.rateLimits.length === 0) return;
  const admission = await ledgerOf(env, record).admit(record.rateLimits, now);
  if (admission.admitted) return;
  const { rule, retryAfterSeconds } = admission;
  throw new KeygateError(
    'rate_limited',
    'rate_limit_exceeded',
    `Virtual key ${record.slug} reached its limit of ${rule.value} ${rule.type} per ${rule.unit.slice(2) === 'm' ? 'minute' : rule.unit.slice(2) === 'h' ? 'hour' : 'day'}; try again in ${retryAfterSeconds} s.`,
    null,
    retryAfterSeconds,
  );
}

/**
 * For a key with a token limit: a callback that tells the ledger a call's actual tokens once
 * they are known (at the end of a stream, say), off the response path. Otherwise undefined,
 * and nothing is metered.
 */
export function tokenMeter(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  record: VirtualKeyRecord,
): ((tokens: number) => void) | undefined {
  if (!record.rateLimits.some((rule) => rule.type === 'tokens')) return undefined;
  return (tokens) => context.waitUntil(ledgerOf(env, record).recordTokens(tokens, Date.now()));
}

/** The current windows of a key's rate limits, for retrieve. */
export async function rateLimitWindows(env: Env, record: VirtualKeyRecord, now: number = Date.now()): Promise<WindowState[]> {
  if (record.rateLimits.length === 0) return [];
  return ledgerOf(env, record).windows(record.rateLimits, now);
}
