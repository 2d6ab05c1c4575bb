// The gateway's own entry (src/gateway/gateway-entry.ts) takes gateway POSTs past Hono's router
// and middleware. It must answer exactly as the Hono app does: generated gateway requests are sent
// both ways, each to its own copy of the same fixtures, and the answers compared (status, body,
// the headers a client reads), with the copies' keys and slugs and each answer's request id
// written as names. What reached the provider is compared the same way.

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { failedSignIns, FAILED_SIGN_IN_LIMIT } from '../src/auth/failed-sign-ins';
import worker from '../src/index';
import { buildRequest } from './support/fuzz-answers';
import { gatewayCase } from './support/fuzz-gateway-cases';
import { createFixtures, fuzzSettings, runFuzz, timeoutFor } from './support/fuzz-runner';
import type { Fixtures } from './support/fuzz-values';
import { createKeyFromBody, testEnv, upstreamRequests } from './support/keygate';

const settings = fuzzSettings(0.1, 300);
const honoApp = createApp();

type Fetch = (request: Request, env: Env, context: ExecutionContext) => Response | Promise<Response>;
const viaHono: Fetch = (request, env, context) => honoApp.fetch(request, env, context);
const viaWorker: Fetch = (request, env, context) => worker.fetch(request as Parameters<typeof worker.fetch>[0], env, context);

/** Two copies of the fuzz fixtures. The rate-limited key counts tokens only: no minute boundary can split the copies. */
async function fixtureCopy(): Promise<Fixtures> {
  const fixtures = await createFixtures();
  fixtures.limitedSlug = await createKeyFromBody({
    name: 'limited',
    provider: 'openai',
    key: 'sk-fake-entry-limited-0000000000000',
    usage_limits: { credit_limit: 50, type: 'tokens' },
    workspace_id: fixtures.workspaceId,
  });
  return fixtures;
}

/** The text with the copy's own values and any request id written as their names. */
function normalized(text: string, fixtures: Fixtures): string {
  let result = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
  // Longest first, so a value that contains another is replaced whole.
  for (const [name, value] of Object.entries(fixtures).sort((a, b) => b[1].length - a[1].length)) {
    if (value.length >= 6) result = result.split(value).join(`$${name}`);
  }
  return result;
}

async function answerOf(fetcher: Fetch, request: Request, fixtures: Fixtures) {
  const context = createExecutionContext();
  const response = await fetcher(request, testEnv(), context);
  const body = request.method === 'HEAD' ? '' : new TextDecoder().decode(await response.arrayBuffer());
  await waitOnExecutionContext(context);
  const header = (name: string) => response.headers.get(name);
  return {
    status: response.status,
    body: normalized(body, fixtures),
    contentType: header('content-type'),
    requestIds: header('x-request-id') !== null && header('x-request-id') === header('x-portkey-request-id'),
    relayed: header('x-upstream-request-id') !== null,
    retryAfter: header('retry-after') !== null,
  };
}

async function upstreamSeen(testId: string, fixtures: Fixtures) {
  return (await upstreamRequests(testId)).map(({ method, path, headers, body }) => ({
    method,
    path: normalized(path, fixtures),
    authorization: normalized(String(headers.authorization ?? headers['api-key'] ?? ''), fixtures),
    body: normalized(body, fixtures),
  }));
}

describe('the gateway entry answers as the Hono app does', () => {
  let honoFixtures: Fixtures;
  let entryFixtures: Fixtures;
  beforeAll(async () => {
    honoFixtures = await fixtureCopy();
    entryFixtures = await fixtureCopy();
  });

  it(`for ${settings.runs} generated gateway requests (seed ${settings.seed})`, async () => {
    let sent = 0;
    await runFuzz(settings, gatewayCase, async (requestCase) => {
      const testId = `entry-${settings.seed}-${++sent}`;
      const viaHonoRequest = buildRequest(requestCase, honoFixtures, { 'x-test-id': `${testId}-hono` });
      const viaEntryRequest = buildRequest(requestCase, entryFixtures, { 'x-test-id': `${testId}-entry` });
      if (!viaHonoRequest || !viaEntryRequest) return [];
      const expected = await answerOf(viaHono, viaHonoRequest.request, honoFixtures);
      const actual = await answerOf(viaWorker, viaEntryRequest.request, entryFixtures);
      const violations = [];
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        violations.push({ kind: 'answers differ', detail: `Hono: ${JSON.stringify(expected).slice(0, 600)}\nentry: ${JSON.stringify(actual).slice(0, 600)}` });
      }
      const upstreamExpected = await upstreamSeen(`${testId}-hono`, honoFixtures);
      const upstreamActual = await upstreamSeen(`${testId}-entry`, entryFixtures);
      if (JSON.stringify(upstreamActual) !== JSON.stringify(upstreamExpected)) {
        violations.push({ kind: 'upstream requests differ', detail: `Hono: ${JSON.stringify(upstreamExpected).slice(0, 600)}\nentry: ${JSON.stringify(upstreamActual).slice(0, 600)}` });
      }
      return violations;
    });
  }, timeoutFor(settings));
});

