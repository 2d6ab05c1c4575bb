// The admin API's operations, for the OpenAPI document: one table per route file
// (virtual-keys-routes.ts, workspaces-routes.ts, api-keys-routes.ts; vault-routes.ts has
// openapi-vault.ts, audit-logs-routes.ts openapi-audit.ts). test/e2e/openapi-document
// fails when a route registered there is missing here, or the other way round.

import { API_KEY_SCOPE_FAMILY, type ApiKeyAction, type Scope } from '../auth/scopes';
import { ApiKeyListQuery, ApiKeyParams, CreateApiKeyParams } from './api-key-schemas';
import { jsonContent, parameters, type ComponentName, type JsonSchema } from './openapi-components';
import { ListQuery, SlugParams } from './virtual-key-schemas';
import { WorkspaceListQuery, WorkspaceParams } from './workspace-schemas';

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 503;

interface Operation {
  operationId: string;
  summary: string;
  /** The sentence naming the scope the caller needs: needsScope() or needsApiKeyScope(). */
  needs: string;
  /** More to say than the scope. */
  notes?: string;
  parameters?: JsonSchema[];
  body?: { name: ComponentName; description: string; required?: false };
  ok: [description: string, name: ComponentName];
  errors: Partial<Record<ErrorStatus, string>>;
}

export const invalid = { 400: 'Invalid request: the message names the field.' };
export const denied = {
  401: 'Missing, invalid or expired API key.',
  403: 'The API key lacks the scope, or names a workspace it does not act in.',
};

/** Any change: its D1 batch holds the change and its audit record (src/audit/audit-log.ts). */
export const unavailable = {
  503: 'The change could not be stored together with its audit record (audit_log_unavailable): nothing was applied; try again.',
};

export const needsScope = (scope: Scope) => `Needs the scope \`${scope}\`.`;

const security = [{ bearerAuth: [] }, { portkeyApiKey: [] }];

export function operation(tag: string, op: Operation): JsonSchema {
  const answer = (description: string, name: ComponentName) => ({ description, content: jsonContent(name) });
  const errors = Object.entries(op.errors).map(([status, description]) => [status, answer(description, 'Error')]);
  // Any authenticated route: an address that sent too many wrong keys (too_many_invalid_api_keys).
  const throttled = { 429: answer('Too many wrong API keys from this address; see Retry-After.', 'Error') };
  const bodyErrors = op.body
    ? { 413: answer('Body over 64 KiB.', 'Error'), 415: answer('Body not sent as application/json.', 'Error') }
    : {};
  return {
    tags: [tag],
    operationId: op.operationId,
    summary: op.summary,
    description: op.notes ? `${op.needs} ${op.notes}` : op.needs,
    security,
    ...(op.parameters ? { parameters: op.parameters } : {}),
    ...(op.body
      ? { requestBody: { required: op.body.required ?? true, description: op.body.description, content: jsonContent(op.body.name) } }
      : {}),
    responses: { 200: answer(...op.ok), ...Object.fromEntries(errors), ...bodyErrors, ...throttled },
  };
}

function virtualKeyPaths() {
  const tag = 'Virtual keys';
  const slug = parameters(SlugParams, 'path');
  const missing = { 404: 'No such virtual key, or one of a workspace this API key does not act in.' };
  return {
    '/v1/virtual-keys': {
      post: operation(tag, {
        operationId: 'createVirtualKey',
        summary: 'Create a virtual key',
        needs: needsScope('virtual_keys.create'),
        notes: 'A workspace key creates in its own workspace; an organisation key in workspace_id, or the default one.',
        body: { name: 'CreateVirtualKey', description: 'The key to store' },
        ok: ['Created', 'VirtualKeySlug'],
        errors: { ...invalid, ...denied, ...unavailable },
      }),
      get: operation(tag, {
        operationId: 'listVirtualKeys',
        summary: 'List virtual keys',
        needs: needsScope('virtual_keys.list'),
        parameters: parameters(ListQuery, 'query'),
        ok: ['A page of keys, newest first', 'VirtualKeyList'],
        errors: { ...invalid, ...denied },
      }),
    },
    '/v1/virtual-keys/{slug}': {
      get: operation(tag, {
        operationId: 'retrieveVirtualKey',
        summary: 'Retrieve a virtual key',
        needs: needsScope('virtual_keys.read'),
        parameters: slug,
        ok: ['The key, secrets masked, with its limits’ current state', 'VirtualKey'],
        errors: { ...invalid, ...denied, ...missing },
      }),
      put: operation(tag, {
        operationId: 'updateVirtualKey',
        summary: 'Update a virtual key',
        needs: needsScope('virtual_keys.update'),
        parameters: slug,
        body: { name: 'UpdateVirtualKey', description: 'Fields to change' },
        ok: ['Updated', 'VirtualKeySlug'],
        errors: { ...invalid, ...denied, ...missing, 409: 'Changed by another request meanwhile; read it again and retry.', ...unavailable },
      }),
      delete: operation(tag, {
        operationId: 'deleteVirtualKey',
        summary: 'Delete a virtual key',
        needs: needsScope('virtual_keys.delete'),
        parameters: slug,
        ok: ['Deleted', 'Deleted'],
        errors: { ...invalid, ...denied, ...missing, ...unavailable },
      }),
    },
  };
}

