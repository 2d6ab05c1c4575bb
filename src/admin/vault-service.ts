// Master-key rotation, apart from HTTP: what each key of the ring seals, and re-sealing secrets
// sealed by an older key under the current one. The admin route and the Cron Trigger share it.
//
// A re-seal changes only the envelope and its key id, under the revision check every update
// uses: a row changed meanwhile is skipped this round (the next run finds it again), never
// overwritten. A record no key of the ring opens is counted as unreadable and left as it is.

import { failureFields, logEvent } from '../log';
import { countBySealingKey, countSealedWithOtherKey, findSealedWithOtherKey, resealStatement, type SealedSecret } from '../store/virtual-key-seals';
import { VaultError } from '../vault/crypto';
import { masterKeyRing } from '../vault/master-key';
import { resealProviderSecret } from '../vault/virtual-key-secret';
import { evictFromCache } from './virtual-key-service';

export interface ResealOutcome {
  resealed: number;
  /** Rows changed by an update while this ran: left for the next run. */
  skipped: number;
  /** Rows no key of the ring opens (an unknown key id, or a damaged envelope). */
  unreadable: number;
  /** Rows still sealed by another key than the current one, unreadable ones included. */
  remaining: number;
  current_key_id: string;
}

/** Pages of candidates read per call at most, so a table full of unreadable rows stays bounded. */
const MAX_PAGES = 10;

/** Re-seals up to `limit` keys sealed by an older key. Idempotent: a second run finds what is left. */
export async function resealSecrets(env: Env, limit: number): Promise<ResealOutcome> {
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
    const results = await env.DB.batch(resealed.map(({ sealed, envelope }) => resealStatement(env.DB, sealed, envelope, ring.current.id)));
    const written = resealed.filter((_entry, index) => (results[index]?.meta.changes ?? 0) > 0);
    outcome.resealed += written.length;
    outcome.skipped += resealed.length - written.length;
    // Caches may still hold the old envelope; it opens as long as its key stays in the ring.
    await Promise.all(written.map(({ sealed }) => evictFromCache(env, sealed.slug)));
  }
  const remaining = await countSealedWithOtherKey(env.DB, ring.current.id);
  return { ...outcome, remaining, current_key_id: ring.current.id };
}

export interface VaultStatus {
  current_key_id: string;
  keys: Array<{ id: string; records: number; in_ring: boolean; current: boolean }>;
}

/** Each key of the ring, and each key id stored records name, with how many records it seals. */
export async function vaultStatus(env: Env): Promise<VaultStatus> {
  const [ring, counts] = await Promise.all([masterKeyRing(env), countBySealingKey(env.DB)]);
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
