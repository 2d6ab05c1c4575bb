// Turns the VAULT_KEY secret into a non-extractable CryptoKey with a public id.
//
// The id is a fingerprint (a truncated SHA-256 over a domain-separation label and the key bytes),
// so it needs no configuration, differs between keys, and tells an attacker nothing useful about a
// 256-bit random key. A later keyring maps several such ids to keys for rotation.
//
// The imported CryptoKey is cached per isolate (importing costs more than a decrypt). That is a
// key handle, not a plaintext credential: decrypted provider secrets are never cached.

import { KeygateError } from '../errors';
import type { MasterKey, MasterKeyLookup } from './crypto';
import { base64Decode, hexEncode } from './encoding';

const KEY_BYTES = 32;
const FINGERPRINT_LABEL = 'keygate master key id v1:';

let cached: { source: string; masterKey: Promise<MasterKey> } | undefined;

function misconfigured(): KeygateError {
  // The message names the setting, never its value.
  return new KeygateError(
    'internal',
    'vault_key_invalid',
    'Keygate is misconfigured: VAULT_KEY must be the standard base64 of 32 random bytes.',
  );
}

async function importMasterKey(vaultKey: string): Promise<MasterKey> {
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(vaultKey.trim());
  } catch {
    throw misconfigured();
  }
  if (bytes.length !== KEY_BYTES) throw misconfigured();
  const label = new TextEncoder().encode(FINGERPRINT_LABEL);
  const fingerprintInput = new Uint8Array(label.length + bytes.length);
  fingerprintInput.set(label);
  fingerprintInput.set(bytes, label.length);
  const fingerprint = new Uint8Array(await crypto.subtle.digest('SHA-256', fingerprintInput));
  const key = await crypto.subtle.importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  bytes.fill(0);
  return { id: `mk_${hexEncode(fingerprint.subarray(0, 8))}`, key };
}

/** The master key that seals new secrets. */
export function currentMasterKey(env: Pick<Env, 'VAULT_KEY'>): Promise<MasterKey> {
  const source = env.VAULT_KEY;
  if (typeof source !== 'string' || source.trim() === '') return Promise.reject(misconfigured());
  if (cached?.source !== source) {
    const masterKey = importMasterKey(source);
    cached = { source, masterKey };
    // A failed import must not stick in the cache.
    masterKey.catch(() => {
      if (cached?.masterKey === masterKey) cached = undefined;
    });
  }
  return cached.masterKey;
}

/** Every master key that can open secrets. Today that is one key; rotation adds a keyring here. */
export async function masterKeyLookup(env: Pick<Env, 'VAULT_KEY'>): Promise<MasterKeyLookup> {
  const current = await currentMasterKey(env);
  return (keyId) => (keyId === current.id ? current : undefined);
}
