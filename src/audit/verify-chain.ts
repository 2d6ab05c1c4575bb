// Walks the audit chain, a page at a time (a Worker can't hold a million records), and reports the
// first record that breaks it. Each record must link to the one before (prev_hash), carry a MAC
// that its named key reproduces (hash), and the walk must end at the head the chain writer keeps,
// with no row after it that the writer did not seal: a changed column, a deleted, swapped or
// inserted row, or a cut-off tail each fail one of these.

import { KeygateError } from '../errors';
import { auditRecordsInChain } from '../store/audit-log-table';
import { auditChain } from './audit-log';
import { canonicalRecord, GENESIS_HASH } from './audit-record';
import { chainKey, chainMac } from './chain-keys';

export type BreakReason = 'unsealed' | 'broken_link' | 'unknown_key' | 'altered' | 'truncated' | 'not_in_chain';

export interface VerifyResult {
  valid: boolean;
  checked: number;
  first_invalid: { entry: number | null; request_id: string | null; timestamp: string | null; reason: BreakReason } | null;
  /** Pass back as `cursor` to check the next page; null when the walk reached the head. */
  next_cursor: string | null;
}

// Rows are read a chunk at a time, and a page ends early past this much record text, so a page
// of large bodies stays well inside a Worker's memory.
const CHUNK = 100;
const PAGE_TEXT_BYTES = 8 * 1024 * 1024;

export async function verifyChain(env: Env, cursor: string | undefined, limit: number): Promise<VerifyResult> {
  // Seal first, so every committed record is in the chain the walk checks.
  const head = await (await auditChain(env)).seal().catch(() => {
    throw new KeygateError('unavailable', 'audit_chain_unavailable', 'The audit chain’s writer could not be reached; try again shortly.');
  });
  const [from, link] = cursor ? cursor.split(':') : ['0', GENESIS_HASH];
  let expected = link!;
  let last = Number(from);
  let checked = 0;
  let text = 0;
  let ended = false;
  const broken = (record: { entry: number; request_id: string; timestamp: string }, reason: BreakReason): VerifyResult => ({
    valid: false,
    checked,
    first_invalid: { entry: record.entry, request_id: record.request_id, timestamp: record.timestamp, reason },
    next_cursor: null,
  });
  while (checked < limit && text < PAGE_TEXT_BYTES) {
    const requested = Math.min(CHUNK, limit - checked);
    const records = await auditRecordsInChain(env.DB, last, head.entry, requested);
    for (const record of records) {
      checked++;
      if (record.prev_hash === null) return broken(record, 'unsealed');
      if (record.prev_hash !== expected) return broken(record, 'broken_link');
      const key = await chainKey(env, record.key_id);
      if (!key) return broken(record, 'unknown_key');
      if ((await chainMac(key, expected, canonicalRecord(record))) !== record.hash) return broken(record, 'altered');
      expected = record.hash;
      last = record.entry;
      text += record.request_body.length + record.query_params.length;
    }
    if (records.length < requested || last >= head.entry) {
      ended = true;
      break;
    }
  }
  if (!ended) return { valid: true, checked, first_invalid: null, next_cursor: `${last}:${expected}` };
  // The walk ended: it must have ended at the head, or the newest records are gone.
  if (last !== head.entry || expected !== head.hash) {
    return { valid: false, checked, first_invalid: { entry: null, request_id: null, timestamp: null, reason: 'truncated' }, next_cursor: null };
  }
  // And nothing after the head that the writer did not seal.
  if (head.stray) return broken(head.stray, 'not_in_chain');
  return { valid: true, checked, first_invalid: null, next_cursor: null };
}
