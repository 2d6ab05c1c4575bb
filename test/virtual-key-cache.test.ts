// The KV cache of slug -> record: the gateway fills it, update and delete evict it, and a
// rotated key is used on the very next request.

import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { isolateRecords } from '../src/store/isolate-cache';
import { kvKeys } from '../src/store/kv-keys';
import { adminRequest, chat, createVirtualKey, expectError, upstreamRequests } from './support/keygate';

async function cachedRecord(slug: string): Promise<Record<string, unknown> | null> {
  return env.KEY_CACHE.get(kvKeys.virtualKeyBySlug(slug), 'json');
}

describe('the virtual key cache', () => {
  it('is filled by a gateway request with the sealed record, not the secret', async () => {
    const slug = await createVirtualKey({ key: 'sk-fake-cache-fill-000000000001' });
    expect(await cachedRecord(slug)).toBeNull();
    expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(200);
    const cached = await cachedRecord(slug);
    expect(cached).toMatchObject({ slug, provider: 'openai' });
    expect(cached!.secretEnvelope).toMatch(/^kg1\./);
    expect(JSON.stringify(cached)).not.toContain('sk-fake-cache-fill');
  });

  it('is evicted by an update, so a rotated key is used on the next request', async () => {
    const slug = await createVirtualKey({ key: 'sk-fake-rotation-old-00000000001' });
    await chat({ model: `@${slug}/gpt-4o` });
    expect(await cachedRecord(slug)).not.toBeNull();

    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { key: 'sk-fake-rotation-new-00000000001' });
    expect(await cachedRecord(slug)).toBeNull();

    const testId = crypto.randomUUID();
    expect((await chat({ model: `@${slug}/gpt-4o` }, { 'x-test-id': testId })).status).toBe(200);
    const [received] = await upstreamRequests(testId);
    expect(received!.headers.authorization).toBe('Bearer sk-fake-rotation-new-00000000001');
  });

  it('is evicted by a disable, which takes effect on the next request', async () => {
    const slug = await createVirtualKey();
    await chat({ model: `@${slug}/gpt-4o` });
    await adminRequest('PUT', `/v1/virtual-keys/${slug}`, { status: 'disabled' });
    expect(await cachedRecord(slug)).toBeNull();
    await expectError(await chat({ model: `@${slug}/gpt-4o` }), 403, 'virtual_key_disabled');
  });

  it('is evicted by a delete, so the slug is refused at once', async () => {
    const slug = await createVirtualKey();
    await chat({ model: `@${slug}/gpt-4o` });
    expect(await cachedRecord(slug)).not.toBeNull();
    await adminRequest('DELETE', `/v1/virtual-keys/${slug}`);
    expect(await cachedRecord(slug)).toBeNull();
    await expectError(await chat({ model: `@${slug}/gpt-4o` }), 404, 'virtual_key_not_found');
  });

  it('treats an unreadable cached value as a miss and answers from D1', async () => {
    const slug = await createVirtualKey();
    await env.KEY_CACHE.put(kvKeys.virtualKeyBySlug(slug), JSON.stringify({ slug, shape: 'from an older version' }));
    expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(200);
  });

  it('refuses a cached record whose envelope was moved from another key', async () => {
    const victim = await createVirtualKey({ key: 'sk-fake-victim-000000000000001' });
    const attacker = await createVirtualKey({ key: 'sk-fake-attacker-0000000000001' });
    await chat({ model: `@${victim}/gpt-4o` });
    await chat({ model: `@${attacker}/gpt-4o` });
    const victimRecord = (await cachedRecord(victim))!;
    const attackerRecord = (await cachedRecord(attacker))!;
    // Someone with write access to KV (or D1) copies the victim's ciphertext into their own record.
    await env.KEY_CACHE.put(kvKeys.virtualKeyBySlug(attacker), JSON.stringify({ ...attackerRecord, secretEnvelope: victimRecord.secretEnvelope }));
    // As an isolate without its own copy would, read KV.
    isolateRecords.clear();
    const testId = crypto.randomUUID();
    const response = await chat({ model: `@${attacker}/gpt-4o` }, { 'x-test-id': testId });
    const body = await expectError(response, 500, 'virtual_key_unreadable');
    expect(body.message).not.toContain('sk-fake');
    expect(await upstreamRequests(testId)).toEqual([]);
  });
});
