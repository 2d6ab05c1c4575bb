// Azure OpenAI: one virtual key covers several deployments of one resource. The call's `model`
// picks a deployment (by alias or name), and the request goes to that deployment's URL with its
// api-version, authenticated by api-key, a service principal's Entra token, or the gateway's own
// identity.

import * as z from 'zod/mini';
import { expandTemplate, upstreamTemplate } from '../../config';
import { invalidRequest } from '../../errors';
import { withTopLevelField } from '../../wire/json-body';
import type { ProviderModule, UpstreamCall } from '../provider';
import { authorizationHeader, authSettings } from './auth';
import { acceptsStreamOptions, checkedDeployments, chooseDeployment, DeploymentList, StoredDeployment, type Deployment } from './deployments';
import { askingForStreamUsage, STREAMED_USAGE_PATHS, type BodyWithStreamUsage } from '../stream-usage-request';

const resourceName = z
  .string()
  .check(
    z.trim(),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, 'must be an Azure resource name: letters, digits and dashes'),
  );
const secretText = z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(4096));
// A resource key travels in a header: printable ASCII without spaces only.
const resourceKey = secretText.check(z.regex(/^[\x21-\x7e]+$/, 'may contain only printable ASCII characters without spaces'));
const clientId = z.string().check(z.trim(), z.minLength(1), z.maxLength(200));

const authFields = {
  azure_auth_mode: z.optional(z.enum(['api-key', 'apiKey', 'entra', 'managed'])),
  key: z.optional(resourceKey),
  // A tenant is a GUID or a domain; it becomes a path segment of the token endpoint.
  azure_entra_tenant_id: z.optional(
    z.string().check(z.trim(), z.regex(/^(?!\.+$)[A-Za-z0-9.-]{1,253}$/, 'must be a tenant id (a GUID) or a tenant domain')),
  ),
  azure_entra_client_id: z.optional(clientId),
  azure_entra_client_secret: z.optional(secretText),
  azure_managed_client_id: z.optional(clientId),
};

const createFields = { resource_name: resourceName, deployment_config: DeploymentList, ...authFields };
const updateFields = { resource_name: z.optional(resourceName), deployment_config: z.optional(DeploymentList), ...authFields };

const configSchema = z.object({
  resource_name: resourceName,
  deployments: z.array(StoredDeployment).check(z.minLength(1)),
  auth_mode: z.enum(['api-key', 'entra', 'managed']),
  entra_tenant_id: z.optional(z.string()),
  entra_client_id: z.optional(z.string()),
  managed_client_id: z.optional(z.string()),
});

type AzureConfig = z.infer<typeof configSchema>;

// Calls that Azure serves per deployment. The Responses API lives only on Azure's v1 surface
// (/openai/v1/responses, the deployment named in `model`); anything else goes to /openai/.
const DEPLOYMENT_PATHS = new Set([
  '/chat/completions',
  '/completions',
  '/embeddings',
  '/audio/transcriptions',
  '/audio/translations',
  '/audio/speech',
  '/images/generations',
]);

const RESPONSES_PATH = '/responses';

/** Whether a client path starts at `deployments/`, however it is spelled (`//`, `./`, `%2F`, case). */
function namesDeployment(path: string): boolean {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Not valid percent-encoding: read it as it is.
  }
  return decoded.split('/').find((segment) => segment !== '' && segment !== '.')?.toLowerCase() === 'deployments';
}

function upstreamUrl(call: UpstreamCall<AzureConfig>, deployment: Deployment): string {
  const endpoint = expandTemplate(upstreamTemplate(call.env, 'AZURE_OPENAI_ENDPOINT'), { resource: call.config.resource_name }).replace(/\/+$/, '');
  const query = new URLSearchParams(call.search);
  if (call.path === RESPONSES_PATH) return `${endpoint}/openai/v1/responses${query.size ? `?${query}` : ''}`;
  const path = DEPLOYMENT_PATHS.has(call.path) ? `/openai/deployments/${encodeURIComponent(deployment.deployment_name)}${call.path}` : `/openai${call.path}`;
  query.set('api-version', deployment.api_version);
  return `${endpoint}${path}?${query}`;
}

