// The OpenAI-compatible surface. Every `/v1/*` path that is not an admin route lands here, and
// reads top to bottom: authenticate (middleware) -> resolve the virtual key -> provider -> relay.

import { Hono } from 'hono';
import { upstreamTimeoutMs } from '../config';
import type { AppEnv } from '../http/context';
import { enforceRateLimits, tokenMeter } from '../limits/ledger-client';
import { providerOf } from '../providers/registry';
import { KeygateError } from '../errors';
import { VaultError } from '../vault/crypto';
import { openProviderSecret } from '../vault/virtual-key-secret';
import { readGatewayRequest } from './gateway-request';
import { resolveVirtualKey } from './resolve-virtual-key';
import { fetchUpstream, relayUpstreamResponse } from './upstream';

export function gatewayRoutes() {
  return new Hono<AppEnv>().all('/*', async function forwardToProvider(c) {
    const pathBelowV1 = new URL(c.req.url).pathname.replace(/^\/v1/, '') || '/';
    const call = await readGatewayRequest(c.req.raw, pathBelowV1);
    const record = await resolveVirtualKey(c.env, c.executionCtx, c.get('principal'), call.virtualKeySlug);
    await enforceRateLimits(c.env, record);
    const provider = providerOf(record);

    // The decrypted secret exists from here until the upstream request is built, and nowhere else.
    const secret = await openProviderSecret(c.env, record, record.secretEnvelope).catch((error: unknown) => {
      if (!(error instanceof VaultError)) throw error;
      throw new KeygateError(
        'internal',
        'virtual_key_unreadable',
        `The stored credential of virtual key ${record.slug} could not be decrypted. Was VAULT_KEY changed?`,
      );
    });
    const onTokens = tokenMeter(c.env, c.executionCtx, record);
    const exchange = await provider.prepareUpstream({
      ...call,
      env: c.env,
      slug: record.slug,
      config: record.providerConfig,
      secret,
      ...(onTokens ? { onTokens } : {}),
    });

    const upstreamResponse = await fetchUpstream(exchange.request, upstreamTimeoutMs(c.env));
    const relayAsIs = (upstream: Response) => relayUpstreamResponse(upstream, call.method, onTokens);
    return exchange.relay ? exchange.relay(upstreamResponse, relayAsIs) : relayAsIs(upstreamResponse);
  });
}
