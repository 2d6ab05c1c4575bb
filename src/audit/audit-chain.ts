// The audit chain's one writer: a Durable Object per organisation. Records are committed to D1 by
// whoever made the change (in the change's own transaction, src/audit/audit-log.ts); this object
// then seals them into the chain in commit order. Only one seal runs at a time, so the chain
// never forks however many admin calls commit at once.
//
// It also folds refused sign-ins: one record per source and minute, with a count, written when the
// minute is over (an alarm), so a stream of wrong keys can't flood the log.

import { DurableObject } from 'cloudflare:workers';
import { addressGroup } from '../auth/failed-sign-ins';
import { registerChainKeyStatement } from '../store/audit-chain-keys-table';
import { firstSealedAfter, lastSealedAuditRecord, pendingAuditRecords, sealAuditRecordStatement } from '../store/audit-log-table';
import { logEvent } from '../log';
import { masterKeyRing } from '../vault/master-key';
import { digestsEqual } from '../vault/crypto';
import { canonicalRecord, GENESIS_HASH, type AuditRecord, type StoredAuditRecord } from './audit-record';
import { appendAuditRecord, recordStatement, systemRecord } from './audit-log';
import { chainKey, chainMac, PENDING_LINK } from './chain-keys';

export interface ChainHead {
  entry: number;
  hash: string;
}

const SEAL_BATCH = 100;
const FOLD_PREFIX = 'refused:';
const encoder = new TextEncoder();

export class AuditChain extends DurableObject<Env> {
  #queue: Promise<unknown> = Promise.resolve();
  readonly #knownKeys = new Set<string>();

