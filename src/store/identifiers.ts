// Identifiers for stored records. Slugs are what apps hold instead of a key: a readable prefix
// from the name and an 80-bit random suffix, so they can't be guessed and never depend on the key.

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

/** `openai-prod-<16 base32 chars>`: 10 random bytes, 80 bits. */
export function newSlug(name: string): string {
  const prefix = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_PREFIX_LENGTH)
    .replace(/-+$/, '');
  const suffix = randomBase32(10);
  return prefix ? `${prefix}-${suffix}` : `vk-${suffix}`;
}

export function newVirtualKeyId(): string {
  return `vk_${randomBase32(15)}`;
}
