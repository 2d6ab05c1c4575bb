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
  | 'precondition_failed'
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

// A table, not a switch: Record<ErrorKind, …> makes it exhaustive, and it is smaller in the bundle.
const WIRE_SHAPES: Record<ErrorKind, WireShape> = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  unauthenticated: { status: 401, type: 'authentication_error' },
  forbidden: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'not_found_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  conflict: { status: 409, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  // 412 is the status Portkey documents for an exhausted budget.
  budget_exhausted: { status: 412, type: 'budget_exceeded_error' },
  precondition_failed: { status: 412, type: 'invalid_request_error' },
  payload_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  upstream_unreachable: { status: 502, type: 'upstream_error', retryable: false },
  upstream_invalid: { status: 502, type: 'upstream_error', retryable: false },
  upstream_timeout: { status: 504, type: 'upstream_error', retryable: false },
  internal: { status: 500, type: 'api_error' },
  unavailable: { status: 503, type: 'api_error' },
};

const wireShape = (kind: ErrorKind): WireShape => WIRE_SHAPES[kind];

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
