// Shared set-up for the Node end-to-end tests: a fake OpenAI on loopback, Keygate built as it
// deploys in front of it, and SDK clients pointed at Keygate.

import OpenAI from 'openai';
import { Portkey } from 'portkey-ai';
import { afterAll, beforeAll, expect } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../scripts/lib/fake-openai.mjs';
import { launchKeygate, type LaunchedKeygate } from '../../scripts/lib/launch-worker.mjs';

export interface RecordedRequest {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface VirtualKey {
  slug: string;
  name: string;
  note: string | null;
  ai_provider_name: string;
  masked_api_key: string | null;
  status: string;
  created_at: string;
  updated_at: string;
  model_config: Record<string, unknown>;
}

let fake: FakeOpenAI;
let keygate: LaunchedKeygate;
let admin: Portkey;

/** Starts a fake OpenAI and Keygate in front of it for the calling test file. */
export function useKeygateWithFakeUpstream(): void {
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    keygate = await launchKeygate({
      vars: {
        OPENAI_BASE_URL: `${fake.url}/v1`,
        AZURE_OPENAI_ENDPOINT: `${fake.url}/azure/{resource}`,
        AZURE_AUTHORITY_HOST: `${fake.url}/entra`,
        BEDROCK_RUNTIME_ENDPOINT: `${fake.url}/bedrock/{region}`,
        AWS_STS_ENDPOINT: `${fake.url}/sts/{region}`,
        GOOGLE_TOKEN_URL: `${fake.url}/google/token`,
        VERTEX_ENDPOINT: `${fake.url}/vertex/{region}`,
        VERTEX_GLOBAL_ENDPOINT: `${fake.url}/vertex-global`,
      },
    });
    admin = portkeyClient();
  });
  afterAll(async () => {
    await keygate?.close();
    await fake?.close();
  });
}

export const keygateUrl = () => keygate.url;
export const fakeUrl = () => fake.url;
export const adminApiKey = () => keygate.adminApiKey;
export const adminClient = () => admin;

/** A Portkey client on Keygate. No retries, so a failure shows at once and exactly once. */
export function portkeyClient(options: { apiKey?: string; virtualKey?: string } = {}): Portkey {
  const client = new Portkey({ apiKey: options.apiKey ?? keygate.adminApiKey, baseURL: `${keygate.url}/v1`, virtualKey: options.virtualKey });
  client.maxRetries = 0; // not a constructor option in portkey-ai v3 (it would become a header)
  return client;
}

export function openaiClient(testId: string, options: { apiKey?: string; headers?: Record<string, string> } = {}): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey ?? keygate.adminApiKey,
    baseURL: `${keygate.url}/v1`,
    maxRetries: 0,
    defaultHeaders: { 'x-test-id': testId, ...options.headers },
  });
}

/** A provider key long enough to be masked as `********` + its last 4 characters. */
export function providerKey(label: string): string {
  return `sk-fake-${label}-${crypto.randomUUID().replaceAll('-', '')}`;
}

export async function createKey(key: string, name = 'e2e openai', note: string | null = null): Promise<string> {
  const created = (await admin.virtualKeys.create({ name, provider: 'openai', key, note })) as unknown as {
    success: boolean;
    data: { id: string; slug: string };
  };
  expect(created.success).toBe(true);
  return created.data.slug;
}

/** What the fake upstream received for one test id, oldest first. */
export async function upstreamRequests(testId: string): Promise<RecordedRequest[]> {
  const response = await fetch(`${fake.url}/__fake/requests?test=${encodeURIComponent(testId)}`);
  return (await response.json()) as RecordedRequest[];
}

export async function onlyUpstreamRequest(testId: string): Promise<RecordedRequest & { json: Record<string, unknown> }> {
  const requests = await upstreamRequests(testId);
  expect(requests).toHaveLength(1);
  return { ...requests[0]!, json: JSON.parse(requests[0]!.body) as Record<string, unknown> };
}

/** The upstream got the provider key and nothing of the gateway's own credentials or routing. */
export function expectCleanUpstreamHeaders(request: RecordedRequest, secret: string): void {
  expect(request.headers.authorization).toBe(`Bearer ${secret}`);
  expect(Object.keys(request.headers).filter((name) => name.startsWith('x-portkey-'))).toEqual([]);
  expect(JSON.stringify(request.headers)).not.toContain(keygate.adminApiKey);
}

/** Runs a call that must fail and returns the SDK's error. */
export async function failure(call: () => Promise<unknown>): Promise<Error & { status?: number }> {
  try {
    await call();
  } catch (error) {
    return error as Error & { status?: number };
  }
  throw new Error('expected the call to fail, and it succeeded');
}

export const hello = [{ role: 'user' as const, content: 'hello' }];

/** A streamed chat answer read to its end: the text, the last finish_reason and the usage chunk's usage. */
export async function readStream(
  stream: AsyncIterable<{ choices: Array<{ delta?: { content?: unknown }; finish_reason?: string | null }>; usage?: unknown }>,
): Promise<{ text: string; finish: string | null; usage: unknown }> {
  let text = '';
  let finish: string | null = null;
  let usage: unknown = null;
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta?.content;
    text += typeof content === 'string' ? content : '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  return { text, finish, usage };
}
