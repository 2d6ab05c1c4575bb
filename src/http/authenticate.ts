// Authenticates the caller for the admin API and the gateway, and sets the request's principal.
//
// The key is accepted from `x-portkey-api-key` (the Portkey SDK) or `Authorization` with or
// without `Bearer ` (the OpenAI SDK; the Portkey SDK passes `Authorization` verbatim).

import type { MiddlewareHandler } from 'hono';
import { identifyCaller } from '../auth/identify-caller';
import type { AppEnv } from './context';

export function presentedApiKey(headers: Headers): string | null {
  const portkeyHeader = headers.get('x-portkey-api-key')?.trim();
  if (portkeyHeader) return portkeyHeader;
  const authorization = headers.get('authorization')?.trim();
  if (!authorization) return null;
  // `Bearer` with nothing after it (an SDK with an empty apiKey) is a missing key, not a wrong one.
  const bearer = /^bearer(?:\s+(.*))?$/i.exec(authorization);
  return (bearer ? (bearer[1] ?? '') : authorization).trim() || null;
}

export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticateCaller(c, next) {
    // The client's address counts its wrong keys (src/auth/failed-sign-ins.ts); Cloudflare sets it.
    const clientAddress = c.req.raw.headers.get('cf-connecting-ip');
    c.set('principal', await identifyCaller(c.env, c.executionCtx, presentedApiKey(c.req.raw.headers), clientAddress));
    await next();
  };
}
