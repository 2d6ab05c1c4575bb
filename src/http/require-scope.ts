// The scope a route needs, declared where the route is: `.get('/', requireScope('virtual_keys.list'), …)`.

import type { MiddlewareHandler } from 'hono';
import { assertScope } from '../auth/principal';
import type { Scope } from '../auth/scopes';
import type { AppEnv } from './context';

export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async function checkScope(c, next) {
    assertScope(c.get('principal'), scope);
    await next();
  };
}
