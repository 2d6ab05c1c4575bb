// Bedrock's HTTP errors in the OpenAI error shape, keeping Bedrock's own message: the client sees
// why (a validation problem, a model it may not use, throttling) and its SDK picks the right class.

import { errorBody, KeygateError } from '../../errors';
import { completeResponse } from '../../wire/complete-response';

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  409: 'invalid_request_error',
  422: 'invalid_request_error',
  424: 'invalid_request_error',
  429: 'rate_limit_error',
};

/**
 * Bedrock's message, without anything that could carry a credential. A signature error can
 * include AWS's canonical request, which lists every signed header with its value (the session
 * token among them): that part is cut, and every credential used is blanked out besides.
 */
function safeMessage(message: string, credentials: readonly string[]): string {
  let safe = message.split(/\s*The (Canonical String|String-to-Sign)/)[0]!.trim();
  for (const credential of credentials) if (credential.length >= 4) safe = safe.split(credential).join('[redacted]');
  return safe.slice(0, 1000);
}

/** The error answer for a non-2xx Bedrock response, with the same status. */
export async function bedrockErrorResponse(upstream: Response, credentials: readonly string[]): Promise<Response> {
  const body = (await upstream.json().catch(() => null)) as { message?: unknown; Message?: unknown } | null;
  const rawMessage = typeof body?.message === 'string' ? body.message : typeof body?.Message === 'string' ? body.Message : null;
  const upstreamMessage = rawMessage === null ? null : safeMessage(rawMessage, credentials);
  // `x-amzn-errortype` looks like `ValidationException:http://internal.amazon.com/...`.
  const errorType = upstream.headers.get('x-amzn-errortype')?.split(':')[0] || 'BedrockError';
  const message = `Bedrock answered HTTP ${upstream.status} (${errorType})${upstreamMessage ? `: ${upstreamMessage}` : ''}`;
  const wire = errorBody(new KeygateError('upstream_invalid', errorType, message));
  wire.error.type = TYPE_BY_STATUS[upstream.status] ?? 'api_error';
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8' });
  const requestId = upstream.headers.get('x-amzn-requestid');
  if (requestId) headers.set('x-upstream-request-id', requestId);
  return completeResponse(JSON.stringify(wire), { status: upstream.status, headers });
}
