// Helpers that drive the real Worker inside workerd, with the fake upstream as OPENAI_BASE_URL.
// They call the Worker's own fetch handler; nothing of ours is mocked.

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, inject } from 'vitest';
import worker from '../../src/index';

export const ADMIN_API_KEY = 'kg-test-admin-key';

export function fakeUpstreamUrl(): string {
  return inject('fakeUpstreamUrl');
}

export function testEnv(overrides: Record<string, unknown> = {}): Env {
  return {
    ...env,
    OPENAI_BASE_URL: `${fakeUpstreamUrl()}/v1`,
    AZURE_OPENAI_ENDPOINT: `${fakeUpstreamUrl()}/azure/{resource}`,
    AZURE_AUTHORITY_HOST: `${fakeUpstreamUrl()}/entra`,
    BEDROCK_RUNTIME_ENDPOINT: `${fakeUpstreamUrl()}/bedrock/{region}`,
    AWS_STS_ENDPOINT: `${fakeUpstreamUrl()}/sts/{region}`,
    GOOGLE_TOKEN_URL: `${fakeUpstreamUrl()}/google/token`,
    VERTEX_ENDPOINT: `${fakeUpstreamUrl()}/vertex/{region}`,
    VERTEX_GLOBAL_ENDPOINT: `${fakeUpstreamUrl()}/vertex-global`,
    ...overrides,
  } as Env;
}

/** One request through the Worker, waiting for its background work (cache fills) to finish. */
export async function callKeygate(path: string, init: RequestInit = {}, envOverrides = {}): Promise<Response> {
  const context = createExecutionContext();
  const request = new Request(`https://keygate.test${path}`, init) as Parameters<typeof worker.fetch>[0];
  const response = await worker.fetch(request, testEnv(envOverrides), context);
  await waitOnExecutionContext(context);
  return response;
}

export function adminHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'x-portkey-api-key': ADMIN_API_KEY, 'content-type': 'application/json', ...extra };
}

export async function adminRequest(method: string, path: string, body?: unknown): Promise<Response> {
  return callKeygate(path, { method, headers: adminHeaders(), body: body === undefined ? undefined : JSON.stringify(body) });
}

export async function createVirtualKey(body: Record<string, unknown> = {}, envOverrides = {}): Promise<string> {
  const response = await callKeygate(
    '/v1/virtual-keys',
    {
      method: 'POST',
      headers: adminHeaders(),
      body: JSON.stringify({ name: 'test key', provider: 'openai', key: 'sk-fake-test-0000000000000000000000', ...body }),
    },
    envOverrides,
  );
  expect(response.status).toBe(200);
  const created = (await response.json()) as { data: { slug: string } };
  return created.data.slug;
}

/** Creates a key from exactly `body` (no OpenAI defaults mixed in) and returns its slug. */
export async function createKeyFromBody(body: Record<string, unknown>, envOverrides = {}): Promise<string> {
  const response = await callKeygate('/v1/virtual-keys', { method: 'POST', headers: adminHeaders(), body: JSON.stringify(body) }, envOverrides);
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { data: { slug: string } }).data.slug;
}

export interface RecordedUpstreamRequest {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: string;
}

/** What the fake upstream received for requests tagged with `x-test-id: testId`. */
export async function upstreamRequests(testId: string): Promise<RecordedUpstreamRequest[]> {
  const response = await fetch(`${fakeUpstreamUrl()}/__fake/requests?test=${encodeURIComponent(testId)}`);
  return (await response.json()) as RecordedUpstreamRequest[];
}

/** The token requests the fake Entra ID received for one tenant. */
export async function entraTokenRequests(tenant: string): Promise<Array<{ client_id: string; scope: string; grant_type: string }>> {
  const response = await fetch(`${fakeUpstreamUrl()}/__fake/token-requests?tenant=${encodeURIComponent(tenant)}`);
  return (await response.json()) as Array<{ client_id: string; scope: string; grant_type: string }>;
}

export async function chat(
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
  envOverrides = {},
): Promise<Response> {
  return callKeygate(
    '/v1/chat/completions',
    {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], ...body }),
    },
    envOverrides,
  );
}

/** Asserts the error shape both SDKs read, and returns it. */
export async function expectError(response: Response, status: number, code?: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await response.json()) as { error: { message: string; type: string; code: string; param: string | null }; message: string };
  expect(body.error.message).toEqual(expect.any(String));
  expect(body.error.type).toEqual(expect.any(String));
  expect(body.message).toBe(body.error.message);
  if (code) expect(body.error.code).toBe(code);
  return body;
}

/** How many virtual keys D1 holds: what "nothing was written" is checked against. */
export async function rowCount(): Promise<number> {
  return (await env.DB.prepare('SELECT COUNT(*) AS n FROM virtual_keys').first<{ n: number }>())!.n;
}

/** The key object retrieve answers. */
export interface KeyObject {
  ai_provider_name: string;
  masked_api_key: string | null;
  masked_secrets: Record<string, string>;
  model_config: Record<string, unknown>;
  [field: string]: unknown;
}

export async function keyObject(slug: string): Promise<KeyObject> {
  return (await (await adminRequest('GET', `/v1/virtual-keys/${slug}`)).json()) as KeyObject;
}

/** POST /v1/virtual-keys with exactly `body`, under an env with `envOverrides`. */
export function postKey(body: unknown, envOverrides = {}): Promise<Response> {
  return callKeygate('/v1/virtual-keys', { method: 'POST', headers: adminHeaders(), body: JSON.stringify(body) }, envOverrides);
}

/** PUT /v1/virtual-keys/{slug} with exactly `body`, under an env with `envOverrides`. */
export function putKey(slug: string, body: unknown, envOverrides = {}): Promise<Response> {
  return callKeygate(`/v1/virtual-keys/${slug}`, { method: 'PUT', headers: adminHeaders(), body: JSON.stringify(body) }, envOverrides);
}
