// The Hono app: middleware order, route mounting and the one error handler.

import { Hono } from 'hono/tiny';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { apiKeyRoutes } from './admin/api-keys-routes';
import { virtualKeyRoutes } from './admin/virtual-keys-routes';
import { workspaceRoutes } from './admin/workspaces-routes';
import { errorResponse, invalidRequest, KeygateError, quoted } from './errors';
import { gatewayRoutes } from './gateway/routes';
import { authenticate } from './http/authenticate';
import { ADMIN_BODY_LIMIT_BYTES, GATEWAY_BODY_LIMIT_BYTES, limitBodySize } from './http/body-limit';
import type { AppEnv } from './http/context';
import { requestId } from './http/request-id';

/** The admin API's routes by prefix. Everything else under /v1 is the gateway's. */
const ADMIN_ROUTES = {
  '/v1/virtual-keys': virtualKeyRoutes,
  '/v1/api-keys': apiKeyRoutes,
  '/v1/admin/workspaces': workspaceRoutes,
} as const;
const ADMIN_PREFIXES = Object.keys(ADMIN_ROUTES);

export function createApp() {
  const app = new Hono<AppEnv>();

  app.use('*', requestId());
  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.use('/v1/*', authenticate());
  for (const prefix of [...ADMIN_PREFIXES, '/v1/admin']) {
    app.use(prefix, limitBodySize(ADMIN_BODY_LIMIT_BYTES));
    app.use(`${prefix}/*`, limitBodySize(ADMIN_BODY_LIMIT_BYTES));
  }
  for (const [prefix, routes] of Object.entries(ADMIN_ROUTES)) app.route(prefix, routes());
  // An admin path must not fall through to the gateway: a route it has, with a method it lacks,
  // is a 405; any deeper path is a 404.
  for (const prefix of ADMIN_PREFIXES) {
    app.all(prefix, methodNotAllowed);
    app.all(`${prefix}/:slug`, methodNotAllowed);
    app.all(`${prefix}/*`, (c) => routeNotFound(c));
  }
  // The rest of /v1/admin (Portkey's users, invites, …) is Keygate's too: a 404, never a call
  // for an upstream.
  app.all('/v1/admin', (c) => routeNotFound(c));
  app.all('/v1/admin/*', (c) => routeNotFound(c));

  app.use('/v1/*', limitBodySize(GATEWAY_BODY_LIMIT_BYTES));
  app.route('/v1', gatewayRoutes());

  app.notFound(routeNotFound);
  app.onError((error, c) => {
    if (error instanceof KeygateError) {
      if (error.kind === 'internal') logError(c.get('requestId'), error.code, error.message);
      return errorResponse(error);
    }
    if (error instanceof HTTPException && error.status < 500) return errorResponse(fromHonoException(error));
    // Only the error's class and message are logged: nothing of the request, and our own code
    // never puts a secret into an error message.
    logError(c.get('requestId'), error instanceof Error ? error.name : 'unknown', error instanceof Error ? error.message : '');
    return errorResponse(
      new KeygateError('internal', 'internal_error', `Keygate hit an internal error. Quote request id ${c.get('requestId')} when reporting it.`),
    );
  });

  return app;
}

function routeNotFound(c: Context<AppEnv>): Response {
  return errorResponse(new KeygateError('not_found', 'route_not_found', `No route for ${quoted(c.req.method, 16)} ${quoted(c.req.path, 200)}.`));
}

function methodNotAllowed(c: Context<AppEnv>): Response {
  return errorResponse(
    new KeygateError('method_not_allowed', 'method_not_allowed', `${quoted(c.req.path, 200)} does not support ${quoted(c.req.method, 16)}.`),
  );
}

/** Hono's own 4xx (from its body validator) in our error shape. */
function fromHonoException(error: HTTPException): KeygateError {
  if (error.status === 415) {
    return new KeygateError('unsupported_media_type', 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.');
  }
  if (error.status === 400) return invalidRequest('invalid_json', 'The request body is not valid JSON.');
  return invalidRequest('invalid_request', error.message || 'Invalid request.');
}

function logError(requestId: string | undefined, code: string, message: string): void {
  console.error(JSON.stringify({ level: 'error', requestId, code, message }));
}
