// Keygate's SigV4 signer against AWS's own worked example (the IAM ListUsers request of AWS's
// "Create a signed AWS API request" guide), the answer AWS documents for it. Every request the
// Bedrock tests send is also checked by AWS's signer in the fakes (scripts/lib/sigv4-check.mjs).

import { afterEach, describe, expect, it, vi } from 'vitest';
import { signedAwsRequest } from '../src/providers/bedrock/sigv4';

const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

afterEach(() => vi.useRealTimers());

describe('SigV4', () => {
  it('signs AWS’s documented example to the documented signature', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2015-08-30T12:36:00Z'));
    const request = await signedAwsRequest(
      'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08',
      { method: 'GET', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: '' },
      EXAMPLE,
      { service: 'iam', region: 'us-east-1' },
    );
    expect(request.headers.get('x-amz-date')).toBe('20150830T123600Z');
    expect(request.headers.get('authorization')).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, ' +
        'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
    expect(request.redirect).toBe('manual');
  });

  it('signs the session token and sends it, and signs differently for another path', async () => {
    const sign = (path: string, sessionToken?: string) =>
      signedAwsRequest(`https://bedrock-runtime.us-east-1.amazonaws.com${path}`, { method: 'POST', headers: {}, body: '{}' }, { ...EXAMPLE, sessionToken }, { service: 'bedrock', region: 'us-east-1' });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-30T12:00:00Z'));
    const withToken = await sign('/model/a%3Ab/converse', 'session-token');
    expect(withToken.headers.get('x-amz-security-token')).toBe('session-token');
    expect(withToken.headers.get('authorization')).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
    const signature = (request: Request) => /Signature=(\w+)/.exec(request.headers.get('authorization')!)![1];
    expect(signature(await sign('/model/a%3Ab/converse'))).not.toBe(signature(await sign('/model/a%3Ac/converse')));
  });
});
