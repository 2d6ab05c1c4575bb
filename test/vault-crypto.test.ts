// The vault's crypto: round trips, fresh IVs, and every way a stored ciphertext can be tampered
// with or moved must fail to open.

import { describe, expect, it } from 'vitest';
import { envelopeKeyId, open, seal, secretsEqual, sha256Hex, VaultError, type MasterKey } from '../src/vault/crypto';
import { base64UrlDecode, base64UrlEncode } from '../src/vault/encoding';
import { currentMasterKey, masterKeyLookup } from '../src/vault/master-key';
import { openProviderSecret, sealProviderSecret } from '../src/vault/virtual-key-secret';

const VAULT_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const OTHER_VAULT_KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const env = { VAULT_KEY };
const owner = { workspaceId: 'ws_default', id: 'vk_one', slug: 'prod-aaaaaaaaaaaaaaaa' };
const otherOwner = { workspaceId: 'ws_default', id: 'vk_two', slug: 'prod-bbbbbbbbbbbbbbbb' };
const secret = { apiKey: 'sk-fake-vault-test-1234567890' };

async function keyAndLookup(vaultKey = VAULT_KEY): Promise<[MasterKey, (id: string) => MasterKey | undefined]> {
  const masterKey = await currentMasterKey({ VAULT_KEY: vaultKey });
  return [masterKey, (id) => (id === masterKey.id ? masterKey : undefined)];
}

/** Flips one bit of the envelope's part `partIndex` (2 = IV, 3 = ciphertext and tag) at `byteIndex`. */
function flipBit(envelope: string, partIndex: 2 | 3, byteIndex: number): string {
  const parts = envelope.split('.');
  const bytes = base64UrlDecode(parts[partIndex]!);
  const index = byteIndex < 0 ? bytes.length + byteIndex : byteIndex;
  bytes[index] = bytes[index]! ^ 0x01;
  parts[partIndex] = base64UrlEncode(bytes);
  return parts.join('.');
}

describe('seal and open', () => {
  it('round-trips a secret under the same AAD', async () => {
    const [masterKey, lookup] = await keyAndLookup();
    const envelope = await seal(masterKey, 'hello secret', 'aad-1');
    expect(await open(lookup, envelope, 'aad-1')).toBe('hello secret');
  });

  it('uses a fresh IV for every seal, so equal secrets give different ciphertexts', async () => {
    const [masterKey] = await keyAndLookup();
    const first = await seal(masterKey, 'same', 'aad');
    const second = await seal(masterKey, 'same', 'aad');
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
    expect(first).not.toBe(second);
    expect(base64UrlDecode(first.split('.')[2]!)).toHaveLength(12);
  });

  it('names the sealing master key in the envelope and never contains the plaintext', async () => {
    const [masterKey] = await keyAndLookup();
    const envelope = await seal(masterKey, 'sk-fake-visible?', 'aad');
    expect(envelopeKeyId(envelope)).toBe(masterKey.id);
    expect(envelope.startsWith(`kg1.${masterKey.id}.`)).toBe(true);
    expect(envelope).not.toContain('sk-fake-visible');
  });

  it.each([
    ['the first IV byte', 2, 0],
    ['the first ciphertext byte', 3, 0],
    ['the last tag byte', 3, -1],
  ] as const)('fails when a bit of %s is flipped', async (_label, part, byte) => {
    const [masterKey, lookup] = await keyAndLookup();
    const envelope = await seal(masterKey, 'tamper me', 'aad');
    await expect(open(lookup, flipBit(envelope, part, byte), 'aad')).rejects.toThrow(VaultError);
  });

  it('fails under a different AAD', async () => {
    const [masterKey, lookup] = await keyAndLookup();
    const envelope = await seal(masterKey, 'bound', 'record-a');
    await expect(open(lookup, envelope, 'record-b')).rejects.toThrow(VaultError);
  });

  it('fails when the envelope names an unknown master key', async () => {
    const [masterKey] = await keyAndLookup();
    const envelope = await seal(masterKey, 'x', 'aad');
    await expect(open(() => undefined, envelope, 'aad')).rejects.toThrow(/no master key/);
  });

  it('fails when the key id is rewritten to another key', async () => {
    const [masterKey] = await keyAndLookup();
    const [otherKey, otherLookup] = await keyAndLookup(OTHER_VAULT_KEY);
    const envelope = await seal(masterKey, 'x', 'aad');
    const relabelled = envelope.replace(masterKey.id, otherKey.id);
    await expect(open(otherLookup, relabelled, 'aad')).rejects.toThrow(VaultError);
  });

  it.each(['', 'kg1.only.three', 'kg2.mk_1.AAAA.AAAA', 'kg1.mk_1.not*base64.AAAA'])('rejects the malformed envelope %j', async (envelope) => {
    const [, lookup] = await keyAndLookup();
    await expect(open(lookup, envelope, 'aad')).rejects.toThrow(VaultError);
  });
});

