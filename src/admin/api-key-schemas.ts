// Zod schemas for /v1/api-keys (Portkey's paths, fields and shapes): validation, types and the
// OpenAPI document. What the answers show is in api-key-answers.ts and what the fields mean in
// api-key-docs.ts, both out of the Worker's bundle.

import * as z from 'zod/mini';
import { SCOPES } from '../auth/scopes';
import { acceptingBothSpellings } from '../schemas/field-names';
import { keyLimitFields, resetUsageField } from './limit-schemas';
import { DefaultsInput, description, futureTimestamp, pageFields, resourceName, workspaceIdField } from './shared-schemas';

/** Portkey's transition minimum (30 minutes), and a ceiling so an old key can't live on for years. */
export const MIN_TRANSITION_MS = 1_800_000;
export const MAX_TRANSITION_MS = 90 * 86_400_000;

const scope = z.enum(SCOPES, { error: () => `is not a known scope; the known scopes are: ${SCOPES.join(', ')}` });

const scopes = z
  .array(scope)
  .check(
    z.minLength(1, 'must name at least one scope'),
    z.maxLength(SCOPES.length, `must have at most ${SCOPES.length} entries`),
    z.refine((list) => new Set(list).size === list.length, 'must not name a scope twice'),
  );

/** An id from the caller's own identity system: opaque to Keygate. */
export const userId = z
  .string()
  .check(z.regex(/^[A-Za-z0-9._@:|+=-]{1,128}$/, 'must be 1 to 128 characters: letters, digits and . _ @ : | + = -'));

const shortString = z.string().check(z.maxLength(128));

/** Fields the SDK or a full object may carry that name what can't change. */
const identityFields = {
  type: z.optional(z.enum(['organisation', 'workspace'])),
  'sub-type': z.optional(z.enum(['service', 'user'])),
  organisation_id: z.optional(shortString),
};

export const CreateApiKeyBody = acceptingBothSpellings(
  z.strictObject({
    name: resourceName(),
    description,
    workspace_id: workspaceIdField(),
    user_id: z.optional(userId),
    scopes,
    expires_at: z.nullish(futureTimestamp),
    defaults: z.nullish(DefaultsInput),
    ...keyLimitFields(),
    ...identityFields,
  }),
);

export const UpdateApiKeyBody = acceptingBothSpellings(
  z.strictObject({
    id: z.optional(shortString),
    name: z.optional(resourceName()),
    description,
    scopes: z.optional(scopes),
    expires_at: z.nullish(futureTimestamp),
    defaults: z.nullish(DefaultsInput),
    ...keyLimitFields(),
    ...resetUsageField(),
    workspace_id: z.nullish(shortString),
    user_id: z.nullish(shortString),
    ...identityFields,
  }),
);

export const RotateApiKeyBody = z.strictObject({
  key_transition_period_ms: z.optional(
    z.int().check(
      z.minimum(MIN_TRANSITION_MS, `must be at least ${MIN_TRANSITION_MS} (30 minutes)`),
      z.maximum(MAX_TRANSITION_MS, `must be at most ${MAX_TRANSITION_MS} (90 days)`),
    ),
  ),
});

export const CreateApiKeyParams = z.object({
  type: z.enum(['organisation', 'workspace']),
  subType: z.enum(['service', 'user']),
});

export const ApiKeyParams = z.object({ id: z.string() });

export const ApiKeyListQuery = z.object({
  ...pageFields,
  workspace_id: workspaceIdField(),
  workspaceId: workspaceIdField(),
});
