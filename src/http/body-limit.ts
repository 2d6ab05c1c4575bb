// Request body limits, enforced while the body streams in (not only from Content-Length).

import { bodyLimit } from 'hono/body-limit';
import { KeygateError } from '../errors';

/** Admin bodies are small JSON documents. */
export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;
/** Gateway bodies carry prompts and inline images; this stays under Workers' own request limit. */
export const GATEWAY_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

function bodyTooLarge(maxSize: number): KeygateError {
  return new KeygateError('payload_too_large', 'body_too_large', `The request body is larger than ${maxSize / 1024} KiB.`);
}

export function limitBodySize(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw bodyTooLarge(maxSize);
    },
  });
}

/**
 * The middleware's check outside Hono (the gateway's own entry), with the same outcome: a body that
 * declares its length (and is not chunked) is judged by the header; any other is read to its end
 * while counting, and the request returned carries the bytes read.
 */
export async function withBodyWithin(request: Request, maxSize: number): Promise<Request> {
  if (!request.body) return request;
  if (request.headers.has('content-length') && !request.headers.has('transfer-encoding')) {
    if (Number.parseInt(request.headers.get('content-length') || '0', 10) > maxSize) throw bodyTooLarge(maxSize);
    return request;
  }
  // One buffer that doubles as it fills (never past maxSize), as Hono's does: at most 1.5 times
  // the body in memory at once, rather than its chunks and then a copy of them all.
  let buffer = new Uint8Array(0);
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > maxSize) {
      await reader.cancel();
      throw bodyTooLarge(maxSize);
    }
    if (size + value.length > buffer.length) {
      const grown = new Uint8Array(Math.min(maxSize, Math.max(size + value.length, buffer.length * 2)));
      grown.set(buffer.subarray(0, size));
      buffer = grown;
    }
    buffer.set(value, size);
    size += value.length;
  }
  return new Request(request, { body: buffer.subarray(0, size) });
}