/**
 * Usage: a plain answer carries `usage`. A stream carries it only in a last chunk that must be
 * asked for with `stream_options.include_usage` (api-versions from 2024-09-01), and Azure
 * sometimes leaves even that out; the limits ledger (a later issue) estimates usage from the
 * streamed text when it is missing. The Responses API names the deployment in `model`.
 */
function upstreamBody(call: UpstreamCall<AzureConfig>, deployment: Deployment): BodyWithStreamUsage {
  if (!call.json || typeof call.body !== 'string') return { body: call.body, added: false };
  if (call.path === RESPONSES_PATH) return { body: withTopLevelField(call.body, call.json, 'model', deployment.deployment_name), added: false };
  if (!STREAMED_USAGE_PATHS.has(call.path) || !acceptsStreamOptions(deployment.api_version)) return { body: call.body, added: false };
  return askingForStreamUsage(call);
}

export const azureOpenaiProvider: ProviderModule<AzureConfig, typeof createFields, typeof updateFields> = {
  id: 'azure-openai',
  configSchema,
  createFields,
  updateFields,
  secretFields: ['key', 'azure_entra_client_secret'],
  credentialsFromCreate(fields, env) {
    const deployments = checkedDeployments(fields.deployment_config);
    const auth = authSettings(fields, null, env);
    return { config: { resource_name: fields.resource_name, deployments, ...auth.config }, secret: auth.secret ?? {}, masked: auth.masked ?? {} };
  },
  applyUpdate(fields, current, env) {
    const stored = current.config;
    const deployments = fields.deployment_config ? checkedDeployments(fields.deployment_config) : stored.deployments;
    const auth = authSettings(fields, stored, env);
    return {
      config: { resource_name: fields.resource_name ?? stored.resource_name, deployments, ...auth.config },
      secret: auth.secret,
      masked: auth.masked,
    };
  },
  describeConfig(config) {
    const { resource_name, deployments, auth_mode, entra_tenant_id, entra_client_id, managed_client_id } = config;
    return {
      resource_name,
      azure_auth_mode: auth_mode,
      deployment_config: deployments,
      ...(entra_tenant_id ? { azure_entra_tenant_id: entra_tenant_id, azure_entra_client_id: entra_client_id } : {}),
      ...(managed_client_id ? { azure_managed_client_id: managed_client_id } : {}),
    };
  },
  maskedApiKey: (masked) => masked.key ?? masked.azure_entra_client_secret ?? null,
  // Azure is priced by the deployment's underlying model, when the deployment names it.
  callsModelNamed: (model, config) => config.deployments.some((deployment) => deployment.alias === model || deployment.deployment_name === model),
  pricedModel(model, config) {
    const deployment = chooseDeployment(config.deployments, model);
    return deployment.model ?? deployment.deployment_name;
  },
  async prepareUpstream(call) {
    const { config } = call;
    if (namesDeployment(call.path)) {
      // The deployment follows from `model`, which allow-lists and pricing read; a path naming one would go around both.
      throw invalidRequest('unsupported_for_provider', 'An Azure virtual key picks the deployment from model (an alias or a deployment name), not from the path.');
    }
    const deployment = chooseDeployment(config.deployments, call.json?.model);
    const [authName, authValue] = await authorizationHeader(call.env, config, call.secret, call.slug);
    const { headers } = call;
    headers.set(authName, authValue);
    const { body, added } = upstreamBody(call, deployment);
    // The client did not ask for the usage chunk, so it does not get it.
    return { request: { url: upstreamUrl(call, deployment), method: call.method, headers, body }, addedStreamUsage: added };
  },
};
