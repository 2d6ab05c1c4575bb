// Helpers for workspaces and API keys: create them through the admin API, and call Keygate as a
// given key. Everything goes through the Worker's own fetch against real local D1 and KV.

import { expect } from 'vitest';
import { ADMIN_API_KEY, callKeygate } from './keygate';

/** A request authenticated with `key` (the Portkey SDK's header). */
export function requestAs(key: string, method: string, path: string, body?: unknown, envOverrides = {}): Promise<Response> {
  return callKeygate(
    path,
    {
      method,
      headers: { 'x-portkey-api-key': key, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    envOverrides,
  );
}

export async function createWorkspace(name: string, as = ADMIN_API_KEY): Promise<string> {
  const response = await requestAs(as, 'POST', '/v1/admin/workspaces', { name });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { id: string }).id;
}

export type KeyKind = 'organisation/service' | 'workspace/service' | 'workspace/user';

/** Creates an API key and returns its id and the key itself. */
export async function createApiKey(
  kind: KeyKind,
  body: Record<string, unknown>,
  as = ADMIN_API_KEY,
): Promise<{ id: string; key: string }> {
  const response = await requestAs(as, 'POST', `/v1/api-keys/${kind}`, { name: `${kind} key`, ...body });
  expect(response.status, await response.clone().text()).toBe(200);
  const created = (await response.json()) as { id: string; key: string; object: string };
  expect(created.object).toBe('api-key');
  return { id: created.id, key: created.key };
}

export async function createWorkspaceKey(workspaceId: string, scopes: string[], extra: Record<string, unknown> = {}) {
  return createApiKey('workspace/service', { workspace_id: workspaceId, scopes, ...extra });
}

/** Every scope a workspace key may hold. */
export const WORKSPACE_SCOPES = [
  'completions.write',
  'virtual_keys.create',
  'virtual_keys.read',
  'virtual_keys.update',
  'virtual_keys.delete',
  'virtual_keys.list',
  'workspaces.read',
  'workspaces.update',
  'workspaces.list',
  ...['create', 'read', 'update', 'delete', 'list', 'rotate'].flatMap((action) => [
    `workspace_service_api_keys.${action}`,
    `workspace_user_api_keys.${action}`,
  ]),
  'analytics.view',
];

/** A virtual key for OpenAI in `workspaceId`, created as `as`; returns its slug. */
export async function createVirtualKeyIn(workspaceId: string, as = ADMIN_API_KEY, name = 'vk'): Promise<string> {
  const response = await requestAs(as, 'POST', '/v1/virtual-keys', {
    name,
    provider: 'openai',
    key: 'sk-fake-access-0000000000000000000000',
    workspace_id: workspaceId,
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { data: { slug: string } }).data.slug;
}

/** A chat completion through the gateway as `key`, naming the virtual key in the model. */
export function chatAs(key: string, slug: string, envOverrides = {}): Promise<Response> {
  return callKeygate(
    '/v1/chat/completions',
    {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: `@${slug}/gpt-4o-mini`, messages: [{ role: 'user', content: 'hello' }] }),
    },
    envOverrides,
  );
}
