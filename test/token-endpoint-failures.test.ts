// When Entra ID or AWS STS cannot be reached, the client gets a stable code and the operator one
// log line saying which host failed and how (DNS, TLS, refused, timeout …). The thrown error
// keeps the network error as its cause. No secret, token or path goes into either.

import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { EntraTokenCache } from '../src/providers/azure-openai/entra-token-cache';
import { AssumedRoleCache } from '../src/providers/bedrock/assume-role';
import { uniqueRoleArn } from './support/bedrock';

const CLIENT_SECRET = 'fake-entra-secret-unreachable-0000001';
const BASE_SECRET = 'secret-for-FAKEBASEKEYUNREACH';

let lines: Array<{ level: string; line: string }> = [];
beforeEach(() => {
  lines = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => lines.push({ level, line: args.map(String).join(' ') }));
  }
});
afterEach(() => vi.restoreAllMocks());

function loggedEvent(code: string): Record<string, unknown> {
  const found = lines.map(({ line }) => JSON.parse(line) as Record<string, unknown>).find((event) => event.code === code);
  expect(found, lines.map(({ line }) => line).join('\n')).toBeDefined();
  return found!;
}

it('keeps the cause of an unreachable Entra token endpoint and logs its host and kind', async () => {
  const tenant = `tenant-${crypto.randomUUID()}`;
  const failure = await new EntraTokenCache()
    .token({ authorityHost: 'http://127.0.0.1:1/entra', tenantId: tenant, clientId: 'client-unreachable', clientSecret: CLIENT_SECRET }, 'virtual key vk-entra')
    .then(
      () => null,
      (error: unknown) => error as Error & { code?: string },
    );
  expect(failure).toMatchObject({ code: 'entra_unavailable', kind: 'upstream_unreachable' });
  expect(failure!.cause).toBeInstanceOf(Error);
  const event = loggedEvent('entra_unreachable');
  expect(event).toMatchObject({ level: 'error', host: '127.0.0.1:1', subject: 'virtual key vk-entra', errorClass: expect.any(String) });
  expect(['refused', 'reset', 'other']).toContain(event.kind);
  for (const { line } of lines) {
    expect(line).not.toContain(CLIENT_SECRET);
    expect(line).not.toContain(tenant);
  }
});

it('keeps the cause of an unreachable STS and logs its host and kind', async () => {
  const roleArn = uniqueRoleArn('unreachable');
  const failure = await new AssumedRoleCache()
    .credentials({
      stsEndpoint: 'http://127.0.0.1:1/sts/us-east-1',
      region: 'us-east-1',
      base: { accessKeyId: 'FAKEBASEKEYUNREACH', secretAccessKey: BASE_SECRET },
      roleArn,
      sessionName: 'keygate-unreachable',
    })
    .then(
      () => null,
      (error: unknown) => error as Error & { code?: string },
    );
  expect(failure).toMatchObject({ code: 'aws_sts_unavailable', kind: 'upstream_unreachable' });
  expect(failure!.cause).toBeInstanceOf(Error);
  expect(loggedEvent('aws_sts_unreachable')).toMatchObject({ level: 'error', host: '127.0.0.1:1', role: roleArn, errorClass: expect.any(String) });
  for (const { line } of lines) {
    expect(line).not.toContain(BASE_SECRET);
    expect(line).not.toContain('FAKEBASEKEYUNREACH');
  }
});
