// Request body limits, enforced while the body streams in (not only from Content-Length).

import { bodyLimit } from 'hono/body-limit';
import { KeygateError } from '../errors';

/** Admin bodies are small JSON documents. */
export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;
/** Gateway bodies carry prompts and inline images; this stays under Workers' own request limit. */
export const GATEWAY_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

export function limitBodySize(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new KeygateError('payload_too_large', 'body_too_large', `The request body is larger than ${maxSize / 1024} KiB.`);
    },
  });
}
