// The audit chain's MAC keys. Each master key has one, derived from it by HKDF-SHA-256, named by
// the master key's id: a record names the key id it was sealed under, so records sealed before a
// rotation still verify while their master key is in VAULT_KEYS. A re-seal stores each older chain
// key sealed (AES-GCM, like a provider secret) under the current master key in
// `audit_chain_keys`, so they keep verifying after their master key leaves the ring.
//
// Someone who can write D1 but can't read the Worker's secrets can't compute any of these keys.

import { findChainKeyEnvelope } from '../store/audit-chain-keys-table';
import { open, seal, type MasterKey } from '../vault/crypto';
import { base64Decode, base64Encode, hexEncode } from '../vault/encoding';
import { masterKeyLookup, masterKeyRing } from '../vault/master-key';

const encoder = new TextEncoder();
const HKDF_SALT = encoder.encode('keygate audit chain');
const HKDF_INFO = encoder.encode('keygate audit chain key v1');

/** The additional data a stored chain key is sealed with: it opens only as the key it names. */
export const chainKeyAad = (keyId: string) => `audit-chain-key:${keyId}`;

export async function chainKeyBytes(master: MasterKey): Promise<Uint8Array> {
  const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info: HKDF_INFO }, master.derive, 256);
  return new Uint8Array(bits);
}

const importMacKey = (bytes: Uint8Array) => crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);

// Imported MAC keys by key id, per isolate: a key id always names the same key bytes.
const macKeys = new Map<string, CryptoKey>();

/** The MAC key records sealed under `keyId` use, or null when no configured or stored key gives it. */
export async function chainKey(env: Env, keyId: string): Promise<CryptoKey | null> {
  const known = macKeys.get(keyId);
  if (known) return known;
  const ring = await masterKeyRing(env);
  const master = ring.keys.find((key) => key.id === keyId);
  let bytes: Uint8Array | null = master ? await chainKeyBytes(master) : null;
  if (!bytes) {
    const envelope = await findChainKeyEnvelope(env.DB, keyId);
    if (!envelope) return null;
    try {
      bytes = base64Decode(await open(await masterKeyLookup(env), envelope, chainKeyAad(keyId)));
    } catch {
      return null;
    }
  }
  const key = await importMacKey(bytes);
  macKeys.set(keyId, key);
  return key;
}

/** A chain key, sealed under `sealer` for `audit_chain_keys`. */
export async function sealChainKey(master: MasterKey | null, env: Env, keyId: string, sealer: MasterKey): Promise<string | null> {
  let text: string | null = null;
  if (master) text = base64Encode(await chainKeyBytes(master));
  else {
    const envelope = await findChainKeyEnvelope(env.DB, keyId);
    if (envelope) text = await open(await masterKeyLookup(env), envelope, chainKeyAad(keyId));
  }
  return text === null ? null : seal(sealer, text, chainKeyAad(keyId));
}

/** HMAC-SHA-256 over the previous link and the record's canonical bytes, in hex. */
export async function chainMac(key: CryptoKey, prevHash: string, canonical: string): Promise<string> {
  return hexEncode(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${prevHash}\n${canonical}`))));
}

/** What a record's `hash` holds before it is sealed: its MAC over no link. */
export const PENDING_LINK = 'pending';

/** Forgets the imported MAC keys, so the next use derives or opens them again (tests). */
export function forgetChainKeys(): void {
  macKeys.clear();
}
