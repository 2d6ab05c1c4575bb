// Authenticates the caller's API key for the admin API and the gateway.
//
// Accepted from `x-portkey-api-key` (the Portkey SDK) or `Authorization` with or without
// `Bearer ` (the OpenAI SDK; the Portkey SDK passes `Authorization` verbatim). The comparison is
// constant-time over SHA-256 digests, so neither content nor length leaks through timing.

import type { MiddlewareHandler } from 'hono';
import { KeygateError, unauthenticated } from '../errors';
import { DEFAULT_WORKSPACE_ID } from '../store/identifiers';
import { secretDigest, secretMatchesDigest } from '../vault/crypto';
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

// The admin key's digest, computed once per isolate (and again only if the secret changes):
// every request then hashes just the key it presents.
let adminKey: { secret: string; digest: Promise<Uint8Array> } | null = null;

function adminKeyDigest(secret: string): Promise<Uint8Array> {
  if (adminKey?.secret !== secret) adminKey = { secret, digest: secretDigest(secret) };
  return adminKey.digest;
}

export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticateApiKey(c, next) {
    const expected = c.env.ADMIN_API_KEY;
    if (typeof expected !== 'string' || expected.trim() === '') {
      // Fail closed: with no key configured nobody gets in.
      throw new KeygateError('internal', 'admin_api_key_missing', 'Keygate is misconfigured: ADMIN_API_KEY is not set.');
    }
    const presented = presentedApiKey(c.req.raw.headers);
    if (presented === null) {
      throw unauthenticated(
        'missing_api_key',
        'No API key: send it as x-portkey-api-key or as Authorization: Bearer <key>.',
      );
    }
    if (!(await secretMatchesDigest(presented, await adminKeyDigest(expected.trim())))) {
      throw unauthenticated('invalid_api_key', 'The API key is not valid.');
    }
    c.set('principal', { workspaceId: DEFAULT_WORKSPACE_ID, kind: 'admin' });
    await next();
  };
}
