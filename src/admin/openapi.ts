// The admin API's OpenAPI 3.1 document, generated from the zod schemas the routes validate with
// (z.toJSONSchema emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Built once per
// isolate, on the first request for it. The route table here mirrors virtual-keys-routes.ts; a
// test checks that every route is described.

import * as z from 'zod/mini';
import {
  CreateVirtualKeyBody,
  DeletedResult,
  ErrorObject,
  ListQuery,
  SlugParams,
  SlugResult,
  UpdateVirtualKeyBody,
  VirtualKeyList,
  VirtualKeyObject,
} from './virtual-key-schemas';

type JsonSchema = Record<string, unknown>;

/** Named schemas, each with the side of it the document shows: what is sent, or what comes back. */
const COMPONENTS: Record<string, [z.ZodMiniType, 'input' | 'output']> = {
  CreateVirtualKey: [CreateVirtualKeyBody, 'input'],
  UpdateVirtualKey: [UpdateVirtualKeyBody, 'input'],
  VirtualKey: [VirtualKeyObject, 'output'],
  VirtualKeyList: [VirtualKeyList, 'output'],
  VirtualKeySlug: [SlugResult, 'output'],
  Deleted: [DeletedResult, 'output'],
  Error: [ErrorObject, 'output'],
};

function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (name: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (name: keyof typeof COMPONENTS) => ({ 'application/json': { schema: ref(name) } });
const answer = (description: string, name: keyof typeof COMPONENTS) => ({ description, content: jsonContent(name) });

/** Each field of an object schema as an OpenAPI parameter. */
function parameters(schema: z.ZodMiniObject, where: 'query' | 'path'): JsonSchema[] {
  const properties = (jsonSchema(schema, 'input').properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, property]) => ({ name, in: where, required: where === 'path', schema: property }));
}

const security = [{ bearerAuth: [] }, { portkeyApiKey: [] }];
const errors = {
  400: answer('Invalid request: the message names the field.', 'Error'),
  401: answer('Missing or invalid API key.', 'Error'),
};
const notFound = { 404: answer('No such key', 'Error') };

function buildDocument(): JsonSchema {
  const slug = parameters(SlugParams, 'path');
  return {
    openapi: '3.1.0',
    info: { title: 'Keygate admin API', version: '1', description: 'Virtual keys for LLM provider credentials.' },
    paths: {
      '/v1/virtual-keys': {
        post: {
          summary: 'Create a virtual key',
          security,
          requestBody: { required: true, description: 'The key to store', content: jsonContent('CreateVirtualKey') },
          responses: { 200: answer('Created', 'VirtualKeySlug'), 413: answer('Body over 64 KiB', 'Error'), ...errors },
        },
        get: {
          summary: 'List virtual keys',
          security,
          parameters: parameters(ListQuery, 'query'),
          responses: { 200: answer('A page of keys, newest first', 'VirtualKeyList'), ...errors },
        },
      },
      '/v1/virtual-keys/{slug}': {
        get: {
          summary: 'Retrieve a virtual key',
          security,
          parameters: slug,
          responses: { 200: answer('The key, secrets masked', 'VirtualKey'), ...notFound, ...errors },
        },
        put: {
          summary: 'Update a virtual key',
          security,
          parameters: slug,
          requestBody: { required: true, description: 'Fields to change', content: jsonContent('UpdateVirtualKey') },
          responses: { 200: answer('Updated', 'VirtualKeySlug'), ...notFound, ...errors },
        },
        delete: {
          summary: 'Delete a virtual key',
          security,
          parameters: slug,
          responses: { 200: answer('Deleted', 'Deleted'), ...notFound, ...errors },
        },
      },
    },
    components: {
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, [schema, io]]) => [name, jsonSchema(schema, io)])),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        portkeyApiKey: { type: 'apiKey', in: 'header', name: 'x-portkey-api-key' },
      },
    },
  };
}

let built: JsonSchema | undefined;

export function openApiDocument(): JsonSchema {
  built ??= buildDocument();
  return built;
}
