// /v1/virtual-keys: the Portkey-compatible admin API for virtual keys. Routes are declared once
// with @hono/zod-openapi, so they validate bodies and describe themselves in /v1/openapi.json.

import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../http/context';
import { validationHook } from '../http/validation';
import {
  createVirtualKey,
  deleteVirtualKeyBySlug,
  getVirtualKey,
  listWorkspaceVirtualKeys,
  toVirtualKeyObjectWithState,
  updateVirtualKeyBySlug,
} from './virtual-key-service';
import {
  CreateVirtualKeyBody,
  ErrorObject,
  ListQuery,
  SlugParams,
  SlugResult,
  UpdateVirtualKeyBody,
  VirtualKeyList,
  VirtualKeyObject,
} from './virtual-key-schemas';

const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { portkeyApiKey: [] }];
const json = <Schema extends z.ZodType>(schema: Schema, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const errors = {
  400: json(ErrorObject, 'Invalid request: the message names the field.'),
  401: json(ErrorObject, 'Missing or invalid API key.'),
};

const createKey = createRoute({
  method: 'post',
  path: '/',
  security,
  request: { body: { ...json(CreateVirtualKeyBody, 'The key to store'), required: true } },
  responses: { 200: json(SlugResult, 'Created'), 413: json(ErrorObject, 'Body over 64 KiB'), ...errors },
});

const listKeys = createRoute({
  method: 'get',
  path: '/',
  security,
  request: { query: ListQuery },
  responses: { 200: json(VirtualKeyList, 'A page of keys, newest first'), ...errors },
});

const retrieveKey = createRoute({
  method: 'get',
  path: '/{slug}',
  security,
  request: { params: SlugParams },
  responses: { 200: json(VirtualKeyObject, 'The key, secrets masked'), 404: json(ErrorObject, 'No such key'), ...errors },
});

const updateKey = createRoute({
  method: 'put',
  path: '/{slug}',
  security,
  request: { params: SlugParams, body: { ...json(UpdateVirtualKeyBody, 'Fields to change'), required: true } },
  responses: { 200: json(SlugResult, 'Updated'), 404: json(ErrorObject, 'No such key'), ...errors },
});

const deleteKey = createRoute({
  method: 'delete',
  path: '/{slug}',
  security,
  request: { params: SlugParams },
  responses: {
    200: json(z.object({ success: z.literal(true) }).openapi('Deleted'), 'Deleted'),
    404: json(ErrorObject, 'No such key'),
    ...errors,
  },
});

export function virtualKeyRoutes() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(createKey, async (c) => {
      const record = await createVirtualKey(c.env, c.get('principal'), c.req.valid('json'));
      return c.json({ success: true as const, data: { id: record.id, slug: record.slug } }, 200);
    })
    .openapi(listKeys, async (c) => c.json(await listWorkspaceVirtualKeys(c.env, c.get('principal'), c.req.valid('query')), 200))
    .openapi(retrieveKey, async (c) => {
      const record = await getVirtualKey(c.env, c.get('principal'), c.req.valid('param').slug);
      return c.json(await toVirtualKeyObjectWithState(c.env, c.executionCtx, record), 200);
    })
    .openapi(updateKey, async (c) => {
      const { slug } = c.req.valid('param');
      const record = await updateVirtualKeyBySlug(c.env, c.get('principal'), slug, c.req.valid('json'));
      return c.json({ success: true as const, data: { id: record.id, slug: record.slug } }, 200);
    })
    .openapi(deleteKey, async (c) => {
      await deleteVirtualKeyBySlug(c.env, c.get('principal'), c.req.valid('param').slug);
      return c.json({ success: true as const }, 200);
    });
}
