// The gateway's side of the OpenAPI document: the OpenAI-compatible paths an SDK calls. Their
// bodies and answers are the provider's (OpenAI's shapes), so the document describes what Keygate
// adds: the scope, how a request names its virtual key, and the answers Keygate itself gives.

import type { JsonSchema } from './openapi-components';

const security = [{ bearerAuth: [] }, { portkeyApiKey: [] }];
const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
const answer = (description: string) => ({ description, content: errorContent });

const virtualKeyHeader = {
  name: 'x-portkey-virtual-key',
  in: 'header',
  required: false,
  description: 'The virtual key to call through, when the body does not name one as `model: "@<slug>/<model>"`.',
  schema: { type: 'string' },
};

/** What Keygate itself may answer on any gateway call. */
const GATEWAY_ANSWERS = {
  400: answer('No virtual key, a malformed `@slug/model`, a body that is not JSON, or a field the provider cannot honour.'),
  401: answer('Missing, invalid or expired API key.'),
  403: answer('The API key lacks `completions.write`, or the virtual key is disabled or expired.'),
  404: answer('No such virtual key, or one of a workspace this API key does not act in.'),
  405: answer('A method the OpenAI surface does not use (TRACE, CONNECT, …): never forwarded.'),
  412: answer(
    'A budget is spent, named by its level: workspace_budget_exhausted, api_key_budget_exhausted, budget_exhausted (the virtual key’s) or model_budget_exhausted (a model rule’s); or the model is on neither the virtual key’s nor the API key’s allowed_models (model_not_allowed).',
  ),
  413: answer('Body over 32 MiB.'),
  415: answer('On a key counting tokens or cost: a body that is neither a JSON object nor multipart/form-data.'),
  429: answer('A rate limit is reached (the message names the workspace, API key, virtual key or model rule), or too many wrong API keys came from this address; see Retry-After.'),
  502: answer('The upstream could not be reached or answered nonsense.'),
  503: answer('The virtual key’s limits ledger could not be reached.'),
  504: answer('The upstream did not answer in time.'),
};

function gatewayOperation(operationId: string, summary: string, withBody: boolean): JsonSchema {
  return {
    tags: ['Gateway'],
    operationId,
    summary,
    description:
      'Needs the scope `completions.write`. Forwarded to the virtual key’s provider with its real credential; ' +
      'the answer is the provider’s (OpenAI’s shape), streamed when `stream: true`.',
    security,
    parameters: [virtualKeyHeader],
    ...(withBody
      ? {
          requestBody: {
            required: true,
            description: 'The OpenAI request. `model` may be `@<virtual-key>/<model>`; the upstream then gets the bare model.',
            content: { 'application/json': { schema: { type: 'object', properties: { model: { type: 'string', examples: ['@openai-prod-3kq7m2x9a4b5c6d7/gpt-4o-mini'] } } } } },
          },
        }
      : {}),
    responses: { 200: { description: 'The provider’s answer.' }, ...GATEWAY_ANSWERS },
  };
}

export function gatewayPaths(): Record<string, JsonSchema> {
  return {
    '/v1/chat/completions': { post: gatewayOperation('createChatCompletion', 'Create a chat completion', true) },
    '/v1/completions': { post: gatewayOperation('createCompletion', 'Create a completion', true) },
    '/v1/embeddings': { post: gatewayOperation('createEmbedding', 'Create embeddings', true) },
    '/v1/responses': { post: gatewayOperation('createResponse', 'Create a response (the Responses API)', true) },
    '/v1/models': { get: gatewayOperation('listModels', 'List the provider’s models (needs x-portkey-virtual-key)', false) },
  };
}

/** Checks for operators and load balancers: no API key. */
export function operationsPaths(): Record<string, JsonSchema> {
  return {
    '/health': {
      get: {
        tags: ['Operations'],
        operationId: 'health',
        summary: 'Liveness: the Worker runs',
        description: 'No API key. Answers `{"status":"ok"}` whenever the Worker runs.',
        security: [],
        responses: { 200: { description: 'Alive.' } },
      },
    },
    '/ready': {
      get: {
        tags: ['Operations'],
        operationId: 'ready',
        summary: 'Readiness: the vault key imports, D1 has the latest migration, KV answers',
        description: 'No API key. Answers `{"status":"ready","checks":{…}}`, or 503 naming the check that failed and why.',
        security: [],
        responses: { 200: { description: 'Ready to serve.' }, 503: { description: 'Not ready: the body names the failed check.' } },
      },
    },
  };
}
