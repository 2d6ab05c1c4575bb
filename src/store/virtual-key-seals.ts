// D1 queries for master-key rotation: which master key sealed each virtual key's secret, and the
// one write a re-seal makes (the envelope and its key id, nothing else).

import * as z from 'zod/mini';

/** What a re-seal needs of a row: the envelope, what its AAD names, and the revision read. */
export interface SealedSecret {
  id: string;
  workspaceId: string;
  slug: string;
  revision: number;
  secretEnvelope: string;
  secretKeyId: string;
}

const SealedRowSchema = z.object({
  id: z.string(),
  workspace_id: z.string(),
  slug: z.string(),
  revision: z.number(),
  secret_envelope: z.string(),
  secret_key_id: z.string(),
});

const CountRowSchema = z.object({ secret_key_id: z.string(), records: z.number() });

function sealedFromRow(row: unknown): SealedSecret {
  const parsed = SealedRowSchema.parse(row);
  return {
    id: parsed.id,
    workspaceId: parsed.workspace_id,
    slug: parsed.slug,
    revision: parsed.revision,
    secretEnvelope: parsed.secret_envelope,
    secretKeyId: parsed.secret_key_id,
  };
}

/**
 * Keys sealed by one of `keyIds` (the ring's older keys), in id order after `afterId`. A key sealed
 * by a master key missing from the ring is never a candidate: no re-seal can open it, and reading
 * it every time would let enough of them hold the rest of the table back for good.
 */
export async function findSealedWithOtherKey(db: D1Database, keyIds: readonly string[], afterId: string, limit: number): Promise<SealedSecret[]> {
  const { results } = await db
    .prepare(
      `SELECT id, workspace_id, slug, revision, secret_envelope, secret_key_id FROM virtual_keys
       WHERE secret_key_id IN (SELECT value FROM json_each(?1)) AND id > ?2 ORDER BY id LIMIT ?3`,
    )
    .bind(JSON.stringify(keyIds), afterId, limit)
    .all();
  return results.map(sealedFromRow);
}

/** How many keys each master key id seals, as stored. */
export async function countBySealingKey(db: D1Database): Promise<Map<string, number>> {
  const { results } = await db.prepare('SELECT secret_key_id, COUNT(*) AS records FROM virtual_keys GROUP BY secret_key_id').all();
  return new Map(results.map((row) => CountRowSchema.parse(row)).map((row) => [row.secret_key_id, row.records]));
}

/** How many keys are sealed by another key than `currentKeyId`. */
export async function countSealedWithOtherKey(db: D1Database, currentKeyId: string): Promise<number> {
  const row = await db.prepare('SELECT COUNT(*) AS records FROM virtual_keys WHERE secret_key_id != ?1').bind(currentKeyId).first();
  return z.object({ records: z.number() }).parse(row).records;
}

/**
 * Statements that each replace one envelope, if the row is still at the revision read; the
 * revision moves, as with every update, so an update that read the old envelope cannot write it
 * back (it gets 409 and reads again). Run them as one batch: changes === 0 means skipped.
 */
export function resealStatement(db: D1Database, sealed: SealedSecret, envelope: string, keyId: string): D1PreparedStatement {
  return db
    .prepare('UPDATE virtual_keys SET secret_envelope = ?3, secret_key_id = ?4, revision = revision + 1 WHERE id = ?1 AND revision = ?2')
    .bind(sealed.id, sealed.revision, envelope, keyId);
}
