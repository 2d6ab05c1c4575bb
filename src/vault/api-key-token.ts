// The secret of an API key: made here, shown to its creator once, and stored only as a digest.
//
// A key is 32 bytes from the CSPRNG (256 bits) behind the prefix `kg-ak-`, so secret scanners and
// people can tell what it is. Such a key needs no slow password hash (bcrypt, scrypt, argon2):
// those exist to make guessing a low-entropy password from its hash expensive, and 2^256
// candidates are out of reach of any guessing however fast the hash. One SHA-256 is enough, and
// it keeps authentication off the CPU budget of every request (RFC 6819 §5.1.4.1.3 asks only that
// tokens be unguessable; NIST SP 800-63B §5.1.1.2 keeps key stretching for memorised secrets).

import { sha256Hex } from './crypto';
import { base64UrlEncode } from './encoding';

export const API_KEY_PREFIX = 'kg-ak-';
const KEY_BYTES = 32;

export interface NewApiKeyToken {
  /** The key itself: returned to the caller once, never stored or logged. */
  key: string;
  /** Lowercase hex SHA-256 of the key: what is stored and looked up. */
  digest: string;
  /** At most the last 4 characters, for reads. */
  masked: string;
}

// The prefix and the base64url of 32 bytes: 43 characters, no padding.
const API_KEY_SHAPE = /^kg-ak-[A-Za-z0-9_-]{43}$/;

/** Whether `presented` could be a key Keygate issued; anything else needs no lookup to refuse. */
export function isApiKeyShaped(presented: string): boolean {
  return API_KEY_SHAPE.test(presented);
}

export async function newApiKeyToken(): Promise<NewApiKeyToken> {
  const key = API_KEY_PREFIX + base64UrlEncode(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
  return { key, digest: await sha256Hex(key), masked: `${API_KEY_PREFIX}********${key.slice(-4)}` };
}
