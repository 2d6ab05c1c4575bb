// The credential cache shared by Entra tokens and STS sessions, on a controllable clock, with
// loads that succeed or fail on command.

import { describe, expect, it } from 'vitest';
import { ExpiringCache } from '../src/providers/expiring-cache';

const MINUTE = 60_000;

function setup() {
  let now = 0;
  let loads = 0;
  let failNext = false;
  const cache = new ExpiringCache<string>(() => now, 5 * MINUTE);
  const load = async () => {
    loads += 1;
    if (failNext) throw new Error('token endpoint down');
    return { value: `token-${loads}`, expiresAt: now + 60 * MINUTE };
  };
  return {
    get: () => cache.get('key', load),
    advance: (ms: number) => (now += ms),
    failNextLoads: (fail: boolean) => (failNext = fail),
    loads: () => loads,
  };
}

describe('the expiring cache', () => {
  it('keeps serving a still-valid value when its refresh fails, and retries shortly after', async () => {
    const cache = setup();
    expect(await cache.get()).toBe('token-1');
    cache.advance(56 * MINUTE); // inside the 5-minute refresh margin, still valid
    cache.failNextLoads(true);
    expect(await cache.get()).toBe('token-1');
    expect(await cache.get()).toBe('token-1');
    expect(cache.loads()).toBe(2);
    cache.advance(11_000);
    cache.failNextLoads(false);
    expect(await cache.get()).toBe('token-3');
  });

  it('fails once the old value has expired and the refresh fails too', async () => {
    const cache = setup();
    await cache.get();
    cache.advance(61 * MINUTE);
    cache.failNextLoads(true);
    await expect(cache.get()).rejects.toThrow('token endpoint down');
  });
});
