// The Durable Object stub of a key's ledger.

import type { VirtualKeyRecord } from '../store/virtual-key-record';

export function ledgerOf(env: Env, record: Pick<VirtualKeyRecord, 'id'>) {
  // Named from the key's id (not its slug), so nothing a key can change moves its ledger.
  return env.KEY_LEDGER.get(env.KEY_LEDGER.idFromName(record.id));
}
