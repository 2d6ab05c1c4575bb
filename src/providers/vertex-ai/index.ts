// Google Vertex AI: a virtual key holds a service account key file, sealed whole. Calls go to
// Vertex's OpenAI-compatible chat endpoint, so the request and answer keep OpenAI's shape, with a
// Google access token (google-token.ts) as the bearer.

import * as z from 'zod/mini';
import { expandTemplate, upstreamTemplate } from '../../config';
import { invalidRequest, quoted } from '../../errors';
import { withTopLevelField } from '../../wire/json-body';
import { maskSecret, type ProviderModule, type UpstreamCall } from '../provider';
import { askingForStreamUsage } from '../stream-usage-request';
import { googleTokens } from './google-token';
import { assertImportable, openedAccount, sealedAccount, serviceAccountJson, type ServiceAccount } from './service-account';

const region = z
  .string()
  .check(z.trim(), z.regex(/^(global|[a-z]+-[a-z]+\d{1,2})$/, 'must be a Vertex AI region such as us-central1, or global'));
// Project ids are 6 to 30 characters; older ones may carry a domain prefix (example.com:project).
const projectId = z
  .string()
  .check(z.trim(), z.regex(/^([a-z0-9.-]{1,63}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id such as my-project-123'));

const createFields = {
  vertex_region: region,
  vertex_project_id: z.optional(projectId),
  vertex_service_account_json: serviceAccountJson,
};

const updateFields = {
  vertex_region: z.optional(region),
  vertex_project_id: z.optional(projectId),
  vertex_service_account_json: z.optional(serviceAccountJson),
};

const configSchema = z.object({ project_id: projectId, region, client_email: z.string() });

type VertexConfig = z.infer<typeof configSchema>;

/** The project a key calls: the one named, else the file's own. */
function projectOf(named: string | undefined, account: ServiceAccount | undefined, stored: string | undefined): string {
  const project = named ?? stored ?? account?.project_id;
  const checked = project === undefined ? undefined : projectId.safeParse(project);
  if (!checked?.success) {
    throw invalidRequest(
      'missing_field',
      project === undefined
        ? 'vertex_project_id: required when the service account JSON has no project_id'
        : 'vertex_project_id: the service account’s project_id is not a Google Cloud project id; name the project',
      'vertex_project_id',
    );
  }
  return checked.data;
}

/** The secret, its mask and the config fields a new service account brings. */
async function accountCredentials(account: ServiceAccount) {
  await assertImportable(account);
  return { secret: sealedAccount(account), masked: { vertex_private_key_id: maskSecret(account.private_key_id) } };
}

function chatUrl(call: UpstreamCall<VertexConfig>): string {
  const { project_id: project, region: location } = call.config;
  const setting = location === 'global' ? 'VERTEX_GLOBAL_ENDPOINT' : 'VERTEX_ENDPOINT';
  const endpoint = expandTemplate(upstreamTemplate(call.env, setting), { region: location }).replace(/\/+$/, '');
  // Both are checked against patterns with no URL-special character but `:`, which Google's paths
  // take as is (a domain-scoped project, example.com:my-project); encoding it would change the name.
  return `${endpoint}/v1/projects/${project}/locations/${location}/endpoints/openapi/chat/completions`;
}

/** Vertex names models by publisher: `gemini-2.5-flash` is Google's. A named publisher stays. */
const vertexModel = (model: string) => (model.includes('/') ? model : `google/${model}`);

export const vertexProvider: ProviderModule<VertexConfig, typeof createFields, typeof updateFields> = {
  id: 'vertex-ai',
  configSchema,
  createFields,
  updateFields,
  secretFields: ['vertex_service_account_json'],
  async credentialsFromCreate(fields) {
    const account = fields.vertex_service_account_json;
    const project_id = projectOf(fields.vertex_project_id, account, undefined);
    return { config: { project_id, region: fields.vertex_region, client_email: account.client_email }, ...(await accountCredentials(account)) };
  },
  // A new file replaces the secret (rotation); the project stays unless vertex_project_id names one.
  async applyUpdate(fields, current) {
    const stored = current.config;
    const account = fields.vertex_service_account_json;
    const config = {
      project_id: projectOf(fields.vertex_project_id, account, stored.project_id),
      region: fields.vertex_region ?? stored.region,
      client_email: account?.client_email ?? stored.client_email,
    };
    return account ? { config, ...(await accountCredentials(account)) } : { config };
  },
  describeConfig: (config) => ({ vertex_project_id: config.project_id, vertex_region: config.region, vertex_client_email: config.client_email }),
  maskedApiKey: (masked) => masked.vertex_private_key_id ?? null,
  pricedModel: (model) => model && model.replace(/^google\//, ''),
  async prepareUpstream(call) {
    if (call.method !== 'POST' || call.path !== '/chat/completions') {
      throw invalidRequest(
        'unsupported_for_provider',
        `Vertex AI virtual keys serve POST /v1/chat/completions only, not ${quoted(call.method, 16)} /v1${quoted(call.path, 100)}.`,
      );
    }
    const model = call.json?.model;
    if (!call.json || typeof call.body !== 'string' || typeof model !== 'string' || model === '') {
      throw invalidRequest('invalid_body', 'A Vertex AI chat completion needs a JSON body that names model, e.g. gemini-2.5-flash.', 'model');
    }
    const account = openedAccount(call.secret, call.slug);
    const tokenUrl = upstreamTemplate(call.env, 'GOOGLE_TOKEN_URL');
    const token = await googleTokens.token(account, tokenUrl, `virtual key ${call.slug}`);
    const named = vertexModel(model) === model ? call.body : withTopLevelField(call.body, call.json, 'model', vertexModel(model));
    const { body, added } = askingForStreamUsage({ json: call.json, body: named });
    const { headers } = call;
    headers.set('authorization', `Bearer ${token}`);
    return {
      request: { url: chatUrl(call), method: 'POST', headers, body },
      addedStreamUsage: added,
      async relay(upstream, relayAsIs) {
        // A token Vertex no longer takes is not handed out again for the rest of its hour.
        if (upstream.status === 401) await googleTokens.forget(account, tokenUrl);
        return relayAsIs(upstream);
      },
    };
  },
};
