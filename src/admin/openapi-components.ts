// The named schemas of the admin API's OpenAPI document, and the helpers that refer to them.
// z.toJSONSchema emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is.

import * as z from 'zod/mini';
import { AnalyticsGraph, AnalyticsGroupList } from './analytics-answers';
import { analyticsDocs } from './analytics-docs';
import { ApiKeyList, ApiKeyObject, CreatedApiKey, RotatedApiKey } from './api-key-answers';
import { CreateApiKeyBody, RotateApiKeyBody, UpdateApiKeyBody } from './api-key-schemas';
import { apiKeyDocs } from './api-key-docs';
import { AuditChainVerification, AuditLogList, AuditLogRecord } from './audit-log-answers';
import { auditLogDocs } from './audit-log-docs';
import { applyDocs, schema } from './openapi-docs';
import { EmptyResult, ErrorObject } from './shared-answers';
import { DeletedResult, SlugResult, VirtualKeyList, VirtualKeyObject } from './virtual-key-answers';
import { UpdateVirtualKeyBody } from './virtual-key-schemas';
import { ResealResult, VaultStatusResult, vaultDocs } from './vault-answers';
import { ResealBody } from './vault-schemas';
import { CreateVirtualKeyDocument, virtualKeyDocs } from './virtual-key-docs';
import { workspaceDocs } from './workspace-docs';
import { WorkspaceList, WorkspaceObject } from './workspace-answers';
import { CreateWorkspaceBody, UpdateWorkspaceBody } from './workspace-schemas';

export type JsonSchema = Record<string, unknown>;

/** Named schemas, each with the side of it the document shows: what is sent, or what comes back. */
const COMPONENTS = {
  CreateVirtualKey: [CreateVirtualKeyDocument, 'input'],
  UpdateVirtualKey: [UpdateVirtualKeyBody, 'input'],
  VirtualKey: [VirtualKeyObject, 'output'],
  VirtualKeyList: [VirtualKeyList, 'output'],
  VirtualKeySlug: [SlugResult, 'output'],
  Deleted: [DeletedResult, 'output'],
  CreateWorkspace: [CreateWorkspaceBody, 'input'],
  UpdateWorkspace: [UpdateWorkspaceBody, 'input'],
  Workspace: [WorkspaceObject, 'output'],
  WorkspaceList: [WorkspaceList, 'output'],
  CreateApiKey: [CreateApiKeyBody, 'input'],
  UpdateApiKey: [UpdateApiKeyBody, 'input'],
  RotateApiKey: [RotateApiKeyBody, 'input'],
  ApiKey: [ApiKeyObject, 'output'],
  ApiKeyList: [ApiKeyList, 'output'],
  CreatedApiKey: [CreatedApiKey, 'output'],
  RotatedApiKey: [RotatedApiKey, 'output'],
  Reseal: [ResealBody, 'input'],
  ResealResult: [ResealResult, 'output'],
  VaultStatus: [VaultStatusResult, 'output'],
  AuditLogRecord: [AuditLogRecord, 'output'],
  AuditLogList: [AuditLogList, 'output'],
  AuditChainVerification: [AuditChainVerification, 'output'],
  AnalyticsGraph: [AnalyticsGraph, 'output'],
  AnalyticsGroupList: [AnalyticsGroupList, 'output'],
  Empty: [EmptyResult, 'output'],
  Error: [ErrorObject, 'output'],
} satisfies Record<string, [z.ZodMiniType, 'input' | 'output']>;

export type ComponentName = keyof typeof COMPONENTS;

/** The fields' descriptions and examples, which the schema modules leave out of the Worker (see openapi-docs.ts). */
const DOCS = [
  ...virtualKeyDocs,
  ...workspaceDocs,
  ...apiKeyDocs,
  ...vaultDocs,
  ...auditLogDocs,
  ...analyticsDocs,
  ...schema(EmptyResult, 'An empty object: the change is made.'),
];
let documented = false;

export function jsonSchema(target: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  if (!documented) {
    applyDocs(DOCS);
    documented = true;
  }
  const { $schema: _dialect, ...rest } = z.toJSONSchema(target, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** `components.schemas`: every named schema as JSON Schema. */
export function componentSchemas(): Record<ComponentName, JsonSchema> {
  const entries = Object.entries(COMPONENTS).map(([name, [schema, io]]) => [name, jsonSchema(schema, io)]);
  return Object.fromEntries(entries) as Record<ComponentName, JsonSchema>;
}

export const jsonContent = (name: ComponentName) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } });

/** Each field of an object schema as an OpenAPI parameter; a query parameter is required when the schema requires it. */
export function parameters(schema: z.ZodMiniObject, where: 'query' | 'path'): JsonSchema[] {
  const { properties = {}, required = [] } = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.includes(name),
    schema: property,
  }));
}
