// The answers of /v1/admin/workspaces, for the OpenAPI document and workspace-service.ts's types
// only, so they stay out of the Worker's bundle.

import * as z from 'zod/mini';
import { DefaultsView, limitViewFields } from './shared-answers';

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
