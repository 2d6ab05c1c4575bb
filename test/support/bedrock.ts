// Bedrock virtual keys as the seed's examples create them, and what the fake AWS recorded.

import { fakeUpstreamUrl } from './keygate';

/** Access keys the fake AWS accepts: the secret is `secret-for-<id>`. */
export const ACCESS_KEY_ID = 'FAKEACCESSKEY00001';
export const SECRET_ACCESS_KEY = `secret-for-${ACCESS_KEY_ID}`;

/** Keygate's own base credentials, for assumed roles. */
export const BASE_CREDENTIALS_ENV = { AWS_ACCESS_KEY_ID: 'FAKEBASEKEY00001', AWS_SECRET_ACCESS_KEY: 'secret-for-FAKEBASEKEY00001' };

export function bedrockAccessKeyBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'bedrock-prod',
    provider: 'bedrock',
    awsRegion: 'us-east-1',
    awsAuthType: 'accessKey',
    awsAccessKeyId: ACCESS_KEY_ID,
    awsSecretAccessKey: SECRET_ACCESS_KEY,
    ...overrides,
  };
}

export function bedrockRoleBody(roleArn: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'bedrock-role', provider: 'bedrock', awsRegion: 'us-west-2', awsAuthType: 'assumedRole', awsRoleArn: roleArn, ...overrides };
}

export function uniqueRoleArn(label = 'bedrock'): string {
  return `arn:aws:iam::123456789012:role/${label}-${crypto.randomUUID()}`;
}

/** A model id no other test uses, with the `:` that must be sent as %3A. */
export function uniqueModel(label = 'anthropic.claude-3-haiku'): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}-v1:0`;
}

export interface RecordedBedrockCall {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown> & { messages?: unknown[] };
}

export async function bedrockRequests(model: string): Promise<RecordedBedrockCall[]> {
  return (await (await fetch(`${fakeUpstreamUrl()}/__fake/bedrock-requests?model=${encodeURIComponent(model)}`)).json()) as RecordedBedrockCall[];
}

export async function stsRequests(roleArn: string): Promise<Array<{ sessionName: string; externalId: string | null; version: string; action: string }>> {
  return (await (await fetch(`${fakeUpstreamUrl()}/__fake/sts-requests?role=${encodeURIComponent(roleArn)}`)).json()) as Array<{
    sessionName: string;
    externalId: string | null;
    version: string;
    action: string;
  }>;
}