function workspacePaths() {
  const tag = 'Workspaces';
  const workspaceId = parameters(WorkspaceParams, 'path');
  const missing = { 404: 'No such workspace, or not one this API key can see.' };
  return {
    '/v1/admin/workspaces': {
      post: operation(tag, {
        operationId: 'createWorkspace',
        summary: 'Create a workspace',
        needs: needsScope('workspaces.create'),
        notes: 'Only organisation keys can hold it.',
        body: { name: 'CreateWorkspace', description: 'The workspace to create' },
        ok: ['Created', 'Workspace'],
        errors: { ...invalid, ...denied, 409: 'No free workspace id could be drawn; try again.', ...unavailable },
      }),
      get: operation(tag, {
        operationId: 'listWorkspaces',
        summary: 'List workspaces',
        needs: needsScope('workspaces.list'),
        notes: 'A workspace key sees only its own workspace.',
        parameters: parameters(WorkspaceListQuery, 'query'),
        ok: ['A page of workspaces', 'WorkspaceList'],
        errors: { ...invalid, ...denied },
      }),
    },
    '/v1/admin/workspaces/{workspaceId}': {
      get: operation(tag, {
        operationId: 'retrieveWorkspace',
        summary: 'Retrieve a workspace',
        needs: needsScope('workspaces.read'),
        parameters: workspaceId,
        ok: ['The workspace', 'Workspace'],
        errors: { ...denied, ...missing },
      }),
      put: operation(tag, {
        operationId: 'updateWorkspace',
        summary: 'Update a workspace',
        needs: needsScope('workspaces.update'),
        parameters: workspaceId,
        body: { name: 'UpdateWorkspace', description: 'Fields to change' },
        ok: ['Updated', 'Empty'],
        errors: { ...invalid, ...denied, ...missing, 409: 'Changed by another request meanwhile; read it again and retry.', ...unavailable },
      }),
      delete: operation(tag, {
        operationId: 'deleteWorkspace',
        summary: 'Delete an empty workspace',
        needs: needsScope('workspaces.delete'),
        notes: 'Only organisation keys can hold it. A body, as the Portkey SDK sends one, is ignored.',
        parameters: workspaceId,
        ok: ['Deleted', 'Empty'],
        errors: {
          ...denied,
          ...missing,
          409: 'The workspace still holds virtual keys or API keys, or is the default workspace; nothing was deleted.',
          ...unavailable,
        },
      }),
    },
  };
}

/** The scope an API-key operation needs: `<family>.<action>`, the family following the key's type. */
function needsApiKeyScope(action: ApiKeyAction, whose = 'the key’s type'): string {
  const byType = Object.entries(API_KEY_SCOPE_FAMILY).map(([type, family]) => `\`${family}.${action}\` for ${type} keys`);
  return `Needs the scope of ${whose}: ${byType.join(', ')}.`;
}

function apiKeyPaths() {
  const tag = 'API keys';
  const id = parameters(ApiKeyParams, 'path');
  const missing = { 404: 'No such API key, or not one this API key can see.' };
  return {
    '/v1/api-keys/{type}/{subType}': {
      post: operation(tag, {
        operationId: 'createApiKey',
        summary: 'Create an API key',
        needs: needsApiKeyScope('create'),
        notes:
          'The path names the type: organisation/service, workspace/service or workspace/user. A key can grant only scopes it holds, and a workspace key can’t create organisation keys.',
        parameters: parameters(CreateApiKeyParams, 'path'),
        body: { name: 'CreateApiKey', description: 'The key to create' },
        ok: ['Created: the key is shown this once', 'CreatedApiKey'],
        errors: { ...invalid, ...denied, ...unavailable },
      }),
    },
    '/v1/api-keys': {
      get: operation(tag, {
        operationId: 'listApiKeys',
        summary: 'List API keys',
        needs: needsApiKeyScope('list', 'each type listed'),
        notes: 'Lists the types whose scope the caller holds; 403 when it holds none.',
        parameters: parameters(ApiKeyListQuery, 'query'),
        ok: ['A page of keys, masked', 'ApiKeyList'],
        errors: { ...invalid, ...denied },
      }),
    },
    '/v1/api-keys/{id}': {
      get: operation(tag, {
        operationId: 'retrieveApiKey',
        summary: 'Retrieve an API key',
        needs: needsApiKeyScope('read'),
        parameters: id,
        ok: ['The key, masked', 'ApiKey'],
        errors: { ...denied, ...missing },
      }),
      put: operation(tag, {
        operationId: 'updateApiKey',
        summary: 'Update an API key',
        needs: needsApiKeyScope('update'),
        parameters: id,
        body: { name: 'UpdateApiKey', description: 'Fields to change' },
        ok: ['Updated', 'Empty'],
        errors: { ...invalid, ...denied, ...missing, 409: 'Changed by another request meanwhile; read it again and retry.', ...unavailable },
      }),
      delete: operation(tag, {
        operationId: 'deleteApiKey',
        summary: 'Delete an API key',
        needs: needsApiKeyScope('delete'),
        notes: 'A body, as the Portkey SDK sends one, is ignored.',
        parameters: id,
        ok: ['Deleted', 'Empty'],
        errors: { ...denied, ...missing, ...unavailable },
      }),
    },
    '/v1/api-keys/{id}/rotate': {
      post: operation(tag, {
        operationId: 'rotateApiKey',
        summary: 'Rotate an API key',
        needs: needsApiKeyScope('rotate'),
        notes: 'The previous key keeps working until key_transition_expires_at.',
        parameters: id,
        body: { name: 'RotateApiKey', description: 'How long the previous key keeps working (default 30 minutes)', required: false },
        ok: ['Rotated: the new key is shown this once', 'RotatedApiKey'],
        errors: { ...invalid, ...denied, ...missing, ...unavailable },
      }),
    },
  };
}

export function adminPaths(): Record<string, Record<string, JsonSchema>> {
  return { ...virtualKeyPaths(), ...workspacePaths(), ...apiKeyPaths() };
}
