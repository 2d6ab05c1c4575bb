// The Hono app: middleware order, route mounting and the one error handler.

import { Hono } from 'hono/tiny';
import type { Context } from 'hono';
import { analyticsRoutes } from './admin/analytics-routes';
import { apiKeyRoutes } from './admin/api-keys-routes';
import { auditLogRoutes } from './admin/audit-logs-routes';
import { vaultRoutes } from './admin/vault-routes';
import { virtualKeyRoutes } from './admin/virtual-keys-routes';
import { workspaceRoutes } from './admin/workspaces-routes';
import { errorResponse, KeygateError, quoted } from './errors';
import { enterGateway } from './gateway/gateway-entry';
import { gatewayRoutes } from './gateway/routes';
import { answerError } from './http/answer-error';
import { recordRefusal, sealAuditLogAfterChange } from './http/audit-middleware';
import { authenticate } from './http/authenticate';
import { ADMIN_BODY_LIMIT_BYTES, GATEWAY_BODY_LIMIT_BYTES, limitBodySize } from './http/body-limit';
import type { AppEnv } from './http/context';
import { readiness } from './http/readiness';
import { requestId } from './http/request-id';

/** The admin API's routes by prefix. Everything else under /v1 is the gateway's. */
const ADMIN_ROUTES = {
  '/v1/virtual-keys': virtualKeyRoutes,
  // Portkey's own curl samples spell it with an underscore; both reach the same routes.
  '/v1/virtual_keys': virtualKeyRoutes,
  '/v1/api-keys': apiKeyRoutes,
  '/v1/admin/workspaces': workspaceRoutes,
  '/v1/admin/vault': vaultRoutes,
  '/v1/audit-logs': auditLogRoutes,
  '/v1/analytics': analyticsRoutes,
} as const;
const ADMIN_PREFIXES = Object.keys(ADMIN_ROUTES);
/**
 * Prefixes that are Keygate's own, with or without routes yet (Portkey's users and invites): a
 * path there that matches no route is a 404, and never reaches a provider.
 */
const RESERVED_PREFIXES = ['/v1/admin'];

/**
 * The Worker's fetch handler. A plain gateway call (a POST under /v1 to no path of Keygate's own,
 * with no percent-encoding for routers to read differently) goes to the gateway's own entry, which
 * repeats Hono's chain for it step for step; everything else, Hono. A test sends the same calls both
 * ways and compares the answers (test/gateway-entry.test.ts).
 */
export function createFetch(): (request: Request, env: Env, context: ExecutionContext) => Response | Promise<Response> {
  const app = createApp();
  return (request, env, context) => {
    const gatewayUrl = plainGatewayCallUrl(request);
    return gatewayUrl ? enterGateway(request, gatewayUrl, env, context) : app.fetch(request, env, context);
  };
}

/** The URL of a plain gateway call, parsed once for the whole call; null for any other request. */
function plainGatewayCallUrl(request: Request): URL | null {
  if (request.method !== 'POST') return null;
  const url = new URL(request.url);
  const { pathname } = url;
  return pathname.startsWith('/v1/') && !pathname.includes('%') && !isAdminPath(pathname) && !isUnder(pathname, RESERVED_PREFIXES) ? url : null;
}

export function createApp() {
  const app = new Hono<AppEnv>();

  app.use('*', requestId());
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', readiness);

  app.use('/v1/*', authenticate());
  for (const prefix of [...ADMIN_PREFIXES, ...RESERVED_PREFIXES]) {
    app.use(prefix, limitBodySize(ADMIN_BODY_LIMIT_BYTES));
    app.use(`${prefix}/*`, limitBodySize(ADMIN_BODY_LIMIT_BYTES));
  }
  for (const prefix of ADMIN_PREFIXES) {
    app.use(prefix, sealAuditLogAfterChange());
    app.use(`${prefix}/*`, sealAuditLogAfterChange());
  }
  for (const [prefix, routes] of Object.entries(ADMIN_ROUTES)) app.route(prefix, routes());
  // An admin path must not fall through to the gateway: a route it has, with a method it lacks,
  // is a 405; any deeper path is a 404.
  for (const prefix of ADMIN_PREFIXES) {
    app.all(prefix, methodNotAllowed);
    app.all(`${prefix}/:slug`, methodNotAllowed);
    app.all(`${prefix}/*`, (c) => routeNotFound(c));
  }
  for (const prefix of RESERVED_PREFIXES) {
    app.all(prefix, (c) => routeNotFound(c));
    app.all(`${prefix}/*`, (c) => routeNotFound(c));
  }

  app.use('/v1/*', limitBodySize(GATEWAY_BODY_LIMIT_BYTES));
  app.route('/v1', gatewayRoutes());

  app.notFound(routeNotFound);
  app.onError((error, c) => {
    if (error instanceof KeygateError && isAdminPath(c.req.path)) recordRefusal(c, error);
    return answerError(error, c.get('requestId'));
  });

  return app;
}

function isAdminPath(path: string): boolean {
  return isUnder(path, ADMIN_PREFIXES);
}

function isUnder(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function routeNotFound(c: Context<AppEnv>): Response {
  return errorResponse(new KeygateError('not_found', 'route_not_found', `No route for ${quoted(c.req.method, 16)} ${quoted(c.req.path, 200)}.`));
}

function methodNotAllowed(c: Context<AppEnv>): Response {
  return errorResponse(
    new KeygateError('method_not_allowed', 'method_not_allowed', `${quoted(c.req.path, 200)} does not support ${quoted(c.req.method, 16)}.`),
  );
}
