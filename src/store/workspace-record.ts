// The stored shape of a workspace, read back from D1 through a schema.

import * as z from 'zod/mini';
import { NO_LIMITS, StoredLimitsSchema } from '../limits/limit-levels';
import { DefaultsSchema } from './api-key-record';
import { rowFields } from './row-fields';

export const WorkspaceRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.nullable(z.string()),
  defaults: DefaultsSchema,
  limits: z._default(StoredLimitsSchema, NO_LIMITS),
  revision: z.int().check(z.minimum(1)),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type WorkspaceRecord = z.infer<typeof WorkspaceRecordSchema>;

export const WORKSPACE_COLUMNS = 'id, name, description, defaults, limits, revision, created_at, last_updated_at';

export function workspaceFromRow(row: unknown): WorkspaceRecord {
  return WorkspaceRecordSchema.parse(rowFields(row, ['defaults', 'limits']));
}
