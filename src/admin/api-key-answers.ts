// The answers of /v1/api-keys, for the OpenAPI document and api-key-service.ts's types only, so
// they stay out of the Worker's bundle.

import * as z from 'zod/mini';
import { API_KEY_TYPES } from '../auth/scopes';
import { DefaultsView, keyLimitViewFields } from './shared-answers';

export const ApiKeyObject = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  description: z.nullable(z.string()),
  type: z.enum(API_KEY_TYPES),
  organisation_id: z.string(),
  workspace_id: z.nullable(z.string()),
  user_id: z.nullable(z.string()),
  scopes: z.array(z.string()),
  status: z.enum(['active', 'expired']),
  defaults: DefaultsView,
  ...keyLimitViewFields(),
  created_at: z.string(),
  last_updated_at: z.string(),
  expires_at: z.nullable(z.string()),
  last_used_at: z.nullable(z.string()),
  object: z.literal('api-key'),
});

export const ApiKeyList = z.object({ object: z.literal('list'), total: z.number(), data: z.array(ApiKeyObject) });

export const CreatedApiKey = z.object({
  id: z.string(),
  key: z.string(),
  object: z.literal('api-key'),
});

export const RotatedApiKey = z.object({
  id: z.string(),
  key: z.string(),
  key_transition_expires_at: z.string(),
});
