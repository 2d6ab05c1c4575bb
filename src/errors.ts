// One error family for the whole Worker, and the one place that writes errors to the wire.
//
// Every error body serves both SDKs: the OpenAI SDK reads `error.message`, the Portkey SDK reads
// the top-level `message`. Internal reasons (stack traces, upstream exceptions) never go into a body.

/** What went wrong, as the client should understand it. The wire status and type follow from it. */
export type ErrorKind =
  | 'invalid_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'rate_limited'
  | 'budget_exhausted'
  | 'unavailable'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'upstream_invalid'
  | 'internal';

export class KeygateError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** A stable, machine-readable code, e.g. `virtual_key_expired`. */
    readonly code: string,
    message: string,
    /** The request field the error is about, when there is one. */
    readonly param: string | null = null,
    /** For a rate limit: when to try again, sent as Retry-After. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'KeygateError';
  }
}

/**
 * Input quoted in a message, cut to `max` characters: an error must never echo megabytes back
 * (or into a log line).
 */
export function quoted(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export const invalidRequest = (code: string, message: string, param: string | null = null) =>
  new KeygateError('invalid_request', code, message, param);
export const unauthenticated = (code: string, message: string) =>
  new KeygateError('unauthenticated', code, message);
export const forbidden = (code: string, message: string) => new KeygateError('forbidden', code, message);
export const notFound = (code: string, message: string) => new KeygateError('not_found', code, message);

interface WireShape {
  status: 400 | 401 | 403 | 404 | 405 | 409 | 412 | 413 | 415 | 429 | 500 | 502 | 503 | 504;
  /** OpenAI's error `type` vocabulary, so SDK error classes map naturally. */
  type: string;
  /**
   * False where the upstream may already have received (and billed) the call. The OpenAI SDK
   * retries 5xx by default; `x-should-retry: false` stops it sending the call a second time.
   */
  retryable?: false;
}

function wireShape(kind: ErrorKind): WireShape {
  switch (kind) {
    case 'invalid_request':
      return { status: 400, type: 'invalid_request_error' };
    case 'unauthenticated':
      return { status: 401, type: 'authentication_error' };
    case 'forbidden':
      return { status: 403, type: 'permission_error' };
    case 'not_found':
      return { status: 404, type: 'not_found_error' };
    case 'method_not_allowed':
      return { status: 405, type: 'invalid_request_error' };
    case 'conflict':
      return { status: 409, type: 'invalid_request_error' };
    case 'rate_limited':
      return { status: 429, type: 'rate_limit_error' };
    case 'budget_exhausted':
      // 412 is the status Portkey documents for an exhausted budget.
      return { status: 412, type: 'budget_exceeded_error' };
    case 'payload_too_large':
      return { status: 413, type: 'invalid_request_error' };
    case 'unsupported_media_type':
      return { status: 415, type: 'invalid_request_error' };
    case 'upstream_unreachable':
    case 'upstream_invalid':
      return { status: 502, type: 'upstream_error', retryable: false };
    case 'upstream_timeout':
      return { status: 504, type: 'upstream_error', retryable: false };
    case 'internal':
      return { status: 500, type: 'api_error' };
    case 'unavailable':
      return { status: 503, type: 'api_error' };
    default: {
      const unreachable: never = kind;
      throw new Error(`unhandled error kind ${String(unreachable)}`);
    }
  }
}

export interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
  message: string;
}

export function errorBody(error: KeygateError): ErrorBody {
  const { type } = wireShape(error.kind);
  return {
    error: { message: error.message, type, code: error.code, param: error.param },
    message: error.message,
  };
}

/** The single writer of error responses. */
export function errorStatus(error: KeygateError): number {
  return wireShape(error.kind).status;
}

export function errorResponse(error: KeygateError): Response {
  const shape = wireShape(error.kind);
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8' });
  if (shape.retryable === false) headers.set('x-should-retry', 'false');
  if (error.retryAfterSeconds !== null) headers.set('retry-after', String(error.retryAfterSeconds));
  return new Response(JSON.stringify(errorBody(error)), { status: shape.status, headers });
}
