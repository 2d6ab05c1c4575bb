// The vault's operations (vault-routes.ts), for the OpenAPI document: master-key rotation.

import { denied, invalid, needsScope, operation } from './openapi-paths';

export function vaultPaths() {
  const tag = 'Vault';
  const organisationOnly = 'Only organisation keys can hold it.';
  return {
    '/v1/admin/vault': {
      get: operation(tag, {
        operationId: 'vaultStatus',
        summary: 'Master keys and what each seals',
        needs: needsScope('vault.manage'),
        notes:
          `${organisationOnly} Lists every key of VAULT_KEYS (or VAULT_KEY), current first, and every key id stored records ` +
          'name. A key’s records are the virtual keys it seals and the audit chain keys it produces (the one derived from it, ' +
          'and older ones a re-seal stored under it). An old key may be removed from VAULT_KEYS once it has no records and ' +
          'the cache bound has passed; a key with records and in_ring false is missing, and those records cannot be opened ' +
          '(or, for a chain key, the audit records it MACs cannot be verified).',
        ok: ['Key ids (fingerprints, never keys) with their record counts', 'VaultStatus'],
        errors: { ...denied },
      }),
    },
    '/v1/admin/vault/reseal': {
      post: operation(tag, {
        operationId: 'resealVault',
        summary: 'Re-seal secrets under the current master key',
        needs: needsScope('vault.manage'),
        notes:
          `${organisationOnly} Re-seals up to limit virtual keys sealed by another key than the current one, and stores ` +
          'every older audit chain key sealed under the current key, so audit records stay verifiable after their master ' +
          'key leaves VAULT_KEYS. Idempotent and resumable: call it until remaining is 0 (the Cron Trigger does the same ' +
          'every 5 minutes). A record changed meanwhile is skipped this round, never overwritten; one no key opens is ' +
          'counted as unreadable and left as it is. Each batch writes an audit record in the same transaction.',
        body: { name: 'Reseal', description: 'How many virtual keys at most (default 100)', required: false },
        ok: ['What this call re-sealed and what is left', 'ResealResult'],
        errors: {
          ...invalid,
          ...denied,
          503:
            'A batch could not be stored together with its audit record (audit_log_unavailable): that batch was not ' +
            'applied, earlier ones were; call again.',
        },
      }),
    },
  };
}