describe('virtual key secrets', () => {
  it('open with the record they were sealed for', async () => {
    const sealed = await sealProviderSecret(env, owner, secret);
    expect(sealed.keyId).toBe((await currentMasterKey(env)).id);
    expect(await openProviderSecret(env, owner, sealed.envelope)).toEqual(secret);
  });

  it('fail to open when swapped to another slug', async () => {
    const first = await sealProviderSecret(env, owner, secret);
    const second = await sealProviderSecret(env, otherOwner, { apiKey: 'sk-fake-other-key-000000000' });
    await expect(openProviderSecret(env, otherOwner, first.envelope)).rejects.toThrow(VaultError);
    await expect(openProviderSecret(env, owner, second.envelope)).rejects.toThrow(VaultError);
  });

  it.each([
    ['workspace', { ...owner, workspaceId: 'ws_other' }],
    ['id', { ...owner, id: 'vk_other' }],
    ['slug', { ...owner, slug: 'prod-cccccccccccccccc' }],
  ])('fail to open when only the %s differs', async (_field, moved) => {
    const sealed = await sealProviderSecret(env, owner, secret);
    await expect(openProviderSecret(env, moved, sealed.envelope)).rejects.toThrow(VaultError);
  });

  it('fail to open under another master key', async () => {
    const sealed = await sealProviderSecret(env, owner, secret);
    await expect(openProviderSecret({ VAULT_KEY: OTHER_VAULT_KEY }, owner, sealed.envelope)).rejects.toThrow(VaultError);
  });
});

describe('master key', () => {
  it('has a stable id that differs between keys', async () => {
    const first = await currentMasterKey({ VAULT_KEY });
    const again = await currentMasterKey({ VAULT_KEY: ` ${VAULT_KEY} ` });
    const other = await currentMasterKey({ VAULT_KEY: OTHER_VAULT_KEY });
    expect(first.id).toMatch(/^mk_[0-9a-f]{16}$/);
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
  });

  it('cannot be exported from the isolate', async () => {
    const { key } = await currentMasterKey({ VAULT_KEY });
    expect(key.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
  });

  it.each(['', 'not base64!', btoa('too short'), btoa('x'.repeat(33))])('refuses VAULT_KEY %j without echoing it', async (value) => {
    const attempt = currentMasterKey({ VAULT_KEY: value });
    await expect(attempt).rejects.toThrow(/VAULT_KEY must be the standard base64 of 32 random bytes/);
    await expect(attempt).rejects.not.toThrow(value || 'never-matches');
  });

  it('opens only envelopes of the configured key', async () => {
    const lookup = await masterKeyLookup({ VAULT_KEY });
    const { id } = await currentMasterKey({ VAULT_KEY });
    expect(lookup(id)?.id).toBe(id);
    expect(lookup('mk_0000000000000000')).toBeUndefined();
  });
});

describe('hashing and comparison', () => {
  it('hashes with SHA-256', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it.each([
    ['equal keys', 'kg-admin-abc', 'kg-admin-abc', true],
    ['a different last character', 'kg-admin-abd', 'kg-admin-abc', false],
    ['a prefix', 'kg-admin-ab', 'kg-admin-abc', false],
    ['an empty key', '', 'kg-admin-abc', false],
  ])('compares %s', async (_label, presented, expected, equal) => {
    expect(await secretsEqual(presented, expected)).toBe(equal);
  });
});
