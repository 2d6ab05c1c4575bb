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
          'name. An old key may be removed from VAULT_KEYS once it seals no record and the cache bound has passed; a key ' +
          'with records and in_ring false is missing, and those records cannot be opened.',
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
          `${organisationOnly} Re-seals up to limit records sealed by another key than the current one. Idempotent and ` +
          'resumable: call it until remaining is 0 (the Cron Trigger does the same every 5 minutes). A record changed ' +
          'meanwhile is skipped this round, never overwritten; one no key opens is counted as unreadable and left as it is.',
        body: { name: 'Reseal', description: 'How many records at most (default 100)', required: false },
        ok: ['What this call re-sealed and what is left', 'ResealResult'],
        errors: { ...invalid, ...denied },
      }),
    },
  };
}
