// Gives every response an `x-request-id` and the same value as `x-portkey-request-id`.
// The Portkey SDK retries a 5xx unless that header is present, which would send a paid request
// upstream twice; with it the SDK reports the error instead.

import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context';

export function requestId(): MiddlewareHandler<AppEnv> {
  return async function assignRequestId(c, next) {
    const id = crypto.randomUUID();
    c.set('requestId', id);
    await next();
    c.res.headers.set('x-request-id', id);
    c.res.headers.set('x-portkey-request-id', id);
  };
}
