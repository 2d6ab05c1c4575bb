// The one way an error becomes a response, for Hono's onError and the gateway's own entry alike.

import { HTTPException } from 'hono/http-exception';
import { errorResponse, invalidRequest, KeygateError, quoted } from '../errors';
import { failureFields, logEvent } from '../log';

export function answerError(error: unknown, requestId: string): Response {
  if (error instanceof KeygateError) {
    if (error.kind === 'internal') logEvent('error', error.code, { requestId, message: quoted(error.message, 200) });
    return errorResponse(error);
  }
  if (error instanceof HTTPException && error.status < 500) return errorResponse(fromHonoException(error));
  // Only the error's class and message are logged: nothing of the request, and our own code
  // never puts a secret into an error message.
  logEvent('error', 'internal_error', { requestId, ...failureFields(error) });
  return errorResponse(new KeygateError('internal', 'internal_error', `Keygate hit an internal error. Quote request id ${requestId} when reporting it.`));
}

/** Hono's own 4xx (from its body validator) in our error shape. */
function fromHonoException(error: HTTPException): KeygateError {
  if (error.status === 415) {
    return new KeygateError('unsupported_media_type', 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.');
  }
  if (error.status === 400) return invalidRequest('invalid_json', 'The request body is not valid JSON.');
  return invalidRequest('invalid_request', error.message || 'Invalid request.');
}
