// The admin API's OpenAPI 3.1 document, generated from the zod schemas the routes validate with.
//
// Not part of the Worker: z.toJSONSchema alone is about 7 KiB of the 60 KiB gzipped bundle budget.
// `npm run openapi` writes the document to public/v1/openapi.json, which Cloudflare's asset layer
// serves before the Worker runs; test/e2e/openapi-document.test.ts fails when the committed file
// differs from what these schemas generate, or when a route is missing from openapi-paths.ts.

import { componentSchemas, type JsonSchema } from './openapi-components';
import { adminPaths } from './openapi-paths';

export function buildOpenApiDocument(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Keygate admin API',
      version: '1',
      description:
        'Virtual keys for LLM provider credentials, the workspaces that hold them, and the API keys that call Keygate. ' +
        'Every operation needs the admin key or an API key holding the scope its description names.',
    },
    tags: [
      { name: 'Virtual keys', description: 'Provider credentials behind a slug, with rate limits and budgets.' },
      { name: 'Workspaces', description: 'What virtual keys and workspace API keys belong to.' },
      { name: 'API keys', description: 'Keys for the gateway and this API, each with its scopes.' },
    ],
    paths: adminPaths(),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        portkeyApiKey: { type: 'apiKey', in: 'header', name: 'x-portkey-api-key' },
      },
    },
  };
}
