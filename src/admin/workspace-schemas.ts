// Zod schemas for /v1/admin/workspaces (Portkey's paths, fields and shapes): validation, types
// and the OpenAPI document. What the answers show is in workspace-answers.ts and what the fields
// mean in workspace-docs.ts, both out of the Worker's bundle.

import * as z from 'zod/mini';
import { limitFields, resetUsageField } from './limit-schemas';
import { DefaultsInput, description, pageFields, resourceName } from './shared-schemas';

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
