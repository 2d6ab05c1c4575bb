// The STS credential cache on a controllable clock: one AssumeRole per role until 5 minutes before
// the credentials expire, one shared call for concurrent callers, and no caching of refusals.

import { describe, expect, it } from 'vitest';
import { AssumedRoleCache, type RoleToAssume } from '../src/providers/bedrock/assume-role';
import { stsRequests, uniqueRoleArn } from './support/bedrock';
import { fakeUpstreamUrl } from './support/keygate';

function role(overrides: Partial<RoleToAssume> = {}): RoleToAssume {
  return {
    stsEndpoint: `${fakeUpstreamUrl()}/sts/us-east-1`,
    region: 'us-east-1',
    base: { accessKeyId: 'FAKEBASEKEY00001', secretAccessKey: 'secret-for-FAKEBASEKEY00001' },
    roleArn: uniqueRoleArn(),
    sessionName: 'keygate-test',
    ...overrides,
  };
}

describe('the assumed-role cache', () => {
  it('reuses credentials until 5 minutes before they expire', async () => {
    // The fake's credentials expire an hour after the real clock; this clock starts there too.
    let now = Date.now();
    const cache = new AssumedRoleCache(() => now);
    const target = role();
    const first = await cache.credentials(target);
    expect(first.sessionToken).toMatch(/^fake-session-token-/);
    now += 54 * 60 * 1000;
    expect(await cache.credentials(target)).toEqual(first);
    now += 2 * 60 * 1000;
    expect(await cache.credentials(target)).not.toEqual(first);
    expect(await stsRequests(target.roleArn)).toHaveLength(2);
  });

  it('shares one AssumeRole among concurrent first callers', async () => {
    const cache = new AssumedRoleCache();
    const target = role();
    const all = await Promise.all(Array.from({ length: 6 }, () => cache.credentials(target)));
    expect(new Set(all.map((credentials) => credentials.accessKeyId)).size).toBe(1);
    expect(await stsRequests(target.roleArn)).toHaveLength(1);
  });

  it('does not cache a refusal', async () => {
    const cache = new AssumedRoleCache();
    const target = role({ roleArn: uniqueRoleArn('denied') });
    await expect(cache.credentials(target)).rejects.toMatchObject({ code: 'aws_assume_role_refused' });
    await expect(cache.credentials(target)).rejects.toMatchObject({ code: 'aws_assume_role_refused' });
    expect(await stsRequests(target.roleArn)).toHaveLength(2);
  });

  it('sends the external id, and is refused without the right one', async () => {
    const cache = new AssumedRoleCache();
    const needing = uniqueRoleArn('x').replace(/$/, '-needs-external-id');
    await expect(cache.credentials(role({ roleArn: needing }))).rejects.toMatchObject({ code: 'aws_assume_role_refused' });
    const credentials = await cache.credentials(role({ roleArn: needing, externalId: 'expected-external-id' }));
    expect(credentials.accessKeyId).toMatch(/^FAKESTS\d+$/);
  });
});
