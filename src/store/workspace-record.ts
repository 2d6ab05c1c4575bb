// The stored shape of a workspace, read back from D1 through a schema.

import * as z from 'zod/mini';
import { NO_LIMITS, StoredLimitsSchema } from '../limits/limit-levels';
import { DefaultsSchema } from './api-key-record';

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

const WorkspaceRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.nullable(z.string()),
  defaults: z.string(),
  limits: z.string(),
  revision: z.int(),
  created_at: z.string(),
  last_updated_at: z.string(),
});

export const WORKSPACE_COLUMNS = Object.keys(WorkspaceRowSchema.shape).join(', ');

export function workspaceFromRow(row: unknown): WorkspaceRecord {
  const parsed = WorkspaceRowSchema.parse(row);
  return WorkspaceRecordSchema.parse({
    id: parsed.id,
    name: parsed.name,
    description: parsed.description,
    defaults: JSON.parse(parsed.defaults),
    limits: JSON.parse(parsed.limits),
    revision: parsed.revision,
    createdAt: parsed.created_at,
    updatedAt: parsed.last_updated_at,
  });
}
