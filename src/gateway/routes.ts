// The OpenAI-compatible surface. Every `/v1/*` path that is not an admin route lands here, and
// reads top to bottom: authenticate (middleware) -> resolve the virtual key -> admit against its
// limits -> call the provider -> relay -> settle the actual usage (ledger and usage history).

import { Hono } from 'hono/tiny';
import { upstreamTimeoutMs } from '../config';
import type { AppEnv, Principal } from '../http/context';
import { requireScope } from '../http/require-scope';
import { assertCallsModelNamed, assertModelAllowed, assertModelReadable } from '../limits/model-allow-list';
import { withTopLevelField } from '../wire/json-body';
import { admit, CLIENT_CLOSED_REQUEST } from '../usage/metering';
import { providerOf } from '../providers/registry';
import type { Usage } from '../usage/usage';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { errorStatus, KeygateError, quoted } from '../errors';
import { VaultError } from '../vault/crypto';
import { openProviderSecret } from '../vault/virtual-key-secret';
import { readGatewayRequest, type GatewayRequest } from './gateway-request';
import { settleWhenDelivered } from './metered-response';
import { resolveLimitLevels } from './resolve-limit-levels';
import { resolveVirtualKey } from './resolve-virtual-key';
import { fetchUpstream, relayUpstreamResponse } from './upstream';

// The methods OpenAI's API uses (its SDK sends no PUT or PATCH), and HEAD, GET without the body.
// Anything else (TRACE, which an echoing proxy would answer with the real credential) never
// reaches a provider.
const FORWARDED_METHODS = new Set(['GET', 'HEAD', 'POST', 'DELETE']);

// First path segments that are Keygate's own (app.ts routes them). Another spelling of one of them
// (`//admin`, `Admin`, `admin%2Fusers`) must not reach a provider with the real credential either.
const KEYGATE_SEGMENTS = new Set(['admin', 'api-keys', 'api_keys', 'audit-logs', 'audit_logs', 'analytics', 'virtual-keys', 'virtual_keys']);

function namesKeygatePath(pathBelowV1: string): boolean {
  let decoded = pathBelowV1;
  try {
    decoded = decodeURIComponent(pathBelowV1);
  } catch {
    // Not valid percent-encoding: read it as it is.
  }
  const first = decoded.split('/').find((segment) => segment !== '' && segment !== '.');
  return first !== undefined && KEYGATE_SEGMENTS.has(first.toLowerCase());
}

export function gatewayRoutes() {
  return new Hono<AppEnv>().all('/*', requireScope('completions.write'), (c) => forwardToProvider(c.req.raw, c.env, c.executionCtx, c.get('principal')));
}

/** One gateway call, from an authenticated request to the response that relays the provider's answer. */
export async function forwardToProvider(
  request: Request,
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  principal: Principal,
  url = new URL(request.url),
): Promise<Response> {
  const { method, signal: clientGone } = request;
  if (!FORWARDED_METHODS.has(method)) {
    throw new KeygateError('method_not_allowed', 'method_not_allowed', `The gateway forwards GET, HEAD, POST and DELETE, not ${quoted(method, 16)}.`);
  }
  const pathBelowV1 = url.pathname.replace(/^\/v1/, '') || '/';
  if (namesKeygatePath(pathBelowV1)) {
    throw new KeygateError('not_found', 'route_not_found', `No route for ${quoted(method, 16)} /v1${quoted(pathBelowV1, 200)}.`);
  }
  const call = await readGatewayRequest(request, url, pathBelowV1);
  const record = await resolveVirtualKey(env, context, principal, call.virtualKeySlug);
  // Before any reservation: a model off either list costs nothing at any level.
  assertModelAllowed(principal.allowedModels, call.model, method, 'This API key');
  assertModelAllowed(record.allowedModels, call.model, method, `Virtual key ${record.slug}`);
  // Model rules, like allow-lists, must see the model that runs: one they can't read is refused.
  if ((principal.limits?.modelLimits.length ?? 0) > 0) assertModelReadable(call.model, method, 'This API key');
  if (record.modelLimits.length > 0) assertModelReadable(call.model, method, `Virtual key ${record.slug}`);
  const ruled = record.modelLimits.length + (principal.limits?.modelLimits.length ?? 0) > 0;
  const listed = principal.allowedModels.length + record.allowedModels.length > 0;
  if (listed || ruled) assertCallsModelNamed(providerOf(record), record, call.model);
  const levels = await resolveLimitLevels(env, context, principal, record, call.model);
  // Where the model decides something (a list, a model rule, a price), the upstream gets that
  // model and no other: a body naming `model` twice has every copy set to the one Keygate read
  // (the last).
  const modelDecides = listed || ruled || levels.some((level) => level.usageLimits?.type === 'cost');
  if (modelDecides && call.json && call.model !== null && typeof call.body === 'string') {
    call.body = withTopLevelField(call.body, call.json, 'model', call.model);
  }
  const pricedModel = providerOf(record).pricedModel(call.model, record.providerConfig);
  const admitted = await admit(env, context, record, levels, call, pricedModel, principal.apiKeyId);
  try {
    const { response, addedStreamUsage } = await callProvider(env, record, call, admitted.onUsage, clientGone);
    return settleWhenDelivered(response, admitted, { hideAddedUsage: addedStreamUsage, clientGone });
  } catch (error) {
    admitted.settle(clientGone.aborted ? CLIENT_CLOSED_REQUEST : error instanceof KeygateError ? errorStatus(error) : 500);
    throw error;
  }
}

/**
 * Opens the key's secret, has its provider build the upstream request, and relays the answer,
 * saying whether the provider asked a stream for a usage chunk the client must not see.
 */
async function callProvider(
  env: Env,
  record: VirtualKeyRecord,
  call: GatewayRequest,
  onUsage: (usage: Usage) => void,
  clientGone: AbortSignal,
): Promise<{ response: Response; addedStreamUsage: boolean }> {
  const provider = providerOf(record);
  // The decrypted secret exists from here until the upstream request is built, and nowhere else.
  const secret = await openProviderSecret(env, record, record.secretEnvelope).catch((error: unknown) => {
    if (!(error instanceof VaultError)) throw error;
    throw new KeygateError(
      'internal',
      'virtual_key_unreadable',
      `The stored credential of virtual key ${record.slug} could not be decrypted. Was VAULT_KEY changed, or its key removed from VAULT_KEYS?`,
    );
  });
  const exchange = await provider.prepareUpstream({
    ...call,
    env,
    slug: record.slug,
    config: record.providerConfig,
    secret,
    onUsage,
  });
  const upstreamResponse = await fetchUpstream(exchange.request, upstreamTimeoutMs(env), clientGone);
  const relayAsIs = (upstream: Response) => relayUpstreamResponse(upstream, call.method, onUsage);
  const response = await (exchange.relay ? exchange.relay(upstreamResponse, relayAsIs) : relayAsIs(upstreamResponse));
  return { response, addedStreamUsage: exchange.addedStreamUsage === true };
}
