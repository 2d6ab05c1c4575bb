// Zod schemas for /v1/admin/workspaces (Portkey's paths, fields and shapes): validation, types
// and the OpenAPI document.

import * as z from 'zod/mini';
import { DefaultsInput, DefaultsView, description, pageFields, resourceName } from './shared-schemas';

export const CreateWorkspaceBody = z.strictObject({
  name: resourceName.check(z.meta({ example: 'Search team' })),
  description,
  defaults: z.nullish(DefaultsInput),
});

export const UpdateWorkspaceBody = z.strictObject({
  name: z.optional(resourceName),
  description,
  defaults: z.nullish(DefaultsInput).check(z.describe('Replaces the defaults; null clears them.')),
});

export const WorkspaceParams = z.object({
  workspaceId: z.string().check(z.meta({ example: 'ws-search-team-3f9a1c' })),
});

export const WorkspaceListQuery = z.object({
  ...pageFields,
  name: z.optional(z.string().check(z.maxLength(200))).check(z.describe('Names that contain this, case-sensitively.')),
  exact_name: z.optional(z.string().check(z.maxLength(200))),
});

export const WorkspaceObject = z.object({
  id: z.string(),
  slug: z.string().check(z.describe('Equal to id, as in Portkey.')),
  name: z.string(),
  description: z.nullable(z.string()),
  defaults: DefaultsView,
  created_at: z.string(),
  last_updated_at: z.string(),
  object: z.literal('workspace'),
});

export const WorkspaceList = z.object({ object: z.literal('list'), total: z.number(), data: z.array(WorkspaceObject) });
