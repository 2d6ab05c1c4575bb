// A property of the whole admin API, not of one route: whatever the input, the answer is a 4xx
// in our error shape, and it never echoes the input back unbounded. Every admin route gets the
// same hostile inputs: huge unknown field names, huge nested keys, huge path segments, and odd
// methods.

import { describe, expect, it } from 'vitest';
import { requestAs } from './support/access';
import { ADMIN_API_KEY, expectError } from './support/keygate';

const HUGE = 'x'.repeat(60_000);
const UUID = '00000000-0000-4000-8000-000000000000';

/** Every admin route, with a path that reaches it. */
const ROUTES: Array<[method: string, path: string]> = [
  ['POST', '/v1/virtual-keys'],
  ['GET', '/v1/virtual-keys'],
  ['GET', '/v1/virtual-keys/some-slug'],
  ['PUT', '/v1/virtual-keys/some-slug'],
  ['DELETE', '/v1/virtual-keys/some-slug'],
  ['POST', '/v1/admin/workspaces'],
  ['GET', '/v1/admin/workspaces'],
  ['GET', '/v1/admin/workspaces/ws_default'],
  ['PUT', '/v1/admin/workspaces/ws_default'],
  ['DELETE', '/v1/admin/workspaces/ws-nothing-000000'],
  ['POST', '/v1/api-keys/workspace/service'],
  ['POST', '/v1/api-keys/organisation/service'],
  ['GET', '/v1/api-keys'],
  ['GET', `/v1/api-keys/${UUID}`],
  ['PUT', `/v1/api-keys/${UUID}`],
  ['DELETE', `/v1/api-keys/${UUID}`],
  ['POST', `/v1/api-keys/${UUID}/rotate`],
];

const BODIES: Array<[label: string, body: unknown]> = [
  ['a huge unknown field name', { name: 'x', [HUGE]: 1 }],
  ['a huge nested key', { name: 'x', defaults: { metadata: { [HUGE]: 'v' } }, scopes: ['completions.write'], workspace_id: 'ws_default' }],
  ['a camelCase and snake_case clash with huge names', { name: 'x', [`${HUGE}A`]: 1, [`${HUGE}_a`]: 2 }],
  ['a huge scope', { name: 'x', scopes: [HUGE], workspace_id: 'ws_default' }],
  ['a huge workspace_id', { name: 'x', workspace_id: HUGE, scopes: ['completions.write'] }],
];

async function expectBoundedRefusal(response: Response): Promise<void> {
  const text = await response.clone().text();
  expect(response.status, text.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(text.length).toBeLessThan(2_000);
  await expectError(response, response.status);
}

describe('every admin route refuses hostile bodies with a short 4xx', () => {
  const withBody = ROUTES.filter(([method]) => method === 'POST' || method === 'PUT');
  const cases = withBody.flatMap(([method, path]) => BODIES.map(([label, body]) => [method, path, label, body] as const));
  it.each(cases)('%s %s with %s', async (method, path, _label, body) => {
    await expectBoundedRefusal(await requestAs(ADMIN_API_KEY, method, path, body));
  });
});

describe('every admin route refuses a huge path segment or query value with a short 4xx', () => {
  it.each(ROUTES)('%s %s', async (method, path) => {
    const longPath = path.replace(/\/([^/]+)$/, `/${HUGE.slice(0, 9_000)}`);
    const response = await requestAs(ADMIN_API_KEY, method, longPath, method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' });
    // A path that still names a collection may answer 200 or 405; what matters is no echo.
    expect((await response.clone().text()).length).toBeLessThan(2_000);
    expect(response.status).toBeLessThan(500);
    const query = await requestAs(ADMIN_API_KEY, method, `${path}?workspace_id=${HUGE.slice(0, 9_000)}&page_size=${HUGE.slice(0, 500)}`);
    expect((await query.clone().text()).length).toBeLessThan(2_000);
    expect(query.status).toBeLessThan(500);
  });
});

describe('paths under the admin prefixes never reach the gateway', () => {
  it.each([
    ['GET', '/v1/admin/users'],
    ['POST', '/v1/admin/users/invites'],
    ['GET', '/v1/admin'],
    ['PATCH', `/v1/admin/workspaces/${HUGE.slice(0, 9_000)}/users`],
  ])('%s %s is a 404 route_not_found', async (method, path) => {
    await expectError(await requestAs(ADMIN_API_KEY, method, path), 404, 'route_not_found');
  });

  it('an admin path with a method it lacks is a 405 that quotes the path bounded', async () => {
    const body = await expectError(await requestAs(ADMIN_API_KEY, 'PATCH', `/v1/admin/workspaces/${HUGE.slice(0, 9_000)}`), 405, 'method_not_allowed');
    expect(body.message.length).toBeLessThan(300);
  });
});

describe('keys that can’t be Keygate keys', () => {
  it.each([['junk', 'not-a-key'], ['a huge key', `kg-ak-${HUGE.slice(0, 8_000)}`], ['a near miss', 'kg-ak-short']])(
    'refuses %s with 401 invalid_api_key',
    async (_label, key) => {
      await expectError(await requestAs(key, 'GET', '/v1/virtual-keys'), 401, 'invalid_api_key');
    },
  );
});