// Paths a router may read differently from a prefix check: both ways must agree on each, for a
// key that may call the gateway, a wrong one and one that may only read.
const ODD_PATHS = [
  '/v1/',
  '/v1//chat/completions',
  '/v1/chat/completions/',
  '/v1/CHAT/completions',
  '/v1/Admin',
  '/v1/ADMIN/users',
  '/v1/admin',
  '/v1/admin/users',
  '/v1/virtual-keys;x',
  '/v1/Virtual-Keys',
  '/v1//virtual-keys',
  '/v1/./virtual-keys',
  '/v1/audit-logs/../chat/completions',
  '/v1/api-keysX',
  '/v1/virtual-keys',
  '/v1/virtual_keys/x',
  '/v1/analytics/graphs/requests',
  `/v1/${'x'.repeat(5_000)}`,
  '/v1/chat/completions?x=%2F&y=1',
];

describe('the gateway entry on paths a router may read differently', () => {
  it('answers each as the Hono app does', async () => {
    const honoFixtures = await fixtureCopy();
    const entryFixtures = await fixtureCopy();
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const differences: string[] = [];
    for (const path of ODD_PATHS) {
      for (const key of ['completionsKey', 'readOnlyKey', 'wrong'] as const) {
        const requestFor = (fixtures: Fixtures) =>
          new Request(`https://keygate.test${path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key === 'wrong' ? 'kg-ak-wrong' : fixtures[key]}`, 'x-portkey-virtual-key': fixtures.slug, 'content-type': 'application/json' },
            body,
          });
        const expected = await answerOf(viaHono, requestFor(honoFixtures), honoFixtures);
        const actual = await answerOf(viaWorker, requestFor(entryFixtures), entryFixtures);
        if (JSON.stringify(actual) !== JSON.stringify(expected)) differences.push(`${path} (${key}): Hono ${JSON.stringify(expected).slice(0, 300)}, entry ${JSON.stringify(actual).slice(0, 300)}`);
      }
    }
    expect(differences).toEqual([]);
  });

  it('throttles wrong keys from one address, as the Hono app does', async () => {
    failedSignIns.clear();
    const attempt = () =>
      answerOf(
        viaWorker,
        new Request('https://keygate.test/v1/chat/completions', {
          method: 'POST',
          headers: { authorization: 'Bearer kg-ak-not-a-key-of-this-deployment', 'cf-connecting-ip': '203.0.113.77', 'x-portkey-virtual-key': 'anything' },
          body: '{}',
        }),
        {} as Fixtures,
      );
    for (let failures = 0; failures < FAILED_SIGN_IN_LIMIT; failures++) expect((await attempt()).status).toBe(401);
    const throttled = await attempt();
    expect(throttled.status).toBe(429);
    expect(throttled.retryAfter).toBe(true);
    expect(JSON.parse(throttled.body)).toMatchObject({ error: { code: 'too_many_invalid_api_keys' } });
    failedSignIns.clear();
  });
});

/** A chat call whose body is a stream: no content-length, as with a chunked upload. */
function streamedChat(fixtures: Fixtures, body: ReadableStream<Uint8Array>, testId: string): Request {
  return new Request('https://keygate.test/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${fixtures.completionsKey}`, 'x-portkey-virtual-key': fixtures.slug, 'content-type': 'application/json', 'x-test-id': testId },
    body,
  });
}

describe('the gateway entry and bodies without a declared length', () => {
  it('forwards a streamed body under the limit intact', async () => {
    const fixtures = await fixtureCopy();
    const text = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(100_000) }] });
    const bytes = new TextEncoder().encode(text);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let start = 0; start < bytes.length; start += 7_000) controller.enqueue(bytes.slice(start, start + 7_000));
        controller.close();
      },
    });
    const answer = await answerOf(viaWorker, streamedChat(fixtures, body, 'entry-streamed-body'), fixtures);
    expect(answer.status).toBe(200);
    const [upstream] = await upstreamRequests('entry-streamed-body');
    expect(upstream!.body).toBe(text);
  });

  it('refuses a streamed body over 32 MiB with 413 and sends nothing upstream', async () => {
    const fixtures = await fixtureCopy();
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sentChunks = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sentChunks++ === 33) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const answer = await answerOf(viaWorker, streamedChat(fixtures, body, 'entry-large-body'), fixtures);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'body_too_large' } });
    expect(answer.requestIds).toBe(true);
    expect(await upstreamRequests('entry-large-body')).toEqual([]);
  });
});
