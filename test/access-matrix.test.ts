// Who may do what, cell by cell: two workspaces × six kinds of caller × {admin API, gateway}.
// Each cell is a real request through the Worker against real local D1 and KV, with the fake
// upstream behind the gateway.

import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { chatAs, createApiKey, createVirtualKeyIn, createWorkspace, createWorkspaceKey, requestAs, WORKSPACE_SCOPES } from './support/access';
import { expectError } from './support/keygate';

type Caller = 'organisation key' | 'workspace service key' | 'workspace user key' | 'key lacking the scope' | 'expired key' | 'deleted key';
type Target = 'own workspace' | 'other workspace';

const keys = {} as Record<Caller, string>;
const slugs = {} as Record<Target, string>;
const workspaces = {} as Record<Target, string>;

beforeAll(async () => {
  workspaces['own workspace'] = await createWorkspace('Alpha team');
  workspaces['other workspace'] = await createWorkspace('Bravo team');
  const own = workspaces['own workspace'];
  for (const target of ['own workspace', 'other workspace'] as const) slugs[target] = await createVirtualKeyIn(workspaces[target]);

  keys['organisation key'] = (
    await createApiKey('organisation/service', { scopes: ['completions.write', 'virtual_keys.read', 'virtual_keys.list', 'workspaces.list'] })
  ).key;
  keys['workspace service key'] = (await createWorkspaceKey(own, WORKSPACE_SCOPES)).key;
  keys['workspace user key'] = (
    await createApiKey('workspace/user', { workspace_id: own, user_id: 'user-42', scopes: ['completions.write', 'virtual_keys.read', 'virtual_keys.list'] })
  ).key;
  keys['key lacking the scope'] = (await createWorkspaceKey(own, ['analytics.view'])).key;

  const expired = await createWorkspaceKey(own, WORKSPACE_SCOPES, { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
  // Time can't be made to pass here, so the expiry is moved into the past in D1 before first use.
  await env.DB.prepare('UPDATE api_keys SET expires_at = ?2 WHERE id = ?1').bind(expired.id, new Date(Date.now() - 1000).toISOString()).run();
  keys['expired key'] = expired.key;

  const deleted = await createWorkspaceKey(own, WORKSPACE_SCOPES);
  expect((await chatAs(deleted.key, slugs['own workspace'])).status).toBe(200); // it worked, and is cached
  expect((await requestAs(keys['workspace service key'], 'DELETE', `/v1/api-keys/${deleted.id}`)).status).toBe(200);
  keys['deleted key'] = deleted.key;
});

/** What each cell answers: a status, and for refusals the error code. */
type Outcome = [status: number, code?: string];
const ALLOWED: Outcome = [200];
const HIDDEN: Outcome = [404, 'virtual_key_not_found'];
const MISSING_SCOPE: Outcome = [403, 'missing_scope'];
const EXPIRED: Outcome = [401, 'api_key_expired'];
const INVALID: Outcome = [401, 'invalid_api_key'];

const EXPECTED: Record<Caller, Record<Target, Outcome>> = {
  'organisation key': { 'own workspace': ALLOWED, 'other workspace': ALLOWED },
  'workspace service key': { 'own workspace': ALLOWED, 'other workspace': HIDDEN },
  'workspace user key': { 'own workspace': ALLOWED, 'other workspace': HIDDEN },
  'key lacking the scope': { 'own workspace': MISSING_SCOPE, 'other workspace': MISSING_SCOPE },
  'expired key': { 'own workspace': EXPIRED, 'other workspace': EXPIRED },
  'deleted key': { 'own workspace': INVALID, 'other workspace': INVALID },
};

const cells = (Object.keys(EXPECTED) as Caller[]).flatMap((caller) =>
  (['own workspace', 'other workspace'] as const).map((target) => [caller, target, EXPECTED[caller][target]] as const),
);

async function expectOutcome(response: Response, [status, code]: Outcome): Promise<void> {
  if (status === 200) expect(response.status, await response.clone().text()).toBe(200);
  else await expectError(response, status, code);
}

describe('admin API: retrieve a virtual key', () => {
  it.each(cells)('%s, key in its %s', async (caller, target, outcome) => {
    await expectOutcome(await requestAs(keys[caller], 'GET', `/v1/virtual-keys/${slugs[target]}`), outcome);
  });
});

describe('admin API: list virtual keys of a workspace', () => {
  // Naming another workspace in a query is a 403, not a silently empty list.
  const listOutcome = (outcome: Outcome): Outcome => (outcome === HIDDEN ? [403, 'workspace_forbidden'] : outcome);
  it.each(cells)('%s, listing its %s', async (caller, target, outcome) => {
    const response = await requestAs(keys[caller], 'GET', `/v1/virtual-keys?workspace_id=${workspaces[target]}`);
    await expectOutcome(response, listOutcome(outcome));
    if (response.status === 200) {
      const list = (await response.json()) as { data: Array<{ slug: string; workspace_id: string }> };
      expect(list.data.map((key) => key.slug)).toEqual([slugs[target]]);
    }
  });
});

describe('gateway: a chat completion through a virtual key', () => {
  it.each(cells)('%s, key in its %s', async (caller, target, outcome) => {
    const response = await chatAs(keys[caller], slugs[target]);
    await expectOutcome(response, outcome);
    if (response.status === 200) expect(((await response.json()) as { object: string }).object).toBe('chat.completion');
  });
});

describe('what a workspace key sees when it lists', () => {
  it('lists only its own workspace’s virtual keys when it names none', async () => {
    const response = await requestAs(keys['workspace service key'], 'GET', '/v1/virtual-keys');
    const list = (await response.json()) as { total: number; data: Array<{ workspace_id: string }> };
    expect(list.total).toBe(1);
    expect(list.data.map((key) => key.workspace_id)).toEqual([workspaces['own workspace']]);
  });

  it('an organisation key lists every workspace’s keys when it names none', async () => {
    const response = await requestAs(keys['organisation key'], 'GET', '/v1/virtual-keys');
    const list = (await response.json()) as { data: Array<{ slug: string }> };
    expect(list.data.map((key) => key.slug).sort()).toEqual([slugs['own workspace'], slugs['other workspace']].sort());
  });
});
