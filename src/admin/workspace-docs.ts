// What the /v1/admin/workspaces fields mean, for the OpenAPI document only: openapi-docs.ts says
// why this text is kept apart from workspace-schemas.ts (the Worker's bundle budget).

import { fields, type DocEntry } from './openapi-docs';
import { CreateWorkspaceBody, UpdateWorkspaceBody, WorkspaceListQuery, WorkspaceObject, WorkspaceParams } from './workspace-schemas';

export const workspaceDocs: DocEntry[] = [
  ...fields(CreateWorkspaceBody, { name: { example: 'Search team' } }),
  ...fields(UpdateWorkspaceBody, { defaults: 'Replaces the defaults; null clears them.' }),
  ...fields(WorkspaceParams, { workspaceId: { example: 'ws-search-team-3f9a1c' } }),
  ...fields(WorkspaceListQuery, { name: 'Names that contain this, case-sensitively.' }),
  ...fields(WorkspaceObject, { slug: 'Equal to id, as in Portkey.' }),
];
