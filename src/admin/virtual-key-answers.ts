// The answers of /v1/virtual-keys, for the OpenAPI document and virtual-key-service.ts's types
// only, so they stay out of the Worker's bundle.

import * as z from 'zod/mini';
import { wholeNumber } from '../schemas/checks';
import { keyLimitViewFields } from './shared-answers';

export const VirtualKeyObject = z.object({
  object: z.literal('virtual-key'),
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  note: z.nullable(z.string()),
  ai_provider_name: z.string(),
  masked_api_key: z.nullable(z.string()),
  masked_secrets: z.record(z.string(), z.string()),
  status: z.enum(['active', 'disabled', 'expired', 'exhausted']),
  workspace_id: z.string(),
  expires_at: z.nullable(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  model_config: z.record(z.string(), z.unknown()),
  ...keyLimitViewFields(),
});

export const VirtualKeyList = z.object({ object: z.literal('list'), total: wholeNumber(), data: z.array(VirtualKeyObject) });

export const SlugResult = z.object({ success: z.literal(true), data: z.object({ id: z.string(), slug: z.string() }) });

export const DeletedResult = z.object({ success: z.literal(true) });
