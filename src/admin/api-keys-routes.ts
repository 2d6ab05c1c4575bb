// /v1/api-keys: Portkey's API-key API. The scope each route needs depends on the type of the key
// it acts on, so the service checks it (api-key-service.ts), not a route-level guard.

import { auditRequest } from '../http/audit-request';
import { Hono } from 'hono/tiny';
import type { AppEnv } from '../http/context';
import { parseInput, readJsonBody, readOptionalJsonBody } from '../http/validation';
import { ApiKeyListQuery, ApiKeyParams, CreateApiKeyBody, CreateApiKeyParams, RotateApiKeyBody, UpdateApiKeyBody } from './api-key-schemas';
import {
  apiKeyTypeOf,
  createApiKey,
  deleteApiKeyById,
  findVisibleApiKey,
  listVisibleApiKeys,
  rotateApiKeyById,
  toApiKeyObjectWithState,
  updateApiKeyById,
} from './api-key-service';

export function apiKeyRoutes() {
  return (
    new Hono<AppEnv>()
      // Before `/:type/:subType`, which has the same shape.
      .post('/:id/rotate', async (c) => {
        const { id } = parseInput(ApiKeyParams, c.req.param(), 'param');
        const body = parseInput(RotateApiKeyBody, await readOptionalJsonBody(c.req.raw), 'json');
        return c.json(await rotateApiKeyById(c.env, c.get('principal'), id, body, auditRequest(c, body)), 200);
      })
      .post('/:type/:subType', async (c) => {
        const { type, subType } = parseInput(CreateApiKeyParams, c.req.param(), 'param');
        const body = parseInput(CreateApiKeyBody, await readJsonBody(c.req.raw), 'json');
        const created = await createApiKey(c.env, c.get('principal'), apiKeyTypeOf(type, subType), body, auditRequest(c, body));
        return c.json({ ...created, object: 'api-key' as const }, 200);
      })
      .get('/', async (c) => {
        const query = parseInput(ApiKeyListQuery, c.req.query(), 'query');
        return c.json(await listVisibleApiKeys(c.env, c.get('principal'), query), 200);
      })
      .get('/:id', async (c) => {
        const { id } = parseInput(ApiKeyParams, c.req.param(), 'param');
        return c.json(await toApiKeyObjectWithState(c.env, c.executionCtx, await findVisibleApiKey(c.env, c.get('principal'), id, 'read')), 200);
      })
      .put('/:id', async (c) => {
        const { id } = parseInput(ApiKeyParams, c.req.param(), 'param');
        const body = parseInput(UpdateApiKeyBody, await readJsonBody(c.req.raw), 'json');
        await updateApiKeyById(c.env, c.get('principal'), id, body, auditRequest(c, body));
        return c.json({}, 200);
      })
      // The SDK sends `{id}` as a body with DELETE; the path says which key.
      .delete('/:id', async (c) => {
        const { id } = parseInput(ApiKeyParams, c.req.param(), 'param');
        await deleteApiKeyById(c.env, c.get('principal'), id, auditRequest(c));
        return c.json({}, 200);
      })
  );
}
