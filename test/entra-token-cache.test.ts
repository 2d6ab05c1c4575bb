// The Entra token cache on a controllable clock: one token request per client until 5 minutes
// before expiry, one shared fetch for concurrent callers, and no caching of failures.

import { describe, expect, it } from 'vitest';
import { EntraTokenCache, type EntraClient } from '../src/providers/azure-openai/entra-token-cache';
import { KeygateError } from '../src/errors';
import { entraTokenRequests, fakeUpstreamUrl } from './support/keygate';

function client(overrides: Partial<EntraClient> = {}): EntraClient {
  return {
    authorityHost: `${fakeUpstreamUrl()}/entra`,
    tenantId: `tenant-${crypto.randomUUID()}`,
    clientId: 'client-cache',
    clientSecret: 'fake-entra-secret-cache-0000000001',
    ...overrides,
  };
}

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('the Entra token cache', () => {
  it('reuses a token until 5 minutes before it expires, then fetches a new one', async () => {
    const time = clock();
    const cache = new EntraTokenCache(time.now);
    const entra = client();
    const first = await cache.token(entra, 'test key');
    // The fake issues tokens valid for 3599 s; the cache hands this one out for 3299 s.
    time.advance(3_298_999);
    expect(await cache.token(entra, 'test key')).toBe(first);
    expect(await entraTokenRequests(entra.tenantId)).toHaveLength(1);
    time.advance(1);
    const second = await cache.token(entra, 'test key');
    expect(second).not.toBe(first);
    expect(await entraTokenRequests(entra.tenantId)).toHaveLength(2);
  });

  it('refreshes a short-lived token 5 minutes early', async () => {
    const time = clock();
    const cache = new EntraTokenCache(time.now);
    const entra = client({ clientId: 'short-lived-client' });
    const first = await cache.token(entra, 'test key');
    time.advance(99_999); // 400 s token, 300 s margin
    expect(await cache.token(entra, 'test key')).toBe(first);
    time.advance(1);
    expect(await cache.token(entra, 'test key')).not.toBe(first);
  });

  it('shares one fetch among concurrent first callers', async () => {
    const cache = new EntraTokenCache(clock().now);
    const entra = client();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => cache.token(entra, 'test key')));
    expect(new Set(tokens).size).toBe(1);
    expect(await entraTokenRequests(entra.tenantId)).toHaveLength(1);
  });

  it('keeps separate tokens per tenant, client and secret', async () => {
    const cache = new EntraTokenCache(clock().now);
    const entra = client();
    await cache.token(entra, 'test key');
    await cache.token({ ...entra, clientId: 'client-other' }, 'test key');
    await cache.token({ ...entra, clientSecret: 'fake-entra-secret-cache-0000000002' }, 'test key');
    expect(await entraTokenRequests(entra.tenantId)).toHaveLength(3);
  });

  it('does not cache a refusal: the next call asks again', async () => {
    const cache = new EntraTokenCache(clock().now);
    const entra = client({ clientSecret: 'refused-secret-000000000000000001' });
    await expect(cache.token(entra, 'test key')).rejects.toBeInstanceOf(KeygateError);
    await expect(cache.token(entra, 'test key')).rejects.toMatchObject({ code: 'entra_token_refused' });
    expect(await entraTokenRequests(entra.tenantId)).toHaveLength(2);
  });

  it('reports an unreachable token endpoint as entra_unavailable', async () => {
    const cache = new EntraTokenCache(clock().now);
    await expect(cache.token(client({ authorityHost: 'http://127.0.0.1:1/entra' }), 'test key')).rejects.toMatchObject({
      code: 'entra_unavailable',
      kind: 'upstream_unreachable',
    });
  });
});
