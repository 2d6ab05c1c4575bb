// The isolate-level record cache: it expires after its TTL, an update or delete evicts this
// isolate's copy at once, and it holds the sealed record only, never a plaintext secret.

import { describe, expect, it } from 'vitest';
import { IsolateCache, ISOLATE_CACHE_TTL_MS, isolateRecords } from '../src/store/isolate-cache';
import type { VirtualKeyRecord } from '../src/store/virtual-key-record';
import { adminRequest, chat, createVirtualKey } from './support/keygate';

const record = (slug: string) => ({ slug, id: `vk_${slug}`, secretEnvelope: 'kg1.mk_x.iv.ct' }) as VirtualKeyRecord;

describe('the isolate record cache', () => {
  it('forgets a record after its TTL', () => {
    let now = 0;
    const cache = new IsolateCache<VirtualKeyRecord>(() => now);
    cache.set('a', record('a'));
    now += ISOLATE_CACHE_TTL_MS - 1;
    expect(cache.get('a')?.slug).toBe('a');
    now += 1;
    expect(cache.get('a')).toBeNull();
  });

  it('is filled by the gateway with the sealed record, never the secret', async () => {
    const slug = await createVirtualKey({ key: 'sk-fake-isolate-cache-000000001' });
    await (await chat({ model: `@${slug}/gpt-4o` })).text();
    const cached = isolateRecords.get(slug);
    expect(cached?.secretEnvelope).toMatch(/^kg1\./);
    expect(JSON.stringify(cached)).not.toContain('sk-fake-isolate-cache');
  });

  it.each([
    ['an update', (slug: string) => adminRequest('PUT', `/v1/virtual-keys/${slug}`, { note: 'changed' })],
    ['a delete', (slug: string) => adminRequest('DELETE', `/v1/virtual-keys/${slug}`)],
  ])('loses this isolate’s copy at once on %s', async (_label, change) => {
    const slug = await createVirtualKey();
    await (await chat({ model: `@${slug}/gpt-4o` })).text();
    expect(isolateRecords.get(slug)).not.toBeNull();
    await change(slug);
    expect(isolateRecords.get(slug)).toBeNull();
  });
});