  /** Seals every record committed so far, in commit order; answers the chain's head. */
  seal(): Promise<SealResult> {
    const run = this.#queue.then(() => this.#sealPending());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Adds refused sign-ins (`record.count` of them) into their source's record for that minute. */
  async refused(record: AuditRecord): Promise<void> {
    const slot = `${FOLD_PREFIX}${record.timestamp.slice(0, 16)}|${addressGroup(record.client_ip ?? '')}`;
    const folded = await this.ctx.storage.get<AuditRecord>(slot);
    await this.ctx.storage.put(slot, folded ? { ...folded, count: folded.count + record.count } : record);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(minuteEnd(record.timestamp));
  }

  /** Writes the folded records of every minute that is over, then seals them. */
  override async alarm(): Promise<void> {
    const thisMinute = new Date().toISOString().slice(0, 16);
    const slots = await this.ctx.storage.list<AuditRecord>({ prefix: FOLD_PREFIX });
    let next: number | null = null;
    for (const [slot, record] of slots) {
      if (record.timestamp.slice(0, 16) < thisMinute) {
        await appendAuditRecord(this.env, record);
        await this.ctx.storage.delete(slot);
      } else next = Math.min(next ?? Infinity, minuteEnd(record.timestamp));
    }
    if (next !== null) await this.ctx.storage.setAlarm(next);
    await this.seal();
  }

  async #head(): Promise<ChainHead> {
    const stored = await this.ctx.storage.get<ChainHead>('head');
    const last = await lastSealedAuditRecord(this.env.DB);
    // D1 ahead of storage: a seal whose head was not stored, if its MAC holds (a row written to
    // look sealed is not adopted). Storage ahead of D1: the newest records were deleted; new
    // records then link to the stored head, so verification shows the gap.
    if (last && (!stored || last.entry > stored.entry) && (await this.#sealedByUs(last))) return { entry: last.entry, hash: last.hash };
    return stored ?? { entry: 0, hash: GENESIS_HASH };
  }

  async #sealedByUs(record: StoredAuditRecord): Promise<boolean> {
    const key = await chainKey(this.env, record.key_id);
    return key !== null && record.prev_hash !== null && sameMac(await chainMac(key, record.prev_hash, canonicalRecord(record)), record.hash);
  }

  async #sealPending(): Promise<SealResult> {
    let head = await this.#head();
    let after = head.entry;
    let stray: Stray | null = null;
    // A new current master key starts its era with a record, even before anything else is written.
    await this.#startEra((await masterKeyRing(this.env)).current.id, head.entry > 0);
    for (let waiting = false; !waiting; ) {
      // Only records after the head: one inserted behind it is never sealed into the middle.
      const pending = await pendingAuditRecords(this.env.DB, after, SEAL_BATCH);
      if (pending.length === 0) break;
      const seals: D1PreparedStatement[] = [];
      const eras: Array<{ keyId: string; withRecord: boolean }> = [];
      for (const record of pending) {
        const key = await chainKey(this.env, record.key_id);
        // Written moments ago under a key this writer lacks: an isolate of a newer deploy. Wait
        // for it (the writer restarts with the deploy) rather than leave the record out for good.
        if (!key && isRecent(record.timestamp)) {
          logEvent('warn', 'audit_seal_waiting', { entry: record.entry, keyId: record.key_id });
          waiting = true;
          break;
        }
        after = record.entry;
        const canonical = canonicalRecord(record);
        // A record whose own MAC fails was not written by Keygate: left unsealed, verify names it.
        if (!key || !sameMac(await chainMac(key, PENDING_LINK, canonical), record.hash)) {
          logEvent('warn', 'audit_record_not_sealed', { entry: record.entry, keyId: record.key_id });
          stray ??= { entry: record.entry, request_id: record.request_id, timestamp: record.timestamp, sealed: false };
          continue;
        }
        if (!this.#knownKeys.has(record.key_id)) eras.push({ keyId: record.key_id, withRecord: head.entry > 0 });
        const hash = await chainMac(key, head.hash, canonical);
        seals.push(sealAuditRecordStatement(this.env.DB, record.entry, head.hash, hash));
        head = { entry: record.entry, hash };
      }
      if (seals.length > 0) {
        await this.env.DB.batch(seals);
        await this.ctx.storage.put('head', head);
      }
      // The next pass seals their records.
      for (const era of eras) await this.#startEra(era.keyId, era.withRecord);
    }
    // A row that looks sealed after the head was not sealed by this writer.
    const beyond = await firstSealedAfter(this.env.DB, head.entry);
    return { ...head, stray: stray && stray.entry > head.entry ? stray : beyond && { ...beyond, sealed: true } };
  }

  /**
   * Notes the first record under a master key; `withRecord` (the chain had records before) also
   * writes the record that starts its era, in the same transaction, so neither is kept without
   * the other.
   */
  async #startEra(keyId: string, withRecord: boolean): Promise<void> {
    if (this.#knownKeys.has(keyId)) return;
    const register = registerChainKeyStatement(this.env.DB, keyId);
    if (withRecord) {
      const record = await systemRecord(this.env, { resource_type: 'vault', action: 'rotate', resource_id: keyId, uri: '/v1/admin/vault' });
      await this.env.DB.batch([register, await recordStatement(this.env, { ...record, key_id: keyId }, true)]);
    } else await register.run();
    this.#knownKeys.add(keyId);
  }
}

/** A row after the head that the writer did not seal: written by someone else. */
export interface Stray {
  entry: number;
  request_id: string;
  timestamp: string;
  /** Whether it was written to look sealed. */
  sealed: boolean;
}

export interface SealResult extends ChainHead {
  stray: Stray | null;
}

/** Within the last 10 minutes (and not in the future): how long a deploy takes to reach everyone. */
function isRecent(timestamp: string): boolean {
  const age = Date.now() - Date.parse(timestamp);
  return age > -60_000 && age < 10 * 60_000;
}

function sameMac(left: string, right: string): boolean {
  return digestsEqual(encoder.encode(left), encoder.encode(right));
}

/** The first millisecond after the minute of `timestamp`, and a second of slack. */
function minuteEnd(timestamp: string): number {
  return Date.parse(`${timestamp.slice(0, 16)}:00.000Z`) + 61_000;
}
