// The Google token cache on a controllable clock, against the fake Google token endpoint: one
// exchange per service account until 5 minutes before the token expires, then a fresh one; and
// separate tokens for separate keys of one account.

import { describe, expect, it } from 'vitest';
import { GoogleTokenCache } from '../src/providers/vertex-ai/google-token';
import type { ServiceAccount } from '../src/providers/vertex-ai/service-account';
import { fakeUpstreamUrl } from './support/keygate';
import { googleTokenRequests, newServiceAccount } from './support/vertex';

function clock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const tokenUrl = () => `${fakeUpstreamUrl()}/google/token`;

describe('the Google token cache', () => {
  it('refreshes a token 5 minutes before it expires', async () => {
    const time = clock();
    const cache = new GoogleTokenCache(time.now);
    const { file } = await newServiceAccount({ expiresIn: 400 });
    const account = file as unknown as ServiceAccount;
    const first = await cache.token(account, tokenUrl(), 'test key');
    time.advance(99_999); // a 400 s token, handed out until 300 s before it expires
    expect(await cache.token(account, tokenUrl(), 'test key')).toBe(first);
    expect(await googleTokenRequests(file.client_email)).toHaveLength(1);
    time.advance(1);
    const second = await cache.token(account, tokenUrl(), 'test key');
    expect(second).not.toBe(first);
    const requests = await googleTokenRequests(file.client_email);
    expect(requests).toHaveLength(2);
    // Each exchange signs a fresh assertion, valid for an hour from when it was signed.
    for (const { claims } of requests) expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
  });

  it('keeps a token per key: another key of the same account gets its own', async () => {
    const cache = new GoogleTokenCache(clock().now);
    const { file } = await newServiceAccount();
    const other = await newServiceAccount();
    const sameEmailOtherKey = { ...other.file, client_email: file.client_email } as unknown as ServiceAccount;
    const first = await cache.token(file as unknown as ServiceAccount, tokenUrl(), 'test key');
    // The fake knows the other key id under another email, so Google refuses it: no shared token.
    await expect(cache.token(sameEmailOtherKey, tokenUrl(), 'test key')).rejects.toThrow(/Google refused/);
    expect(await cache.token(file as unknown as ServiceAccount, tokenUrl(), 'test key')).toBe(first);
  });

  it('does not keep a refusal: the next call asks again', async () => {
    const cache = new GoogleTokenCache(clock().now);
    const { file } = await newServiceAccount({ disabled: true });
    const account = file as unknown as ServiceAccount;
    await expect(cache.token(account, tokenUrl(), 'test key')).rejects.toThrow(/invalid_grant/);
    await expect(cache.token(account, tokenUrl(), 'test key')).rejects.toThrow(/invalid_grant/);
    expect(await googleTokenRequests(file.client_email)).toHaveLength(2);
  });
});
