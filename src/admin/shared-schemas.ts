// Schema pieces the admin API's resources share: pages, `defaults` and timestamps. What the
// answers show is in shared-answers.ts, out of the Worker's bundle.

import * as z from 'zod/mini';
import { coercedNumber, isoDateTime, trimmedString } from '../schemas/checks';

export const MAX_NAME_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 2000;
const MAX_METADATA_ENTRIES = 64;

// resourceName() and workspaceIdField() make a new schema per field, so each field's documentation
// (openapi-docs.ts) can be its own.
export const resourceName = () => trimmedString(1, MAX_NAME_LENGTH);
export const description = z.nullish(z.string().check(z.maxLength(MAX_DESCRIPTION_LENGTH)));

/** `defaults: { metadata?: { <string>: <string> } }`, as Portkey's workspaces and API keys take it. */
export const DefaultsInput = z.strictObject({
  metadata: z.optional(
    z
      .record(z.string().check(z.minLength(1), z.maxLength(100)), z.string().check(z.maxLength(1000)))
      .check(z.refine((metadata) => Object.keys(metadata).length <= MAX_METADATA_ENTRIES, `must have at most ${MAX_METADATA_ENTRIES} entries`)),
  ),
});

export const futureTimestamp = isoDateTime('must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z').check(
  z.refine((value) => Date.parse(value) > Date.now(), 'must be in the future'),
);

/** Portkey's paging: `current_page` from 0, `page_size` up to 100. */
export const pageFields = {
  current_page: z._default(coercedNumber().check(z.int(), z.minimum(0, 'starts at 0')), 0),
  page_size: z._default(coercedNumber().check(z.int(), z.minimum(1), z.maximum(100, 'is at most 100')), 50),
};

/**
 * A `workspace_id` that names where to act. Portkey's own examples send `""` for none, which means
 * the same as leaving it out.
 */
export const workspaceIdField = () =>
  z.optional(
    z.pipe(
      z.string().check(z.maxLength(128)),
      z.transform((value) => (value === '' ? undefined : value)),
    ),
  );

/**
 * `allowed_models`: model names and `prefix*` patterns a key may call; empty (or null on update)
 * means every model. Matched by src/limits/model-allow-list.ts.
 */
export const modelPattern = z.string().check(z.regex(/^[^*]{1,200}\*?$/, 'must be a model name, or the start of one followed by *'));

export const allowedModelsField = () =>
  z.nullish(
    z
      .array(modelPattern)
      .check(z.maxLength(100), z.refine((list) => new Set(list).size === list.length, 'must not name a model twice')),
  );
