// Seals and opens the secret part of a virtual key. The secret is one JSON object per key (an
// API key, or a provider's several secret fields), sealed as one envelope so that rotation
// replaces it whole.
//
// The AAD names the record: workspace, id and slug. None of them ever changes, and a ciphertext
// moved to any other row (or workspace) no longer authenticates.

import { open, seal, VaultError } from './crypto';
import { currentMasterKey, masterKeyLookup, type MasterKeyRing } from './master-key';

export interface SecretOwner {
  workspaceId: string;
  id: string;
  slug: string;
}

export type ProviderSecret = Record<string, string>;

/** A JSON object of strings: what every provider seals. Checked by hand, as it is on every call. */
function isProviderSecret(value: unknown): value is ProviderSecret {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const field of Object.keys(value)) if (typeof (value as Record<string, unknown>)[field] !== 'string') return false;
  return true;
}

function recordAad(owner: SecretOwner): string {
  // JSON keeps the fields unambiguous even if one of them ever contains a separator.
  return JSON.stringify(['keygate/virtual-key/v1', owner.workspaceId, owner.id, owner.slug]);
}

export async function sealProviderSecret(
  env: Pick<Env, 'VAULT_KEY' | 'VAULT_KEYS'>,
  owner: SecretOwner,
  secret: ProviderSecret,
): Promise<{ envelope: string; keyId: string }> {
  const masterKey = await currentMasterKey(env);
  return { envelope: await seal(masterKey, JSON.stringify(secret), recordAad(owner)), keyId: masterKey.id };
}

/** Opens a key's secret. Call it only on the path that forwards the request, and keep the result local. */
export async function openProviderSecret(
  env: Pick<Env, 'VAULT_KEY' | 'VAULT_KEYS'>,
  owner: SecretOwner,
  envelope: string,
): Promise<ProviderSecret> {
  const plaintext = await open(await masterKeyLookup(env), envelope, recordAad(owner));
  let json: unknown;
  try {
    json = JSON.parse(plaintext);
  } catch {
    // V8's SyntaxError quotes its input, which here is the decrypted secret: it is dropped, not
    // kept as the cause, so no log line or error message can ever carry it.
    throw new VaultError('sealed secret is not JSON');
  }
  if (!isProviderSecret(json)) throw new VaultError('sealed secret has an unexpected shape');
  return json;
}

/**
 * The same secret sealed again under the ring's current key, with the same AAD: for rotation.
 * The plaintext stays inside this function and is re-sealed byte for byte. Throws VaultError when
 * no key of the ring opens the envelope.
 */
export async function resealProviderSecret(ring: MasterKeyRing, owner: SecretOwner, envelope: string): Promise<string> {
  const aad = recordAad(owner);
  const plaintext = await open((keyId) => ring.keys.find((key) => key.id === keyId), envelope, aad);
  return seal(ring.current, plaintext, aad);
}
