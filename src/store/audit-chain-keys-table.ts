// D1 queries for `audit_chain_keys`: which master key can produce each audit chain key.

/** The sealed chain key for `keyId`, when a re-seal stored one. */
export async function findChainKeyEnvelope(db: D1Database, keyId: string): Promise<string | null> {
  const row = await db.prepare('SELECT envelope FROM audit_chain_keys WHERE key_id = ?1').bind(keyId).first<{ envelope: string | null }>();
  return row?.envelope ?? null;
}

/** Notes that records are sealed under `keyId` (derived from itself); changes a row only when it is new. */
export function registerChainKeyStatement(db: D1Database, keyId: string): D1PreparedStatement {
  return db.prepare('INSERT INTO audit_chain_keys (key_id, sealed_by) VALUES (?1, ?1) ON CONFLICT (key_id) DO NOTHING').bind(keyId);
}

export async function chainKeysNotSealedBy(db: D1Database, currentKeyId: string): Promise<Array<{ key_id: string; sealed_by: string }>> {
  const rows = await db.prepare('SELECT key_id, sealed_by FROM audit_chain_keys WHERE sealed_by != ?1').bind(currentKeyId).all<{ key_id: string; sealed_by: string }>();
  return rows.results;
}

/** Stores a chain key under a new sealer, unless another re-seal moved it meanwhile. */
export function resealChainKeyStatement(db: D1Database, keyId: string, from: string, to: string, envelope: string | null): D1PreparedStatement {
  return db.prepare('UPDATE audit_chain_keys SET sealed_by = ?3, envelope = ?4 WHERE key_id = ?1 AND sealed_by = ?2').bind(keyId, from, to, envelope);
}

/** How many chain keys each master key produces, by its id. */
export async function countChainKeysBySealer(db: D1Database): Promise<Map<string, number>> {
  const rows = await db.prepare('SELECT sealed_by, COUNT(*) AS keys FROM audit_chain_keys GROUP BY sealed_by').all<{ sealed_by: string; keys: number }>();
  return new Map(rows.results.map((row) => [row.sealed_by, Number(row.keys)]));
}
