// The named schemas of the admin API's OpenAPI document, and the helpers that refer to them.
// z.toJSONSchema emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is.

import * as z from 'zod/mini';
import {
  ApiKeyList,
  ApiKeyObject,
  CreateApiKeyBody,
  CreatedApiKey,
  RotateApiKeyBody,
  RotatedApiKey,
  UpdateApiKeyBody,
} from './api-key-schemas';
import { EmptyResult, ErrorObject } from './shared-schemas';
import {
  CreateVirtualKeyBody,
  DeletedResult,
  SlugResult,
  UpdateVirtualKeyBody,
  VirtualKeyList,
  VirtualKeyObject,
} from './virtual-key-schemas';
import { ResealResult, VaultStatusResult } from './vault-answers';
import { ResealBody } from './vault-schemas';
import { CreateWorkspaceBody, UpdateWorkspaceBody, WorkspaceList, WorkspaceObject } from './workspace-schemas';

export type JsonSchema = Record<string, unknown>;

/** Named schemas, each with the side of it the document shows: what is sent, or what comes back. */
const COMPONENTS = {
  CreateVirtualKey: [CreateVirtualKeyBody, 'input'],
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
  Empty: [EmptyResult, 'output'],
  Error: [ErrorObject, 'output'],
} satisfies Record<string, [z.ZodMiniType, 'input' | 'output']>;

export type ComponentName = keyof typeof COMPONENTS;

export function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** `components.schemas`: every named schema as JSON Schema. */
export function componentSchemas(): Record<ComponentName, JsonSchema> {
  const entries = Object.entries(COMPONENTS).map(([name, [schema, io]]) => [name, jsonSchema(schema, io)]);
  return Object.fromEntries(entries) as Record<ComponentName, JsonSchema>;
}

export const jsonContent = (name: ComponentName) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } });

/** Each field of an object schema as an OpenAPI parameter. */
export function parameters(schema: z.ZodMiniObject, where: 'query' | 'path'): JsonSchema[] {
  const properties = (jsonSchema(schema, 'input').properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, property]) => ({ name, in: where, required: where === 'path', schema: property }));
}
