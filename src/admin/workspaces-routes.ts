// /v1/admin/workspaces: Portkey's workspace API. The SDK puts the id in the path, sends a JSON body
// with DELETE (ignored here), and passes list parameters through as written.

import { auditRequest } from '../http/audit-request';
import { Hono } from 'hono/tiny';
import type { AppEnv } from '../http/context';
import { requireScope } from '../http/require-scope';
import { parseInput, readJsonBody } from '../http/validation';
import { CreateWorkspaceBody, UpdateWorkspaceBody, WorkspaceListQuery, WorkspaceParams } from './workspace-schemas';
import {
  createWorkspace,
  deleteWorkspaceById,
  getWorkspace,
  listVisibleWorkspaces,
  toWorkspaceObject,
  toWorkspaceObjectWithState,
  updateWorkspaceById,
} from './workspace-service';

export function workspaceRoutes() {
  return new Hono<AppEnv>()
    .post('/', requireScope('workspaces.create'), async (c) => {
      const body = parseInput(CreateWorkspaceBody, await readJsonBody(c.req.raw), 'json');
      return c.json(toWorkspaceObject(await createWorkspace(c.env, body, auditRequest(c, body))), 200);
    })
    .get('/', requireScope('workspaces.list'), async (c) => {
      const query = parseInput(WorkspaceListQuery, c.req.query(), 'query');
      return c.json(await listVisibleWorkspaces(c.env, c.get('principal'), query), 200);
    })
    .get('/:workspaceId', requireScope('workspaces.read'), async (c) => {
      const { workspaceId } = parseInput(WorkspaceParams, c.req.param(), 'param');
      return c.json(await toWorkspaceObjectWithState(c.env, c.executionCtx, await getWorkspace(c.env, c.get('principal'), workspaceId)), 200);
    })
    .put('/:workspaceId', requireScope('workspaces.update'), async (c) => {
      const { workspaceId } = parseInput(WorkspaceParams, c.req.param(), 'param');
      const body = parseInput(UpdateWorkspaceBody, await readJsonBody(c.req.raw), 'json');
      await updateWorkspaceById(c.env, c.get('principal'), workspaceId, body, auditRequest(c, body));
      return c.json({}, 200);
    })
    .delete('/:workspaceId', requireScope('workspaces.delete'), async (c) => {
      const { workspaceId } = parseInput(WorkspaceParams, c.req.param(), 'param');
      await deleteWorkspaceById(c.env, c.get('principal'), workspaceId, auditRequest(c));
      return c.json({}, 200);
    });
}
