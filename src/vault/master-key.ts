// Turns the vault secrets into a keyring of non-extractable CryptoKeys with public ids.
//
// VAULT_KEYS is a comma-separated list of keys: the first seals new secrets, every one opens.
// VAULT_KEY alone is a ring of one. When VAULT_KEYS is set (non-empty) it wins and VAULT_KEY is
// not read, so a rotation can start by setting VAULT_KEYS="<new>,<old>" and drop VAULT_KEY later.
//
// An id is a fingerprint (a truncated SHA-256 over a domain-separation label and the key bytes),
// so it needs no configuration, differs between keys, and tells an attacker nothing useful about a
// 256-bit random key.
//
// The imported ring is cached per isolate (importing costs more than a decrypt). It holds key
// handles, not plaintext credentials: decrypted provider secrets are never cached.

import { KeygateError } from '../errors';
import type { MasterKey, MasterKeyLookup } from './crypto';
import { base64Decode, hexEncode } from './encoding';

const KEY_BYTES = 32;
const FINGERPRINT_LABEL = 'keygate master key id v1:';

type VaultSettings = Pick<Env, 'VAULT_KEY' | 'VAULT_KEYS'>;

export interface MasterKeyRing {
  /** The key that seals: the first of VAULT_KEYS, or VAULT_KEY. */
  current: MasterKey;
  /** Every key that opens, in configured order (current first). */
  keys: MasterKey[];
}

let cached: { source: string; ring: Promise<MasterKeyRing> } | undefined;

function misconfigured(setting: string, hint = ''): KeygateError {
  // The message names the setting and the entry's position, never its value.
  return new KeygateError('internal', 'vault_key_invalid', `Keygate is misconfigured: ${setting} must be the standard base64 of 32 random bytes.${hint}`);
}

async function importMasterKey(vaultKey: string, setting: string): Promise<MasterKey> {
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(vaultKey.trim());
  } catch {
    throw misconfigured(setting);
  }
  if (bytes.length !== KEY_BYTES) throw misconfigured(setting);
  const label = new TextEncoder().encode(FINGERPRINT_LABEL);
  const fingerprintInput = new Uint8Array(label.length + bytes.length);
  fingerprintInput.set(label);
  fingerprintInput.set(bytes, label.length);
  const fingerprint = new Uint8Array(await crypto.subtle.digest('SHA-256', fingerprintInput));
  const key = await crypto.subtle.importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  // The audit chain's MAC key derives from the same bytes (src/audit/chain-keys.ts).
  const derive = await crypto.subtle.importKey('raw', bytes, 'HKDF', false, ['deriveBits']);
  bytes.fill(0);
  return { id: `mk_${hexEncode(fingerprint.subarray(0, 8))}`, key, derive };
}

/** Which setting configures the ring, and its text; VAULT_KEYS wins when both are set. */
function ringSource(env: VaultSettings): { setting: 'VAULT_KEYS' | 'VAULT_KEY'; text: string } {
  const keys = env.VAULT_KEYS;
  if (typeof keys === 'string' && keys.trim() !== '') return { setting: 'VAULT_KEYS', text: keys };
  const key = env.VAULT_KEY;
  if (typeof key !== 'string' || key.trim() === '') throw misconfigured('VAULT_KEY', ' Set VAULT_KEY, or VAULT_KEYS while rotating.');
  return { setting: 'VAULT_KEY', text: key };
}

async function importRing(setting: 'VAULT_KEYS' | 'VAULT_KEY', text: string): Promise<MasterKeyRing> {
  const entries = setting === 'VAULT_KEYS' ? text.split(',') : [text];
  const keys = await Promise.all(
    entries.map((entry, index) => importMasterKey(entry, setting === 'VAULT_KEYS' ? `VAULT_KEYS entry ${index + 1}` : 'VAULT_KEY')),
  );
  // The same key listed twice opens nothing new; keep its first place.
  const unique = keys.filter((key, index) => keys.findIndex((other) => other.id === key.id) === index);
  return { current: unique[0]!, keys: unique };
}

/** Every configured master key, imported once per isolate and configuration. */
export function masterKeyRing(env: VaultSettings): Promise<MasterKeyRing> {
  let source: ReturnType<typeof ringSource>;
  try {
    source = ringSource(env);
  } catch (error) {
    return Promise.reject(error);
  }
  const cacheKey = `${source.setting}:${source.text}`;
  if (cached?.source !== cacheKey) {
    const ring = importRing(source.setting, source.text);
    cached = { source: cacheKey, ring };
    // A failed import must not stick in the cache.
    ring.catch(() => {
      if (cached?.ring === ring) cached = undefined;
    });
  }
  return cached.ring;
}

/** The master key that seals new secrets. */
export async function currentMasterKey(env: VaultSettings): Promise<MasterKey> {
  return (await masterKeyRing(env)).current;
}

/** Finds any key of the ring by id. */
export async function masterKeyLookup(env: VaultSettings): Promise<MasterKeyLookup> {
  const ring = await masterKeyRing(env);
  if (ring.keys.length === 1) return (keyId) => (keyId === ring.current.id ? ring.current : undefined);
  return (keyId) => ring.keys.find((key) => key.id === keyId);
}
