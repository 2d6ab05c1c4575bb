// The keys the performance scripts (bench, profile, ab) call a launched Keygate with. The virtual
// key is always created with the bootstrap admin key. Gateway requests carry, by default, a
// workspace service key holding only `completions.write`, as an application would; with
// BENCH_API_KEY=admin they carry the bootstrap admin key instead (compared digest to digest, no
// record lookup).
//
//   const slug = await createVirtualKey(keygate, 'bench');
//   const headers = gatewayHeaders(await gatewayApiKey(keygate, apiKeyKindFromEnv()), slug);

/** `workspace`: a workspace service key with only completions.write. `admin`: ADMIN_API_KEY. */
export const API_KEY_KINDS = ['workspace', 'admin'];

export function checkApiKeyKind(kind) {
  if (!API_KEY_KINDS.includes(kind)) throw new Error(`unknown API key kind "${kind}": use one of ${API_KEY_KINDS.join(', ')}`);
  return kind;
}

/** BENCH_API_KEY, `workspace` unless set. */
export function apiKeyKindFromEnv() {
  return checkApiKeyKind(process.env.BENCH_API_KEY || 'workspace');
}

async function adminPost(keygate, path, body, method = 'POST') {
  const response = await fetch(`${keygate.url}${path}`, {
    method,
    headers: { 'x-portkey-api-key': keygate.adminApiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} failed: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A virtual key for the fake upstream, in the default workspace; `extra` adds limits. Its slug. */
export async function createVirtualKey(keygate, name, extra = {}) {
  const created = await adminPost(keygate, '/v1/virtual-keys', { name, provider: 'openai', key: 'sk-fake-bench-0000000000000001', ...extra });
  return created.data.slug;
}

/** The key gateway requests are sent with: a new workspace service key, or the admin key. */
export async function gatewayApiKey(keygate, kind) {
  if (checkApiKeyKind(kind) === 'admin') return keygate.adminApiKey;
  const created = await adminPost(keygate, '/v1/api-keys/workspace/service', { name: 'bench', workspace_id: 'ws_default', scopes: ['completions.write'] });
  return created.key;
}

export function gatewayHeaders(apiKey, slug) {
  return { authorization: `Bearer ${apiKey}`, 'x-portkey-virtual-key': slug };
}

/**
 * Limits at every level, far from exhaustion (`limits`: rate_limits and usage_limits): a new
 * workspace with them, a workspace service key in it with them and a model rule for the call's
 * model, and a virtual key in it with them and a model rule. The key to call with, and the slug.
 */
export async function createFourLevels(keygate, limits, model = 'gpt-4o-mini') {
  const workspace = await adminPost(keygate, '/v1/admin/workspaces', { name: 'bench levels', ...limits });
  const modelLimits = [{ models: [model], ...limits }];
  const apiKey = await adminPost(keygate, '/v1/api-keys/workspace/service', {
    name: 'bench levels',
    workspace_id: workspace.id,
    scopes: ['completions.write'],
    ...limits,
    model_limits: modelLimits,
  });
  const created = await adminPost(keygate, '/v1/virtual-keys', {
    name: 'bench levels',
    provider: 'openai',
    key: 'sk-fake-bench-0000000000000001',
    workspace_id: workspace.id,
    ...limits,
    model_limits: modelLimits,
  });
  return { apiKey: apiKey.key, slug: created.data.slug };
}
