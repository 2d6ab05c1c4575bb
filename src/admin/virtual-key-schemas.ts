// Zod schemas for the virtual-key admin API: the single source of validation, types and the
// OpenAPI document. Provider-specific fields come from each provider module. What the answers show
// is in virtual-key-answers.ts and what the fields mean in virtual-key-docs.ts, both out of the
// Worker's bundle.

import * as z from 'zod/mini';
import { PROVIDERS } from '../providers/registry';
import { keyLimitFields, resetUsageField } from './limit-schemas';
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
  z.strictObject({ ...commonCreateFields, provider: z.enum([provider.id]), ...provider.createFields }),
);
type CreateVariant = (typeof createVariants)[number];

const variantOf = new Map<unknown, CreateVariant>(PROVIDERS.map((provider, index) => [provider.id, createVariants[index]!]));
const unknownProvider = `must be one of: ${PROVIDERS.map((provider) => provider.id).join(', ')}`;

/**
 * The create body as the OpenAPI document shows it: one variant per provider, chosen by `provider`.
 * A function, so zod's discriminated-union code (about 0.4 KiB of the 60 KiB gzipped bundle) stays
 * out of the Worker: CreateVirtualKeyBody parses exactly as this does.
 */
export const documentedCreateBody = () =>
  acceptingBothSpellings(
    z.discriminatedUnion('provider', createVariants as unknown as [CreateVariant], {
      error: (issue) => (issue.code === 'invalid_union' ? unknownProvider : undefined),
    }),
  );

export const CreateVirtualKeyBody = acceptingBothSpellings(
  z.transform((input: unknown, context): z.output<CreateVariant> => {
    // What z.discriminatedUnion does: an object, whose `provider` names the variant that parses it.
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      context.issues.push({ code: 'invalid_type', expected: 'object', input });
      return input as never;
    }
    const variant = variantOf.get((input as { provider?: unknown }).provider);
    if (!variant) {
      context.issues.push({ code: 'invalid_union', errors: [], message: unknownProvider, path: ['provider'], input });
      return input as never;
    }
    const result = z.safeParse(variant, input);
    // Its issues carry their messages already; each is reported as the variant reported it.
    if (!result.success) context.issues.push(...(result.error.issues as z.core.$ZodRawIssue[]));
    return result.data as never;
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
