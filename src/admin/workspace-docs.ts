// What the /v1/admin/workspaces fields mean, for the OpenAPI document only: openapi-docs.ts says
// why this text is kept apart from workspace-schemas.ts (the Worker's bundle budget).

import { fields, type DocEntry } from './openapi-docs';
import { WorkspaceObject } from './workspace-answers';
import { CreateWorkspaceBody, UpdateWorkspaceBody, WorkspaceListQuery, WorkspaceParams } from './workspace-schemas';

export const workspaceDocs: DocEntry[] = [
  ...fields(CreateWorkspaceBody, {
    name: { example: 'Search team' },
    rate_limits: 'Shared by every gateway call into the workspace, whatever the key; counted in the workspace’s ledger.',
    usage_limits: 'A team budget shared by every key in the workspace (412 workspace_budget_exhausted when spent).',
  }),
  ...fields(UpdateWorkspaceBody, {
    defaults: 'Replaces the defaults; null clears them.',
    rate_limits: 'Replaces the list; [] removes every limit.',
    usage_limits: 'Replaces the budget; null removes it.',
    reset_usage: 'true: the budget starts its current period afresh (spent 0).',
  }),
  ...fields(WorkspaceParams, { workspaceId: { example: 'ws-search-team-3f9a1c' } }),
  ...fields(WorkspaceListQuery, { name: 'Names that contain this, case-sensitively.' }),
  ...fields(WorkspaceObject, {
    slug: 'Equal to id, as in Portkey.',
    usage_limits: 'The budget; on retrieve also what is spent and when it resets.',
    rate_limit_windows: 'On retrieve: each rate limit’s current window.',
  }),
];
