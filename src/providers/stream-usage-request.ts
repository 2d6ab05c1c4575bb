// Asking an OpenAI-shaped upstream for a stream's usage chunk. Shared by the OpenAI and Azure
// modules; the gateway keeps the chunk from a client that did not ask for it (addedStreamUsage).

import { withTopLevelField } from '../wire/json-body';
import type { ClientCall } from './provider';

/** Streamed calls whose usage only arrives when asked for with `stream_options.include_usage`. */
export const STREAMED_USAGE_PATHS = new Set(['/chat/completions', '/completions']);

export interface BodyWithStreamUsage {
  body: BodyInit | null;
  /** Keygate asked for the usage chunk although the client did not. */
  added: boolean;
}

/** The body asking for the stream's usage chunk, when it is a streamed JSON call that does not yet. */
export function askingForStreamUsage(call: Pick<ClientCall, 'json' | 'body'>): BodyWithStreamUsage {
  if (!call.json || typeof call.body !== 'string' || call.json.stream !== true) return { body: call.body, added: false };
  const options = call.json.stream_options;
  const current = options !== null && typeof options === 'object' ? (options as Record<string, unknown>) : {};
  if (current.include_usage === true) return { body: call.body, added: false };
  return { body: withTopLevelField(call.body, call.json, 'stream_options', { ...current, include_usage: true }), added: true };
}
