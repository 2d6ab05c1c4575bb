// Zod schemas for /v1/admin/workspaces (Portkey's paths, fields and shapes): validation, types
// and the OpenAPI document. What the fields mean is in workspace-docs.ts, out of the Worker's bundle.

import * as z from 'zod/mini';
import { limitFields, limitViewFields, resetUsageField } from './limit-schemas';
import { DefaultsInput, DefaultsView, description, pageFields, resourceName } from './shared-schemas';

export const CreateWorkspaceBody = z.strictObject({
  name: resourceName(),
  description,
  defaults: z.nullish(DefaultsInput),
  ...limitFields(),
});

export const UpdateWorkspaceBody = z.strictObject({
  name: z.optional(resourceName()),
  description,
  defaults: z.nullish(DefaultsInput),
  ...limitFields(),
  ...resetUsageField(),
});

export const WorkspaceParams = z.object({
  workspaceId: z.string(),
});

export const WorkspaceListQuery = z.object({
  ...pageFields,
  name: z.optional(z.string().check(z.maxLength(200))),
  exact_name: z.optional(z.string().check(z.maxLength(200))),
});

export const WorkspaceObject = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.nullable(z.string()),
  defaults: DefaultsView,
  ...limitViewFields(),
  created_at: z.string(),
  last_updated_at: z.string(),
  object: z.literal('workspace'),
});

export const WorkspaceList = z.object({ object: z.literal('list'), total: z.number(), data: z.array(WorkspaceObject) });
