// The scopes an API key can hold: Portkey's strings, so keys and tools written for Portkey's Admin
// API carry over. Each route names the one scope it needs (docs in the README's scope table).

const ACTIONS = ['create', 'read', 'update', 'delete', 'list'] as const;
const API_KEY_ACTIONS = [...ACTIONS, 'rotate'] as const;

/** The three kinds of API key, as Portkey names them (`type` on an API key object). */
export const API_KEY_TYPES = ['organisation-service', 'workspace-service', 'workspace-user'] as const;
export type ApiKeyType = (typeof API_KEY_TYPES)[number];

/** The scope family that manages keys of each type: `<family>.create`, `.read`, … */
export const API_KEY_SCOPE_FAMILY = {
  'organisation-service': 'organisation_service_api_keys',
  'workspace-service': 'workspace_service_api_keys',
  'workspace-user': 'workspace_user_api_keys',
} as const satisfies Record<ApiKeyType, string>;

export type ApiKeyAction = (typeof API_KEY_ACTIONS)[number];

export const SCOPES = [
  'completions.write',
  ...ACTIONS.map((action) => `virtual_keys.${action}` as const),
  ...ACTIONS.map((action) => `workspaces.${action}` as const),
  ...Object.values(API_KEY_SCOPE_FAMILY).flatMap((family) => API_KEY_ACTIONS.map((action) => `${family}.${action}` as const)),
  'analytics.view',
  'audit_logs.list',
  'vault.manage',
] as const;

export type Scope = (typeof SCOPES)[number];

/**
 * Scopes only an organisation key may hold: they act on the whole organisation (new workspaces,
 * removing one, organisation keys, the organisation's audit log, the vault's master keys).
 */
export const ORGANISATION_ONLY_SCOPES: ReadonlySet<Scope> = new Set<Scope>([
  'workspaces.create',
  'workspaces.delete',
  ...API_KEY_ACTIONS.map((action) => `organisation_service_api_keys.${action}` as const),
  'audit_logs.list',
  'vault.manage',
]);

/** The scope that lets a caller do `action` to API keys of `type`. */
export function apiKeyScope(type: ApiKeyType, action: ApiKeyAction): Scope {
  return `${API_KEY_SCOPE_FAMILY[type]}.${action}`;
}
