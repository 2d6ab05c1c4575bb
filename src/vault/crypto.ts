// The vault's whole crypto surface: seal, open, hash, compare. Everything is WebCrypto.
//
// Sealing is AES-256-GCM (NIST SP 800-38D) with a fresh random 96-bit IV per seal, the IV size
// GCM is specified for (SP 800-38D §8.2.2: random IVs are safe well below 2^32 seals per key).
// The additional authenticated data (AAD) binds each ciphertext to the record it belongs to, so a
// ciphertext copied into another row fails authentication instead of decrypting under the wrong
// name. The envelope names the master key that sealed it, so a keyring can rotate keys later.

import { base64UrlDecode, base64UrlEncode, hexEncode } from './encoding';

const ENVELOPE_VERSION = 'kg1';
const IV_BYTES = 12;

export interface MasterKey {
  /** Public fingerprint of the key; stored beside every ciphertext it seals. */
  id: string;
  key: CryptoKey;
  /** The same key bytes as HKDF input, for keys derived from the master key. */
  derive: CryptoKey;
}

/** Finds the master key an envelope names; returns undefined for an unknown id. */
export type MasterKeyLookup = (keyId: string) => MasterKey | undefined;

export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Seals `plaintext` under `masterKey`, bound to `aad`. Returns a self-describing text envelope. */
export async function seal(masterKey: MasterKey, plaintext: string, aad: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(aad), tagLength: 128 },
    masterKey.key,
    encoder.encode(plaintext),
  );
  return [ENVELOPE_VERSION, masterKey.id, base64UrlEncode(iv), base64UrlEncode(new Uint8Array(ciphertext))].join('.');
}

interface ParsedEnvelope {
  keyId: string;
  iv: Uint8Array;
  ciphertext: Uint8Array;
}

// Envelopes already decoded, by their text. They hold ciphertext only, which is no more secret
// than the stored record it came from, and save each request the base64 work (docs/benchmarks.md).
// Bounded: a full memo starts over.
const parsedEnvelopes = new Map<string, ParsedEnvelope>();
const MAX_PARSED_ENVELOPES = 10_000;

function parseEnvelope(envelope: string): ParsedEnvelope {
  const known = parsedEnvelopes.get(envelope);
  if (known) return known;
  const parts = envelope.split('.');
  if (parts.length !== 4 || parts[0] !== ENVELOPE_VERSION || !parts[1]) {
    throw new VaultError('malformed secret envelope');
  }
  let parsed: ParsedEnvelope;
  try {
    parsed = { keyId: parts[1], iv: base64UrlDecode(parts[2]!), ciphertext: base64UrlDecode(parts[3]!) };
  } catch {
    throw new VaultError('malformed secret envelope');
  }
  if (parsed.iv.length !== IV_BYTES) throw new VaultError('malformed secret envelope');
  if (parsedEnvelopes.size >= MAX_PARSED_ENVELOPES) parsedEnvelopes.clear();
  parsedEnvelopes.set(envelope, parsed);
  return parsed;
}

/** The master key id an envelope was sealed with, without opening it. */
export function envelopeKeyId(envelope: string): string {
  return parseEnvelope(envelope).keyId;
}

/**
 * Opens an envelope. Fails with VaultError on any tampering: a changed byte, a different AAD
 * (the ciphertext of another record), or an unknown master key. The reason is deliberately vague.
 */
export async function open(lookup: MasterKeyLookup, envelope: string, aad: string): Promise<string> {
  const { keyId, iv, ciphertext } = parseEnvelope(envelope);
  const masterKey = lookup(keyId);
  if (!masterKey) throw new VaultError(`no master key with id ${keyId}`);
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(aad), tagLength: 128 },
      masterKey.key,
      ciphertext,
    );
    return decoder.decode(plaintext);
  } catch {
    throw new VaultError('secret failed authentication');
  }
}

/** Lowercase hex SHA-256 of a UTF-8 string; how API keys are stored and compared. */
export async function sha256Hex(text: string): Promise<string> {
  return hexEncode(await sha256(text));
}

/**
 * Compares two secrets without leaking, through timing, how much of them matched or how long
 * the expected one is: both are hashed to 32 bytes first, then every byte is compared.
 */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  return secretMatchesDigest(presented, await secretDigest(expected));
}

/** The SHA-256 digest a stored secret is compared through; worth computing once and keeping. */
export async function secretDigest(secret: string): Promise<Uint8Array> {
  return sha256(secret);
}

/** Whether `presented` hashes to `expectedDigest`, compared in constant time. */
export async function secretMatchesDigest(presented: string, expectedDigest: Uint8Array): Promise<boolean> {
  return digestsEqual(await sha256(presented), expectedDigest);
}

/** Compares two digests in time that depends only on their length, never on where they differ. */
export function digestsEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index++) difference |= left[index]! ^ right[index]!;
  return difference === 0;
}

/** SHA-256 of a UTF-8 string. */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}
