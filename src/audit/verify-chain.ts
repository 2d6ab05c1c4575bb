// Walks the audit chain, a page at a time (a Worker can't hold a million records), and reports the
// first record that breaks it. Each record must link to the one before (prev_hash), carry a MAC
// that its named key reproduces (hash), and the walk must end at the head the chain writer keeps:
// a changed column, a deleted, swapped or inserted row, or a cut-off tail each fail one of these.

import { KeygateError } from '../errors';
import { auditRecordsInChain } from '../store/audit-log-table';
import { auditChain } from './audit-log';
import { canonicalRecord, GENESIS_HASH } from './audit-record';
import { chainKey, chainMac } from './chain-keys';

export type BreakReason = 'unsealed' | 'broken_link' | 'unknown_key' | 'altered' | 'truncated';

export interface VerifyResult {
  valid: boolean;
  checked: number;
  first_invalid: { entry: number | null; request_id: string | null; timestamp: string | null; reason: BreakReason } | null;
  /** Pass back as `cursor` to check the next page; null when the walk reached the head. */
  next_cursor: string | null;
}

export async function verifyChain(env: Env, cursor: string | undefined, limit: number): Promise<VerifyResult> {
  // Seal first, so every committed record is in the chain the walk checks.
  const head = await (await auditChain(env)).seal().catch(() => {
    throw new KeygateError('unavailable', 'audit_chain_unavailable', 'The audit chain’s writer could not be reached; try again shortly.');
  });
  const [from, link] = cursor ? cursor.split(':') : ['0', GENESIS_HASH];
  let expected = link!;
  let last = Number(from);
  const records = await auditRecordsInChain(env.DB, last, head.entry, limit);
  let checked = 0;
  for (const record of records) {
    checked++;
    const broken = (reason: BreakReason): VerifyResult => ({
      valid: false,
      checked,
      first_invalid: { entry: record.entry, request_id: record.request_id, timestamp: record.timestamp, reason },
      next_cursor: null,
    });
    if (record.prev_hash === null) return broken('unsealed');
    if (record.prev_hash !== expected) return broken('broken_link');
    const key = await chainKey(env, record.key_id);
    if (!key) return broken('unknown_key');
    if ((await chainMac(key, expected, canonicalRecord(record))) !== record.hash) return broken('altered');
    expected = record.hash;
    last = record.entry;
  }
  if (records.length === limit && last < head.entry) return { valid: true, checked, first_invalid: null, next_cursor: `${last}:${expected}` };
  // The walk ended: it must have ended at the head, or the newest records are gone.
  if (last !== head.entry || expected !== head.hash) {
    return { valid: false, checked, first_invalid: { entry: null, request_id: null, timestamp: null, reason: 'truncated' }, next_cursor: null };
  }
  return { valid: true, checked, first_invalid: null, next_cursor: null };
}
