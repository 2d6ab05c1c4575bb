// The Durable Object stub of a key's ledger.


/** The ledger of a level (limit-levels.ts), named by the level's id. */
export function ledgerOf(env: Env, level: { id: string }) {
  return env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(level.id));
}
