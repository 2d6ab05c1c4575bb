// /v1/virtual-keys: the Portkey-compatible admin API for virtual keys. Every input is read
// through one of the zod schemas in virtual-key-schemas.ts, which also generate the OpenAPI
// document (openapi.ts).

import { auditRequest } from '../http/audit-request';
import { Hono } from 'hono/tiny';
import type { AppEnv } from '../http/context';
import { requireScope } from '../http/require-scope';
import { parseInput, readJsonBody } from '../http/validation';
import {
  createVirtualKey,
  deleteVirtualKeyBySlug,
  getVirtualKey,
  listWorkspaceVirtualKeys,
  toVirtualKeyObjectWithState,
  updateVirtualKeyBySlug,
} from './virtual-key-service';
import { CreateVirtualKeyBody, ListQuery, SlugParams, UpdateVirtualKeyBody } from './virtual-key-schemas';

export function virtualKeyRoutes() {
  return new Hono<AppEnv>()
    .post('/', requireScope('virtual_keys.create'), async (c) => {
      const body = parseInput(CreateVirtualKeyBody, await readJsonBody(c.req.raw), 'json');
      const record = await createVirtualKey(c.env, c.get('principal'), body, auditRequest(c, body));
      return c.json({ success: true as const, data: { id: record.id, slug: record.slug } }, 200);
    })
    .get('/', requireScope('virtual_keys.list'), async (c) => {
      const query = parseInput(ListQuery, c.req.query(), 'query');
      return c.json(await listWorkspaceVirtualKeys(c.env, c.get('principal'), query), 200);
    })
    .get('/:slug', requireScope('virtual_keys.read'), async (c) => {
      const { slug } = parseInput(SlugParams, c.req.param(), 'param');
      const record = await getVirtualKey(c.env, c.get('principal'), slug);
      return c.json(await toVirtualKeyObjectWithState(c.env, c.executionCtx, record), 200);
    })
    .put('/:slug', requireScope('virtual_keys.update'), async (c) => {
      const { slug } = parseInput(SlugParams, c.req.param(), 'param');
      const body = parseInput(UpdateVirtualKeyBody, await readJsonBody(c.req.raw), 'json');
      const record = await updateVirtualKeyBySlug(c.env, c.get('principal'), slug, body, auditRequest(c, body));
      return c.json({ success: true as const, data: { id: record.id, slug: record.slug } }, 200);
    })
    .delete('/:slug', requireScope('virtual_keys.delete'), async (c) => {
      const { slug } = parseInput(SlugParams, c.req.param(), 'param');
      await deleteVirtualKeyBySlug(c.env, c.get('principal'), slug, auditRequest(c));
      return c.json({ success: true as const }, 200);
    });
}
