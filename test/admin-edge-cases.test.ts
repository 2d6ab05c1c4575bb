// Admin API edge cases: keys that could never work in a header, updates that race or are
// malformed, paths that do not exist, and a misconfigured vault. Nothing half-written, ever.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { findVirtualKeyBySlug, updateVirtualKey } from '../src/store/virtual-keys-table';
import { ADMIN_API_KEY, adminRequest, callKeygate, createVirtualKey, expectError, keyObject, rowCount } from './support/keygate';

describe('provider keys that cannot travel in a header', () => {
  it.each([
    ['a non-ASCII character', 'sk-fake-unicode-…-0000000000000'],
    ['a line break', 'sk-fake-line\r\nX-Injected: 1'],
    ['an inner space', 'sk-fake with-space-000000000000'],
    ['more than 4096 characters', `sk-${'a'.repeat(4100)}`],
  ])('are refused on create when they contain %s', async (_label, key) => {
    const before = await rowCount();
    const body = await expectError(await adminRequest('POST', '/v1/virtual-keys', { name: 'bad', provider: 'openai', key }), 400, 'invalid_body');
    expect(body.error).toMatchObject({ param: 'key' });
    expect(body.message).not.toContain(key);
    expect(await rowCount()).toBe(before);
  });

  it('are refused on rotation, leaving the old key in place', async () => {
    const slug = await createVirtualKey({ key: 'sk-fake-keeps-working-00000001' });
    await expectError(await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { key: 'sk-fake-\u00e9-000000000000000' }), 400, 'invalid_body');
    expect((await keyObject(slug)).masked_api_key).toBe('********0001');
  });
});

describe('update', () => {
  it('removes the expiry with expires_at: null', async () => {
    const slug = await createVirtualKey({ expires_at: new Date(Date.now() + 60_000).toISOString() });
    expect((await keyObject(slug)).expires_at).not.toBeNull();
    expect((await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { expires_at: null })).status).toBe(200);
    expect((await keyObject(slug)).expires_at).toBeNull();
  });

  it('leaves fields that are absent from the body as they were', async () => {
    const slug = await createVirtualKey({ name: 'kept', note: 'kept note' });
    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { status: 'disabled' });
    expect(await keyObject(slug)).toMatchObject({ name: 'kept', note: 'kept note', status: 'disabled' });
  });

  it.each([
    ['invalid JSON', '{"name": ', 'application/json', 400, 'invalid_json'],
    ['a body that is not JSON', 'name=x', 'text/plain', 415, 'unsupported_media_type'],
    ['a body over 64 KiB', JSON.stringify({ note: 'x'.repeat(70 * 1024) }), 'application/json', 413, 'body_too_large'],
  ])('refuses %s and changes nothing', async (_label, body, contentType, status, code) => {
    const slug = await createVirtualKey({ name: 'untouched' });
    const before = await keyObject(slug);
    const response = await callKeygate(`/v1/virtual-keys/${slug}`, {
      method: 'PUT',
      headers: { 'x-portkey-api-key': ADMIN_API_KEY, 'content-type': contentType },
      body,
    });
    await expectError(response, status, code);
    expect(await keyObject(slug)).toEqual(before);
  });

  it('is refused by storage when the row changed since it was read, so a racing update is not undone', async () => {
    const slug = await createVirtualKey({ name: 'raced' });
    const read = (await findVirtualKeyBySlug(env.DB, slug))!;
    // Another request updates the key after `read` was taken.
    expect((await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { status: 'disabled' })).status).toBe(200);
    const stale = { ...read, name: 'stale write', updatedAt: new Date().toISOString() };
    expect(await updateVirtualKey(env.DB, read.id, read.revision, stale)).toBe(false);
    expect(await keyObject(slug)).toMatchObject({ name: 'raced', status: 'disabled' });
  });

  it('answers every one of several concurrent updates with 200 or 409, and loses none it accepted', async () => {
    const slug = await createVirtualKey();
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, index) => adminRequest('PUT', `/v1/virtual-keys/${slug}`, { note: `writer ${index}` })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
    const winners = responses.map((response, index) => (response.status === 200 ? `writer ${index}` : null)).filter(Boolean);
    expect(winners).toContain((await keyObject(slug)).note);
    const row = (await findVirtualKeyBySlug(env.DB, slug))!;
    expect(row.revision).toBe(1 + winners.length);
  });
});

describe('paths', () => {
  it('answers 400 naming the slug for a slug over 200 characters', async () => {
    const body = await expectError(await adminRequest('GET', `/v1/virtual-keys/${'a'.repeat(201)}`), 400, 'invalid_path');
    expect(body.error).toMatchObject({ param: 'slug' });
  });

  it('answers 404 for a path below a key, not 405, and does not fall through to the gateway', async () => {
    await expectError(await adminRequest('GET', '/v1/virtual-keys/a/b'), 404, 'route_not_found');
  });

  it('treats a trailing slash on the collection as the collection', async () => {
    const response = await adminRequest('GET', '/v1/virtual-keys/');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: 'list' });
  });

  it('answers 405 for a method a key path lacks', async () => {
    await expectError(await adminRequest('POST', '/v1/virtual-keys/some-slug', {}), 405, 'method_not_allowed');
  });
});

describe('authentication edge cases', () => {
  it('treats "Bearer " with nothing after it as a missing key', async () => {
    await expectError(await callKeygate('/v1/virtual-keys', { headers: { authorization: 'Bearer ' } }), 401, 'missing_api_key');
  });
});

describe('a misconfigured vault', () => {
  it.each([['missing', ''], ['not 32 bytes', btoa('sixteen bytes!!!')]])('with VAULT_KEY %s, create fails with a 500 naming the setting and writes nothing', async (_label, vaultKey) => {
    const before = await rowCount();
    const response = await callKeygate(
      '/v1/virtual-keys',
      { method: 'POST', headers: { 'x-portkey-api-key': ADMIN_API_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', provider: 'openai', key: 'sk-fake-misconfigured-0000001' }) },
      { VAULT_KEY: vaultKey },
    );
    const body = await expectError(response, 500, 'vault_key_invalid');
    expect(body.message).toMatch(/VAULT_KEY/);
    expect(await rowCount()).toBe(before);
  });
});
