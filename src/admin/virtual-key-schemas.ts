// Zod schemas for the virtual-key admin API: the single source of validation, types and the
// OpenAPI document. Provider-specific fields come from each provider module. What the fields mean
// is in virtual-key-docs.ts, out of the Worker's bundle.

import * as z from 'zod/mini';
import { PROVIDERS } from '../providers/registry';
import { keyLimitFields, keyLimitViewFields, resetUsageField } from './limit-schemas';
import { wholeNumber } from '../schemas/checks';
import { acceptingBothSpellings } from '../schemas/field-names';
import { description, futureTimestamp, pageFields, resourceName, workspaceIdField } from './shared-schemas';

const keyName = resourceName();
const note = description;

const commonCreateFields = {
  name: keyName,
  note,
  expires_at: z.nullish(futureTimestamp),
  workspace_id: workspaceIdField(),
  ...keyLimitFields(),
};

const createVariants = PROVIDERS.map((provider) =>
  z.strictObject({ ...commonCreateFields, provider: z.literal(provider.id), ...provider.createFields }),
);

export const CreateVirtualKeyBody = acceptingBothSpellings(
  z.discriminatedUnion('provider', createVariants as unknown as [(typeof createVariants)[number]], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `must be one of: ${PROVIDERS.map((provider) => provider.id).join(', ')}`
        : undefined,
  }),
);

const providerUpdateFields = Object.assign({}, ...PROVIDERS.map((provider) => provider.updateFields)) as Record<
  string,
  z.ZodMiniType
>;

/** Fields every update may carry, whatever the provider. */
export const commonUpdateFields = {
  name: z.optional(keyName),
  note,
  expires_at: z.nullish(futureTimestamp),
  status: z.optional(z.enum(['active', 'disabled'])),
  ...keyLimitFields(),
  ...resetUsageField(),
};

export const UpdateVirtualKeyBody = acceptingBothSpellings(z.strictObject({ ...commonUpdateFields, ...providerUpdateFields }));

export const SlugParams = z.object({
  slug: z.string().check(z.minLength(1), z.maxLength(200)),
});

export const ListQuery = z.object({
  ...pageFields,
  workspace_id: workspaceIdField(),
});

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
