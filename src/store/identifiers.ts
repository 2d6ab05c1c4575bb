// Identifiers for stored records. Slugs are what apps hold instead of a key: a readable prefix
// from the name and an 80-bit random suffix, so they can't be guessed and never depend on the key.

import { hexEncode } from '../vault/encoding';

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const MAX_PREFIX_LENGTH = 24;

export const DEFAULT_WORKSPACE_ID = 'ws_default';

function randomBase32(byteCount: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(byteCount));
  let bits = 0;
  let buffer = 0;
  let text = '';
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) text += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return text;
}

/** A readable part of a name for an identifier: lowercase letters, digits and single dashes. */
function namePart(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_PREFIX_LENGTH)
    .replace(/-+$/, '');
}

/** `openai-prod-<16 base32 chars>`: 10 random bytes, 80 bits. */
export function newSlug(name: string): string {
  const prefix = namePart(name);
  const suffix = randomBase32(10);
  return prefix ? `${prefix}-${suffix}` : `vk-${suffix}`;
}

/** Portkey's workspace id form, `ws-<name part>-<6 hex>`; it is also the workspace's slug. */
export function newWorkspaceId(name: string): string {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(3)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `ws-${namePart(name) || 'workspace'}-${suffix}`;
}

/** API keys are UUIDs, as Portkey's API types their ids. */
export function newApiKeyId(): string {
  return crypto.randomUUID();
}

export function newVirtualKeyId(): string {
  return `vk_${randomBase32(15)}`;
}

/**
 * A usage row's id: a UUID of version 7 (RFC 9562 §5.7), 48 bits of the Unix time in ms and 74
 * random bits. Rows are written in time order, so their primary key grows at the end of its
 * B-tree instead of at a random page: a random UUID made each insert cost about twice as much
 * CPU in local D1 once the table held 100,000 rows, and more as it grows (docs/benchmarks.md).
 */
export function newUsageEventId(at: number = Date.now()): string {
  const now = Math.floor(at);
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // Two 24-bit halves: bitwise operators in JavaScript work on 32 bits only.
  const high = Math.floor(now / 0x1000000);
  const low = now % 0x1000000;
  bytes[0] = (high >>> 16) & 0xff;
  bytes[1] = (high >>> 8) & 0xff;
  bytes[2] = high & 0xff;
  bytes[3] = (low >>> 16) & 0xff;
  bytes[4] = (low >>> 8) & 0xff;
  bytes[5] = low & 0xff;
  bytes[6] = 0x70 | (bytes[6]! & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8]! & 0x3f); // variant 10
  const hex = hexEncode(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
