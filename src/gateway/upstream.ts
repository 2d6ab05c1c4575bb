// Calls the upstream and relays its answer. Failures of the upstream itself become 502/504 in our
// error shape; an upstream's own error answer (4xx/5xx with a JSON body) passes through as it is.

import { errorBody, KeygateError } from '../errors';
import { completeResponse } from '../wire/complete-response';
import { isJsonContentType } from '../wire/content-type';
import { logEvent, networkFailureFields } from '../log';
import type { UpstreamRequest } from '../providers/provider';
import { parseUsage, type Usage } from '../usage/usage';

// Upstream headers that must not be copied onto our response: those of the upstream hop (the body
// we relay is already decoded, so its encoding and length headers no longer describe it), and
// those that describe the real credential's account to the app holding the virtual key.
const DROPPED_RESPONSE_HEADERS = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'set-cookie',
  'openai-organization',
  'openai-project',
];

// Answers that have no body to check, whatever their content-type says.
const BODYLESS_STATUSES = new Set([204, 205, 304]);

/**
 * Sends the upstream request. `clientGone` (the client's request.signal) cancels it when the
 * client disconnects first; the relay cancels a stream already under way (metered-response.ts).
 */
export async function fetchUpstream(request: UpstreamRequest, timeoutMs: number, clientGone: AbortSignal): Promise<Response> {
  const controller = new AbortController();
  let timedOut = false;
  // The timer covers the wait for response headers only; a long stream is not cut off.
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  // A listener rather than AbortSignal.any([controller.signal, clientGone]), which cost about 5% of
  // the isolate's time per call at 32 connections here (docs/benchmarks.md). It stays for the
  // request's life, so a client gone mid-stream still aborts the upstream body too.
  if (clientGone.aborted) controller.abort(clientGone.reason);
  else clientGone.addEventListener('abort', () => controller.abort(clientGone.reason), { once: true });
  try {
    const { url, method, headers, body } = request;
    return await fetch(url, { method, headers, body, redirect: 'manual', signal: controller.signal });
  } catch (error) {
    // The client gets our code and message. The exception describes our network, so it goes to the
    // operator's log (host and kind, never the path or a header), unless the client cancelled it.
    const failure = timedOut
      ? new KeygateError('upstream_timeout', 'upstream_timeout', `The upstream provider did not answer within ${timeoutMs} ms.`)
      : new KeygateError('upstream_unreachable', 'upstream_unreachable', 'The upstream provider could not be reached.');
    if (!clientGone.aborted) logEvent(timedOut ? 'warn' : 'error', failure.code, networkFailureFields(request.url, error));
    throw Object.assign(failure, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

function relayHeaders(upstream: Response): Headers {
  const headers = new Headers(upstream.headers);
  for (const name of DROPPED_RESPONSE_HEADERS) headers.delete(name);
  // Our own request id takes `x-request-id`; the provider's stays available under another name.
  const upstreamRequestId = upstream.headers.get('x-request-id');
  headers.delete('x-request-id');
  if (upstreamRequestId) headers.set('x-upstream-request-id', upstreamRequestId);
  return headers;
}

async function readUpstreamText(upstream: Response): Promise<string> {
  try {
    return await upstream.text();
  } catch (error) {
    logEvent('error', 'upstream_connection_lost', networkFailureFields(upstream.url, error));
    const failure = new KeygateError('upstream_unreachable', 'upstream_connection_lost', 'The upstream connection broke while sending its answer.');
    throw Object.assign(failure, { cause: error });
  }
}

/**
 * Streams (SSE, audio, files) pass through as they arrive. JSON answers are read whole so that
 * garbage becomes a clear 502 instead of a body the SDK chokes on.
 */
export async function relayUpstreamResponse(upstream: Response, method: string, onUsage?: (usage: Usage) => void): Promise<Response> {
  const headers = relayHeaders(upstream);
  const contentType = upstream.headers.get('content-type');
  const succeeded = upstream.status < 400;

  if (method === 'HEAD' || BODYLESS_STATUSES.has(upstream.status)) {
    return completeResponse(null, { status: upstream.status, headers });
  }
  if (succeeded && !isJsonContentType(contentType)) {
    if (contentType?.toLowerCase().startsWith('text/html')) {
      await upstream.body?.cancel();
      throw new KeygateError('upstream_invalid', 'upstream_invalid_response', 'The upstream provider answered with an HTML page instead of an API response.');
    }
    // A stream passes through as it arrives; metering reads its usage on the way (metered-response.ts).
    return new Response(upstream.body, { status: upstream.status, headers });
  }

  const text = await readUpstreamText(upstream);
  const parsed = parseJson(text);
  if (parsed.ok) {
    if (succeeded && onUsage) {
      const usage = parseUsage((parsed.value as { usage?: unknown } | null)?.usage ?? null);
      if (usage !== null) onUsage(usage);
    }
    const body = succeeded ? text : withTopLevelMessage(parsed.value) ?? text;
    return completeResponse(body, { status: upstream.status, headers });
  }
  if (succeeded) {
    throw new KeygateError('upstream_invalid', 'upstream_invalid_response', 'The upstream provider answered with a body that is not valid JSON.');
  }
  // An error answer we cannot pass on as JSON keeps its status but gets our error shape.
  const wrapped = new KeygateError(
    'upstream_invalid',
    'upstream_error',
    `The upstream provider answered HTTP ${upstream.status} without a JSON error body.`,
  );
  headers.set('content-type', 'application/json; charset=utf-8');
  return completeResponse(JSON.stringify(errorBody(wrapped)), { status: upstream.status, headers });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * An upstream error body with `error.message` but no top-level `message` (OpenAI's shape) gets
 * one copied up, so the Portkey SDK shows the message rather than the whole body. Everything the
 * upstream sent stays as it was. Google's APIs answer errors as a list of one (`[{"error":…}]`),
 * which no OpenAI SDK reads: that one error is answered. Returns null when there is nothing to add.
 */
function withTopLevelMessage(listed: unknown): string | null {
  const body = Array.isArray(listed) && listed.length === 1 ? listed[0] : listed;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || 'message' in body) return null;
  const error = (body as { error?: unknown }).error;
  const message = error !== null && typeof error === 'object' ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? JSON.stringify({ ...body, message }) : null;
}
