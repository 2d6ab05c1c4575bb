// What the /v1/api-keys fields mean, for the OpenAPI document only: openapi-docs.ts says why this
// text is kept apart from api-key-schemas.ts (the Worker's bundle budget).

import { ApiKeyObject, CreatedApiKey, RotatedApiKey } from './api-key-answers';
import { ApiKeyListQuery, ApiKeyParams, CreateApiKeyBody, UpdateApiKeyBody, userId } from './api-key-schemas';
import { fields, schema, type DocEntry } from './openapi-docs';

/** Fields naming what can't change, which create and update share. */
const identity = {
  type: 'Accepted when it agrees with the path.',
  'sub-type': 'Accepted when it agrees with the path.',
  organisation_id: 'This deployment’s organisation; another is refused.',
};

export const apiKeyDocs: DocEntry[] = [
  ...fields(CreateApiKeyBody, {
    name: { example: 'checkout-service' },
    workspace_id: 'Required for workspace keys.',
    user_id: 'Required for user keys; an opaque id of your own.',
    expires_at: 'After this time the key gets 401 api_key_expired.',
    allowed_models:
      'Model names and prefix* patterns (gpt-4o*) the key’s gateway calls may name, whatever the virtual key; left out or []: every model. Another model gets 412 model_not_allowed.',
    rate_limits: 'Rate limits on every gateway call this key makes, through any virtual key; counted in the key’s own ledger.',
    usage_limits: 'A budget for every gateway call this key makes (412 api_key_budget_exhausted when spent).',
    model_limits: 'Per-model rules: {models: [names or prefix* patterns], rate_limits?, usage_limits?}, each with a ledger of its own. A call for a model a rule names is admitted only if that rule admits it too (412 model_budget_exhausted, 429 naming the rule); a model several rules name is bound by all of them.',
    ...identity,
  }),
  ...schema(userId, { example: 'c3d4e5f6-a7b8-4c7d-8e1f-2a3b4c5d6e7f' }, 'user_id'),
  ...fields(UpdateApiKeyBody, {
    id: 'The SDK leaves it in the body; it must match the path.',
    expires_at: 'null removes the expiry.',
    allowed_models: 'Replaces the list; null or [] allows every model.',
    rate_limits: 'Replaces the list; [] removes every limit.',
    usage_limits: 'Replaces the budget; null removes it.',
    model_limits: 'Replaces every rule; null or [] removes them.',
    reset_usage: 'true: the key’s budget, and each model rule’s, starts its current period afresh.',
    workspace_id: 'Can’t change; accepted when unchanged.',
    user_id: 'Can’t change; accepted when unchanged.',
    ...identity,
  }),
  ...fields(ApiKeyParams, { id: { example: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' } }),
  ...fields(ApiKeyListQuery, { workspaceId: 'Another spelling of workspace_id.' }),
  ...fields(ApiKeyObject, {
    key: 'Masked: at most the last 4 characters.',
    last_used_at: 'May lag by up to a minute.',
    allowed_models: 'The models its gateway calls may name; [] for every model.',
    usage_limits: 'The budget; on retrieve also what is spent and when it resets.',
    rate_limit_windows: 'On retrieve: each rate limit’s current window.',
  }),
  ...fields(CreatedApiKey, { key: 'The key itself, shown this once and never again.' }),
  ...fields(RotatedApiKey, { key: 'The new key, shown this once.', key_transition_expires_at: 'When the previous key stops working.' }),
];
