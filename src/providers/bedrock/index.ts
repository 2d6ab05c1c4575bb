// AWS Bedrock: apps speak OpenAI chat, Bedrock speaks Converse. A Bedrock virtual key makes
// Keygate translate the request, sign it with SigV4 (or send a Bedrock API key), and translate the
// answer back, streamed or not, tool calls included.

import { signedAwsRequest } from './sigv4';
import * as z from 'zod/mini';
import { expandTemplate, upstreamTemplate } from '../../config';
import { invalidRequest, KeygateError, quoted } from '../../errors';
import { completeResponse } from '../../wire/complete-response';
import type { ProviderModule, UpstreamCall, UpstreamRequest } from '../provider';
import { authSettings, requestAuth, type RequestAuth } from './auth';
import { toConverseRequest } from './converse-request';
import { toChatCompletion, type ChatUsage } from './converse-response';
import { parseUsage, type Usage } from '../../usage/usage';
import { converseEventsToSse } from './converse-stream';
import { bedrockErrorResponse } from './errors';
import { eventStreamDecoder } from './event-stream';

const region = z
  .string()
  .check(
    z.trim(),
    z.regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as us-east-1'),
  );
const secretText = z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(4096));
const headerSafe = secretText.check(z.regex(/^[\x21-\x7e]+$/, 'may contain only printable ASCII characters without spaces'));

const authType = z.enum(['accessKey', 'assumedRole', 'apiKey']);
const roleArn = z
  .string()
  .check(z.trim(), z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/bedrock'));
const externalId = z.string().check(z.trim(), z.regex(/^[\w+=,.@:\/-]{2,1224}$/, 'must be 2 to 1224 characters of letters, digits and +=,.@:/-'));

const authFields = {
  aws_auth_type: z.optional(authType),
  aws_access_key_id: z.optional(headerSafe),
  aws_secret_access_key: z.optional(secretText),
  aws_session_token: z.optional(headerSafe),
  aws_role_arn: z.optional(roleArn),
  aws_external_id: z.optional(externalId),
  key: z.optional(headerSafe),
};

const createFields = { aws_region: region, ...authFields };
const updateFields = { aws_region: z.optional(region), ...authFields };

const configSchema = z.object({ region, auth_type: authType, role_arn: z.optional(roleArn), external_id: z.optional(externalId) });

type BedrockConfig = z.infer<typeof configSchema>;

/** Every credential value a call used, for scrubbing Bedrock's error messages. */
function credentialValues(auth: RequestAuth): string[] {
  if (auth.kind === 'bearer') return [auth.token];
  const { accessKeyId, secretAccessKey, sessionToken } = auth.credentials;
  return [accessKeyId, secretAccessKey, ...(sessionToken ? [sessionToken] : [])];
}

async function signedRequest(url: string, body: string, stream: boolean, auth: RequestAuth, awsRegion: string): Promise<UpstreamRequest> {
  const headers = { 'content-type': 'application/json', accept: stream ? 'application/vnd.amazon.eventstream' : 'application/json' };
  if (auth.kind === 'bearer') {
    return { url, method: 'POST', headers: new Headers({ ...headers, authorization: `Bearer ${auth.token}` }), body };
  }
  // Service and region are explicit, since a custom endpoint's host says neither.
  const signed = await signedAwsRequest(url, { method: 'POST', headers, body }, auth.credentials, { service: 'bedrock', region: awsRegion });
  return { url, method: 'POST', headers: signed.headers, body };
}

function converseUrl(call: UpstreamCall<BedrockConfig>, modelId: string, stream: boolean): string {
  const endpoint = expandTemplate(upstreamTemplate(call.env, 'BEDROCK_RUNTIME_ENDPOINT'), { region: call.config.region }).replace(/\/+$/, '');
  // encodeURIComponent sends `:` as `%3A`; a raw `:` fails AWS's signature check.
  return `${endpoint}/model/${encodeURIComponent(modelId)}/${stream ? 'converse-stream' : 'converse'}`;
}

function fromChatUsage(usage: ChatUsage): Usage {
  return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, totalTokens: usage.total_tokens };
}

export const bedrockProvider: ProviderModule<BedrockConfig, typeof createFields, typeof updateFields> = {
  id: 'bedrock',
  configSchema,
  createFields,
  updateFields,
  secretFields: ['key', 'aws_access_key_id', 'aws_secret_access_key', 'aws_session_token'],
  credentialsFromCreate(fields, env) {
    const auth = authSettings(fields, null, env);
    return { config: { region: fields.aws_region, ...auth.config }, secret: auth.secret ?? {}, masked: auth.masked ?? {} };
  },
  applyUpdate(fields, current, env) {
    const stored = current.config;
    const auth = authSettings(fields, stored, env);
    return { config: { region: fields.aws_region ?? stored.region, ...auth.config }, secret: auth.secret, masked: auth.masked };
  },
  describeConfig(config) {
    const { region: awsRegion, auth_type, role_arn, external_id } = config;
    return {
      aws_region: awsRegion,
      aws_auth_type: auth_type,
      ...(role_arn ? { aws_role_arn: role_arn } : {}),
      ...(external_id ? { aws_external_id: external_id } : {}),
    };
  },
  maskedApiKey: (masked) => masked.key ?? masked.aws_secret_access_key ?? null,
  pricedModel: (model) => model,
  async prepareUpstream(call) {
    if (call.method !== 'POST' || call.path !== '/chat/completions') {
      throw invalidRequest('unsupported_for_provider', `Bedrock virtual keys serve POST /v1/chat/completions only, not ${quoted(call.method, 16)} /v1${quoted(call.path, 100)}.`);
    }
    if (!call.json) throw invalidRequest('invalid_body', 'A chat completion needs a JSON object body.');
    const { config } = call;
    const converse = toConverseRequest(call.json);
    const auth = await requestAuth(call.env, config, call.secret, config.region, call.slug);
    const request = await signedRequest(converseUrl(call, converse.modelId, converse.stream), JSON.stringify(converse.request), converse.stream, auth, config.region);
    const meta = { id: `chatcmpl-${crypto.randomUUID()}`, model: converse.modelId, created: Math.floor(Date.now() / 1000) };

    return {
      request,
      async relay(upstream) {
        if (!upstream.ok) return bedrockErrorResponse(upstream, credentialValues(auth));
        const headers = new Headers({ 'content-type': converse.stream ? 'text/event-stream' : 'application/json' });
        const requestId = upstream.headers.get('x-amzn-requestid');
        if (requestId) headers.set('x-upstream-request-id', requestId);
        if (converse.stream) {
          if (!upstream.body) throw new KeygateError('upstream_invalid', 'upstream_invalid_response', 'Bedrock answered a stream without a body.');
          headers.set('cache-control', 'no-cache');
          const events = upstream.body.pipeThrough(eventStreamDecoder());
          const onUsage = call.onUsage && ((usage: ChatUsage) => call.onUsage?.(fromChatUsage(usage)));
          return new Response(converseEventsToSse(events, { ...meta, includeUsage: converse.includeUsage, ...(onUsage ? { onUsage } : {}) }), { headers });
        }
        const answer = await upstream.json().catch(() => {
          throw new KeygateError('upstream_invalid', 'upstream_invalid_response', 'Bedrock answered with a body that is not valid JSON.');
        });
        const completion = toChatCompletion(answer, meta) as { usage?: unknown };
        const usage = parseUsage(completion.usage);
        if (usage) call.onUsage?.(usage);
        return completeResponse(JSON.stringify(completion), { headers });
      },
    };
  },
};
