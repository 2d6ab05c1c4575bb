// The admin API's OpenAPI 3.1 document, generated from the zod schemas the routes validate with.
//
// Not part of the Worker: z.toJSONSchema alone is about 7 KiB of the 60 KiB gzipped bundle budget.
// `npm run openapi` writes the document to public/v1/openapi.json, which Cloudflare's asset layer
// serves before the Worker runs; test/e2e/openapi-document.test.ts fails when the committed file
// differs from what these schemas generate, or when a route is missing from openapi-paths.ts.

import { analyticsPaths } from './openapi-analytics';
import { auditLogPaths } from './openapi-audit';
import { componentSchemas, type JsonSchema } from './openapi-components';
import { gatewayPaths, operationsPaths } from './openapi-gateway';
import { adminPaths } from './openapi-paths';
import { vaultPaths } from './openapi-vault';

/** Other spellings src/app.ts mounts the same routes under, which the document does not repeat. */
export const PATH_ALIASES: Record<string, string> = { '/v1/virtual_keys': '/v1/virtual-keys' };

export function buildOpenApiDocument(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Keygate API',
      version: '1',
      description:
        'Virtual keys for LLM provider credentials, the workspaces that hold them, the API keys that call Keygate, ' +
        'and the OpenAI-compatible gateway. Every operation needs the admin key or an API key holding the scope its ' +
        'description names. `/v1/virtual_keys` is accepted as another spelling of `/v1/virtual-keys`. A method a path ' +
        'does not list answers 405; a path under /v1/admin, /v1/api-keys, /v1/audit-logs or /v1/analytics that is not ' +
        'listed answers 404. Every other /v1 path is forwarded to the virtual key’s provider like the gateway paths here.',
    },
    tags: [
      { name: 'Virtual keys', description: 'Provider credentials behind a slug, with rate limits and budgets.' },
      { name: 'Workspaces', description: 'What virtual keys and workspace API keys belong to.' },
      { name: 'API keys', description: 'Keys for the gateway and this API, each with its scopes.' },
      { name: 'Vault', description: 'Master-key rotation: what each key seals, and re-sealing under the current key.' },
      {
        name: 'Audit logs',
        description: 'Every admin change, refusal and budget event, in a hash chain that shows when a record is changed, removed or added.',
      },
      { name: 'Analytics', description: 'Requests, cost, tokens, latency and errors over time, and usage by model, workspace, key and status.' },
      { name: 'Gateway', description: 'The OpenAI surface: requests forwarded through a virtual key.' },
      { name: 'Operations', description: 'Checks for operators; no API key.' },
    ],
    paths: { ...adminPaths(), ...vaultPaths(), ...auditLogPaths(), ...analyticsPaths(), ...gatewayPaths(), ...operationsPaths() },
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        portkeyApiKey: { type: 'apiKey', in: 'header', name: 'x-portkey-api-key' },
      },
    },
  };
}
