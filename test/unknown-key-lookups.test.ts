// Wrong API keys and unknown virtual-key slugs can't hammer storage: a repeated miss is answered
// from the isolate's memory, and an address that keeps sending wrong keys is slowed with 429 and
// Retry-After before any lookup. Storage reads are counted on the real local D1 and KV.

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addressGroup, FailedSignIns, failedSignIns, FAILED_SIGN_IN_LIMIT, FAILED_SIGN_IN_WINDOW_MS } from '../src/auth/failed-sign-ins';
import { identifyCaller } from '../src/auth/identify-caller';
import { KeygateError } from '../src/errors';
import { forgetUnknownSlugs } from '../src/gateway/resolve-virtual-key';
import { evictApiKey, findApiKeyCredential, forgetUnknownApiKeys } from '../src/store/api-key-cache';
import { isolateApiKeys } from '../src/store/isolate-cache';
import { sha256Hex } from '../src/vault/crypto';
import { base64UrlEncode } from '../src/vault/encoding';
import { chatAs, createApiKey, createWorkspace, createWorkspaceKey, requestAs } from './support/access';
import { ADMIN_API_KEY, callKeygate, createVirtualKey, expectError, testEnv } from './support/keygate';
import { countingStorage } from './support/storage-reads';

/** A key shaped exactly like the ones Keygate issues, that no one was ever issued. */
function wrongKey(): string {
  return `kg-ak-${base64UrlEncode(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** identifyCaller as the authentication middleware calls it, with a client address. */
async function signIn(storage: ReturnType<typeof countingStorage>, key: string, address: string | null) {
  const context = createExecutionContext();
  try {
    return await identifyCaller(testEnv(storage.bindings), context, key, address);
  } finally {
    await waitOnExecutionContext(context);
  }
}

async function refusal(attempt: Promise<unknown>): Promise<KeygateError> {
  const error = await attempt.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KeygateError);
  return error as KeygateError;
}

beforeEach(() => {
  failedSignIns.clear();
  forgetUnknownApiKeys();
  forgetUnknownSlugs();
});

describe('wrong keys from one address', () => {
  it(`1,000 wrong keys cost at most ${FAILED_SIGN_IN_LIMIT} credential reads of D1, then 429 with Retry-After`, async () => {
    const storage = countingStorage();
    const codes = new Map<string, number>();
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const error = await refusal(signIn(storage, wrongKey(), '203.0.113.7'));
      codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      if (error.code === 'too_many_invalid_api_keys') {
        expect(error.kind).toBe('rate_limited');
        expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(error.retryAfterSeconds).toBeLessThanOrEqual(FAILED_SIGN_IN_WINDOW_MS / 1000);
      }
    }
    expect(Object.fromEntries(codes)).toEqual({ invalid_api_key: FAILED_SIGN_IN_LIMIT, too_many_invalid_api_keys: 1_000 - FAILED_SIGN_IN_LIMIT });
    expect(storage.queriesOf('api_key_credentials')).toBe(FAILED_SIGN_IN_LIMIT);
    expect(storage.queries.length).toBeLessThanOrEqual(FAILED_SIGN_IN_LIMIT);
    expect(storage.kvGets.length).toBeLessThanOrEqual(FAILED_SIGN_IN_LIMIT);
  });

  it('slows that address only: a right key that would need a storage read gets 429, one in use and the admin key still work', async () => {
    const workspace = await createWorkspace('throttled');
    const { key } = await createWorkspaceKey(workspace, ['completions.write']);
    const { key: inUse } = await createWorkspaceKey(workspace, ['completions.write']);
    const storage = countingStorage();
    expect((await signIn(storage, inUse, '198.51.100.9')).workspaceId).toBe(workspace);
    for (let attempt = 0; attempt < FAILED_SIGN_IN_LIMIT; attempt++) {
      expect((await refusal(signIn(storage, wrongKey(), '198.51.100.1'))).code).toBe('invalid_api_key');
    }
    const readsBefore = storage.queries.length;
    expect((await refusal(signIn(storage, key, '198.51.100.1'))).code).toBe('too_many_invalid_api_keys');
    expect(storage.queries.length).toBe(readsBefore);
    // One client's wrong keys must not lock out another behind the same address (a NAT, Workers egress).
    expect((await signIn(storage, inUse, '198.51.100.1')).workspaceId).toBe(workspace);
    expect((await signIn(storage, ADMIN_API_KEY, '198.51.100.1')).kind).toBe('bootstrap');
    expect((await signIn(storage, key, '198.51.100.2')).workspaceId).toBe(workspace);
    expect((await signIn(storage, ADMIN_API_KEY, '198.51.100.3')).kind).toBe('bootstrap');
  });

  it('counts junk that is not shaped like a key, and expired keys, but not a missing key', async () => {
    const storage = countingStorage();
    for (let attempt = 0; attempt < FAILED_SIGN_IN_LIMIT - 1; attempt++) {
      expect((await refusal(signIn(storage, `junk-${attempt}`, '192.0.2.9'))).code).toBe('invalid_api_key');
    }
    const context = createExecutionContext();
    for (let attempt = 0; attempt < 50; attempt++) {
      const error = await refusal(identifyCaller(testEnv(storage.bindings), context, null, '192.0.2.9'));
      expect(error.code).toBe('missing_api_key');
    }
    await waitOnExecutionContext(context);
    expect((await refusal(signIn(storage, 'junk-last', '192.0.2.9'))).code).toBe('invalid_api_key');
    expect((await refusal(signIn(storage, 'junk-after', '192.0.2.9'))).code).toBe('too_many_invalid_api_keys');
    expect(storage.queries).toEqual([]);
  });

  it('is not counted without a client address (a service binding, a local tool)', async () => {
    const storage = countingStorage();
    for (let attempt = 0; attempt < FAILED_SIGN_IN_LIMIT * 2; attempt++) {
      expect((await refusal(signIn(storage, wrongKey(), null))).code).toBe('invalid_api_key');
    }
    expect(failedSignIns.size).toBe(0);
  });
});

describe('the count of wrong keys', () => {
  function clocked() {
    const clock = { now: 1_000_000 };
    return { clock, counter: new FailedSignIns(() => clock.now, 3, 60_000, 4) };
  }

  it('answers Retry-After until the window ends, then starts over', () => {
    const { clock, counter } = clocked();
    expect([counter.recordFailure('a'), counter.recordFailure('a'), counter.recordFailure('a')]).toEqual([false, false, true]);
    expect(counter.retryAfterSeconds('a')).toBe(60);
    clock.now += 59_001;
    expect(counter.retryAfterSeconds('a')).toBe(1);
    clock.now += 999;
    expect(counter.retryAfterSeconds('a')).toBeNull();
    counter.recordFailure('a');
    expect(counter.retryAfterSeconds('a')).toBeNull();
  });

  it('keeps a bounded number of addresses, forgetting the oldest', () => {
    const { counter } = clocked();
    for (const address of ['a', 'b', 'c', 'd', 'e']) counter.recordFailure(address);
    expect(counter.size).toBe(4);
    for (let attempt = 0; attempt < 3; attempt++) counter.recordFailure('e');
    expect(counter.retryAfterSeconds('e')).toBe(60);
  });

  it('counts an IPv6 address by its /64, and an IPv4 address alone', () => {
    expect(addressGroup('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('203.0.113.7')).toBe('203.0.113.7');
    const { counter } = clocked();
    for (const host of ['1', '2', '3']) counter.recordFailure(`2001:db8:1:2::${host}`);
    expect(counter.retryAfterSeconds('2001:db8:1:2:ffff::9')).toBe(60);
    expect(counter.retryAfterSeconds('2001:db8:1:3::1')).toBeNull();
  });
});

describe('misses remembered in the isolate', () => {
  afterEach(() => {
    forgetUnknownApiKeys();
    forgetUnknownSlugs();
  });

  it('the same wrong API key 1,000 times reads D1 once', async () => {
    const storage = countingStorage();
    const key = wrongKey();
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const response = await callKeygate('/v1/models', { headers: { authorization: `Bearer ${key}` } }, storage.bindings);
      expect(response.status).toBe(401);
    }
    expect(storage.queriesOf('api_key_credentials')).toBe(1);
    expect(storage.kvGets.length).toBe(1);
  });

  it('the same unknown slug 1,000 times reads D1 once', async () => {
    const storage = countingStorage();
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const response = await callKeygate(
        '/v1/chat/completions',
        {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: '@openai-guess-abcdefghij/gpt-4o-mini', messages: [] }),
        },
        storage.bindings,
      );
      expect(response.status).toBe(404);
    }
    expect(storage.queriesOf('virtual_keys')).toBe(1);
    expect(storage.kvGets.length).toBe(1);
  });

  it('never hides a key created after wrong guesses: a new key works at once in the isolate that made it', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await callKeygate('/v1/models', { headers: { authorization: `Bearer ${wrongKey()}`, 'x-portkey-virtual-key': 'vk-abcdefghij' } })).status).toBe(401);
      await expectError(
        await callKeygate('/v1/models', { headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-portkey-virtual-key': `openai-${attempt}` } }),
        404,
        'virtual_key_not_found',
      );
    }
    const slug = await createVirtualKey();
    expect((await callKeygate('/v1/models', { headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-portkey-virtual-key': slug } })).status).toBe(200);
    const workspace = await createWorkspace('fresh keys');
    const { key } = await createWorkspaceKey(workspace, ['completions.write', 'virtual_keys.create']);
    const created = await requestAs(key, 'POST', '/v1/virtual-keys', { name: 'fresh', provider: 'openai', key: 'sk-fake-fresh-000000000000000000' });
    expect(created.status).toBe(200);
    const freshSlug = ((await created.json()) as { data: { slug: string } }).data.slug;
    expect((await chatAs(key, freshSlug)).status).toBe(200);
  });

  it('a deleted key is refused at once, and stays refused while remembered as unknown', async () => {
    const { id, key } = await createApiKey('organisation/service', { scopes: ['completions.write'] });
    const slug = await createVirtualKey();
    expect((await chatAs(key, slug)).status).toBe(200);
    expect((await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/api-keys/${id}`)).status).toBe(200);
    await expectError(await chatAs(key, slug), 401, 'invalid_api_key');
    await expectError(await chatAs(key, slug), 401, 'invalid_api_key');
    expect((await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/virtual-keys/${slug}`)).status).toBe(200);
    await expectError(await chatAs(ADMIN_API_KEY, slug), 404, 'virtual_key_not_found');
    await expectError(await chatAs(ADMIN_API_KEY, slug), 404, 'virtual_key_not_found');
  });

  it('a change to a key forgets its digest as unknown too', async () => {
    // No API call can make an unknown digest known (a new key is fresh randomness), so the row is
    // taken away and put back by hand: the change's eviction must reach the unknown entry.
    const { key } = await createApiKey('organisation/service', { scopes: ['completions.write'] });
    const digest = await sha256Hex(key);
    const row = await env.DB.prepare('SELECT * FROM api_key_credentials WHERE digest = ?1').bind(digest).first<Record<string, string | null>>();
    await env.DB.prepare('DELETE FROM api_key_credentials WHERE digest = ?1').bind(digest).run();
    isolateApiKeys.evict(digest);
    const context = createExecutionContext();
    expect(await findApiKeyCredential(testEnv(), context, digest)).toBeNull();
    await env.DB.prepare('INSERT INTO api_key_credentials (digest, api_key_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)')
      .bind(row!.digest, row!.api_key_id, row!.expires_at, row!.created_at)
      .run();
    expect(await findApiKeyCredential(testEnv(), context, digest)).toBeNull();
    await evictApiKey(testEnv(), [digest]);
    expect(await findApiKeyCredential(testEnv(), context, digest)).not.toBeNull();
    await waitOnExecutionContext(context);
  });
});

describe('through the Worker', () => {
  it('answers 429 in the error shape with Retry-After, and the D1 reads stay bounded', async () => {
    const storage = countingStorage();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const response = await callKeygate(
        '/v1/chat/completions',
        { method: 'POST', headers: { authorization: `Bearer ${wrongKey()}`, 'cf-connecting-ip': '203.0.113.50', 'content-type': 'application/json' }, body: '{}' },
        storage.bindings,
      );
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(response.headers.get('x-request-id')).toBeTruthy();
        if (statuses.length === FAILED_SIGN_IN_LIMIT + 1) await expectError(response, 429, 'too_many_invalid_api_keys');
      } else {
        await response.body?.cancel();
      }
    }
    expect(statuses.filter((status) => status === 401)).toHaveLength(FAILED_SIGN_IN_LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(1_000 - FAILED_SIGN_IN_LIMIT);
    expect(storage.queriesOf('api_key_credentials')).toBe(FAILED_SIGN_IN_LIMIT);
    const other = await callKeygate('/v1/models', { headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'cf-connecting-ip': '203.0.113.51', 'x-portkey-virtual-key': 'vk-none' } });
    await expectError(other, 404, 'virtual_key_not_found');
  });
});
