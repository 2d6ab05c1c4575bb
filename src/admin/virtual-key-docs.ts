// What the virtual-key admin API's fields mean, provider fields included, for the OpenAPI
// document only: openapi-docs.ts says why this text is kept apart from virtual-key-schemas.ts
// (the Worker's bundle budget).

import { UsageLimitsSchema } from '../limits/usage-limits';
import { azureOpenaiProvider } from '../providers/azure-openai';
import { DeploymentEntry } from '../providers/azure-openai/deployments';
import { bedrockProvider } from '../providers/bedrock';
import { openaiProvider } from '../providers/openai';
import { vertexProvider } from '../providers/vertex-ai';
import { fields, schema, type DocEntry } from './openapi-docs';
import { futureTimestamp } from './shared-schemas';
import { VirtualKeyObject } from './virtual-key-answers';
import { documentedCreateBody, ListQuery, SlugParams, UpdateVirtualKeyBody } from './virtual-key-schemas';

/** CreateVirtualKeyBody as the document shows it (virtual-key-schemas.ts says why it is apart). */
export const CreateVirtualKeyDocument = documentedCreateBody();

export const virtualKeyDocs: DocEntry[] = [
  // Checked by hand (schemas/checks.ts), so the format is said here; every expires_at shares it.
  ...schema(futureTimestamp, { format: 'date-time' }, 'futureTimestamp'),
  // Every provider's variant; `name` is the same schema in UpdateVirtualKey, so it shows the example there too.
  ...fields(CreateVirtualKeyDocument, {
    name: { example: 'openai-prod' },
    expires_at: 'After this time the key is refused.',
    workspace_id: 'A workspace key: its own (another is 403). An organisation key: any, or the default workspace when left out.',
    rate_limits: 'Counted per virtual key in its ledger; [] for none.',
    usage_limits: 'A budget, counted in the key’s ledger.',
    model_limits: 'Per-model rules: {models: [names or prefix* patterns], rate_limits?, usage_limits?}, each with a ledger of its own. A call for a model a rule names is admitted only if that rule admits it too (412 model_budget_exhausted, 429 naming the rule); a model several rules name is bound by all of them.',
    allowed_models:
      'Model names and prefix* patterns (gpt-4o*) this key may call; left out or []: every model. A call for another model gets 412 model_not_allowed.',
  }),
  ...fields(UpdateVirtualKeyBody, {
    expires_at: 'null removes the expiry.',
    status: 'disabled refuses every request.',
    rate_limits: 'Replaces the list; [] removes every limit.',
    usage_limits: 'Replaces the budget; null removes it.',
    allowed_models: 'Replaces the list; null or [] allows every model.',
    model_limits: 'Replaces every rule; null or [] removes them. A rule whose models are unchanged keeps what it has spent.',
    reset_usage: 'true: the budget, and each model rule’s, starts its current period afresh (spent 0), so an exhausted key is active again.',
  }),
  ...fields(SlugParams, { slug: { example: 'openai-prod-3kq7m2x9a4b5c6d7' } }),
  ...fields(ListQuery, { workspace_id: 'Only this workspace’s keys; a workspace key sees its own only.' }),
  ...fields(VirtualKeyObject, {
    masked_secrets: 'Every stored secret field, masked.',
    usage_limits: 'The budget; on retrieve also what is spent and when it resets.',
    rate_limit_windows: 'On retrieve: each rate limit’s current window.',
    allowed_models: 'The models this key may call; [] for every model.',
    model_limits: 'The model rules; on retrieve each with the live state of its ledger.',
  }),
  ...fields(UsageLimitsSchema, { model_prices: 'USD per million tokens by model, overriding Keygate’s price table for this key.' }),

  // Provider fields. A field update shares with create (the same schema, optional) shows the same text.
  ...fields(openaiProvider.createFields, { key: 'The OpenAI API key.' }),
  ...fields(openaiProvider.updateFields, { key: 'A new OpenAI API key. Rotation: the slug stays and the next request uses it.' }),
  ...fields(azureOpenaiProvider.createFields, {
    resource_name: 'The Azure OpenAI resource, the {resource} in AZURE_OPENAI_ENDPOINT.',
    azure_auth_mode: 'Default api-key.',
    key: 'The resource key (api-key mode).',
  }),
  ...fields(DeploymentEntry, { model: 'The underlying model (e.g. gpt-4o), for cost budgets.' }),
  ...fields(bedrockProvider.createFields, {
    aws_region: 'The AWS region of the Bedrock runtime, e.g. us-east-1.',
    aws_auth_type: 'Default accessKey.',
    key: 'A Bedrock API key (apiKey auth). Ignored beside an access key pair, as Portkey’s example sends it.',
  }),
  ...fields(vertexProvider.createFields, {
    vertex_region: { description: 'The Vertex AI region, e.g. us-central1, or global (VERTEX_GLOBAL_ENDPOINT).', example: 'us-central1' },
    vertex_project_id: 'The Google Cloud project; default: the key file’s project_id.',
    vertex_service_account_json: {
      description:
        'The service account key file, as an object or its JSON text (at most 16 KiB): type service_account, client_email, private_key_id and a PKCS#8 private_key that imports for RS256. Sealed whole; retrieve shows the account’s email and the masked key id only.',
      anyOf: [
        {
          type: 'object',
          required: ['type', 'client_email', 'private_key_id', 'private_key'],
          properties: {
            type: { const: 'service_account' },
            project_id: { type: 'string' },
            client_email: { type: 'string', format: 'email' },
            private_key_id: { type: 'string' },
            private_key: { type: 'string', description: 'PEM: -----BEGIN PRIVATE KEY-----' },
          },
        },
        { type: 'string', description: 'The same file as JSON text.' },
      ],
    },
  }),
  ...fields(vertexProvider.updateFields, {
    vertex_service_account_json: 'A new key file (rotation): the slug stays and the next request uses it. The project stays unless vertex_project_id is given.',
  }),
];
