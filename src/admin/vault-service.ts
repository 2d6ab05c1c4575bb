// Master-key rotation, apart from HTTP: what each key of the ring seals, and re-sealing secrets
// sealed by an older key under the current one. The admin route and the Cron Trigger share it.
//
// A re-seal changes only the envelope and its key id, under the revision check every update
// uses: a row changed meanwhile is skipped this round (the next run finds it again), never
// overwritten. A record no key of the ring opens is counted as unreadable and left as it is.
// The audit chain's keys are re-sealed too (src/audit/chain-keys.ts). Each re-sealed secret and
// chain key gets its audit record in the batch's transaction, written only if the re-seal was;
// `audit` is the request behind it, or null for the Cron.

import { auditedWrite, auditRecord, recordStatement, sealAuditLog, systemRecord, type AuditRequest, type AuditSubject } from '../audit/audit-log';
import { sealChainKey } from '../audit/chain-keys';
import { failureFields, logEvent } from '../log';
import { chainKeysNotSealedBy, countChainKeysBySealer, resealChainKeyStatement } from '../store/audit-chain-keys-table';
import { countBySealingKey, countSealedWithOtherKey, findSealedWithOtherKey, resealStatement, type SealedSecret } from '../store/virtual-key-seals';
import { VaultError } from '../vault/crypto';
import { masterKeyRing, type MasterKeyRing } from '../vault/master-key';
import { resealProviderSecret } from '../vault/virtual-key-secret';
import { evictFromCache } from './virtual-key-service';

export interface ResealOutcome {
  resealed: number;
  /** Rows changed by an update while this ran: left for the next run. */
  skipped: number;
  /** Rows no key of the ring opens (an unknown key id, or a damaged envelope). */
  unreadable: number;
  /** Virtual keys and audit chain keys still sealed by another key than the current one. */
  remaining: number;
  current_key_id: string;
}

/** Pages of candidates read per call at most, so a table full of unreadable rows stays bounded. */
const MAX_PAGES = 10;

/**
 * The audit record of one re-sealed secret, for the batch right after the statement that re-seals
 * it: written only if that one changed the row, so a row skipped by a racing update has none.
 */
async function resealRecord(env: Env, audit: AuditRequest | null, subject: Omit<AuditSubject, 'action'>, sealedBy: string) {
  const full = { ...subject, action: 'reseal' } as const;
  if (!audit) return recordStatement(env, await systemRecord(env, { ...full, uri: 'cron:/v1/admin/vault/reseal', request_body: { sealed_by: sealedBy } }), true);
  const body = { ...(JSON.parse(audit.request_body) as object), sealed_by: sealedBy };
  return recordStatement(env, await auditRecord(env, { ...audit, request_body: JSON.stringify(body) }, full), true);
}

/** Re-seals up to `limit` keys sealed by an older key. Idempotent: a second run finds what is left. */
export async function resealSecrets(env: Env, limit: number, audit: AuditRequest | null): Promise<ResealOutcome> {
  const ring = await masterKeyRing(env);
  const outcome = { resealed: 0, skipped: 0, unreadable: 0 };
  let afterId = '';
  const olderKeyIds = ring.keys.filter((key) => key.id !== ring.current.id).map((key) => key.id);
  for (let page = 0; page < MAX_PAGES && outcome.resealed < limit && olderKeyIds.length > 0; page++) {
    const candidates = await findSealedWithOtherKey(env.DB, olderKeyIds, afterId, limit - outcome.resealed);
    if (candidates.length === 0) break;
    afterId = candidates[candidates.length - 1]!.id;
    const resealed: Array<{ sealed: SealedSecret; envelope: string }> = [];
    for (const sealed of candidates) {
      try {
        resealed.push({ sealed, envelope: await resealProviderSecret(ring, sealed, sealed.secretEnvelope) });
      } catch (error) {
        if (!(error instanceof VaultError)) throw error;
        outcome.unreadable++;
        logEvent('warn', 'vault_reseal_unreadable', { slug: sealed.slug, keyId: sealed.secretKeyId, ...failureFields(error) });
      }
    }
    if (resealed.length === 0) continue;
    // Each re-seal, then its record: the batch is one transaction.
    const statements: D1PreparedStatement[] = [];
    for (const { sealed, envelope } of resealed) {
      const subject = { resource_type: 'virtual_key', resource_id: sealed.slug, workspace_id: sealed.workspaceId } as const;
      statements.push(resealStatement(env.DB, sealed, envelope, ring.current.id), await resealRecord(env, audit, subject, ring.current.id));
    }
    const results = await auditedWrite(() => env.DB.batch(statements));
    const written = resealed.filter((_entry, index) => (results[2 * index]?.meta.changes ?? 0) > 0);
    outcome.resealed += written.length;
    outcome.skipped += resealed.length - written.length;
    // Caches may still hold the old envelope; it opens as long as its key stays in the ring.
    await Promise.all(written.map(({ sealed }) => evictFromCache(env, sealed.slug)));
  }
  const unsealedChainKeys = await resealChainKeys(env, ring, audit);
  const remaining = (await countSealedWithOtherKey(env.DB, ring.current.id)) + unsealedChainKeys;
  return { ...outcome, remaining, current_key_id: ring.current.id };
}

/**
 * Seals each audit chain key under the current master key (the current one's own chain key stays
 * derived). Answers how many are still not sealed by it: those whose key no configured key gives.
 */
async function resealChainKeys(env: Env, ring: MasterKeyRing, audit: AuditRequest | null): Promise<number> {
  // Sealing registers the key of every record committed so far, so none is missed here.
  await sealAuditLog(env);
  const stale = await chainKeysNotSealedBy(env.DB, ring.current.id);
  const statements: D1PreparedStatement[] = [];
  let resealed = 0;
  for (const { key_id: keyId, sealed_by: sealedBy } of stale) {
    const master = ring.keys.find((key) => key.id === keyId) ?? null;
    const envelope = keyId === ring.current.id ? null : await sealChainKey(master, env, keyId, ring.current).catch(() => undefined);
    if (envelope === undefined || (envelope === null && keyId !== ring.current.id)) continue;
    const subject = { resource_type: 'vault', resource_id: keyId } as const;
    statements.push(resealChainKeyStatement(env.DB, keyId, sealedBy, ring.current.id, envelope), await resealRecord(env, audit, subject, ring.current.id));
    resealed++;
  }
  if (resealed === 0) return stale.length;
  await auditedWrite(() => env.DB.batch(statements));
  return stale.length - resealed;
}

export interface VaultStatus {
  current_key_id: string;
  keys: Array<{ id: string; records: number; in_ring: boolean; current: boolean }>;
}

/**
 * Each key of the ring, and each key id stored records name, with how many records it seals:
 * virtual keys, and the audit chain keys it produces.
 */
export async function vaultStatus(env: Env): Promise<VaultStatus> {
  await sealAuditLog(env); // registers the chain key of every record committed so far
  const [ring, counts, chainKeys] = await Promise.all([masterKeyRing(env), countBySealingKey(env.DB), countChainKeysBySealer(env.DB)]);
  for (const [id, count] of chainKeys) counts.set(id, (counts.get(id) ?? 0) + count);
  const ringIds = ring.keys.map((key) => key.id);
  const storedOnly = [...counts.keys()].filter((id) => !ringIds.includes(id)).sort();
  return {
    current_key_id: ring.current.id,
    keys: [...ringIds, ...storedOnly].map((id) => ({
      id,
      records: counts.get(id) ?? 0,
      in_ring: ringIds.includes(id),
      current: id === ring.current.id,
    })),
  };
}
