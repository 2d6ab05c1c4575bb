// Reads a client's OpenAI-shaped request: which virtual key it names, what body goes upstream,
// and which of its headers may go upstream at all.

import { invalidRequest, quoted } from '../errors';
import { isJsonContentType } from '../wire/content-type';
import { withTopLevelField } from '../wire/json-body';
import type { ClientCall } from '../providers/provider';

export interface GatewayRequest extends ClientCall {
  virtualKeySlug: string;
  /**
   * The model the call names: the body's `model` with the `@slug/` part removed, or null. The one
   * place that decides it, for allow-lists and pricing alike.
   */
  model: string | null;
  /**
   * A body that is neither a JSON object nor a multipart/form-data upload: nothing in it can be
   * counted, so a key whose limits count tokens or cost refuses it.
   */
  uncountableBody: boolean;
}

// Never forwarded: the gateway's own credentials, routing headers meant for Keygate, and headers
// that describe this hop (or the client's network) rather than the request.
const DROPPED_HEADERS = new Set([
  'authorization',
  'api-key',
  'x-api-key',
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'cookie',
  'forwarded',
  'via',
  'x-real-ip',
  'true-client-ip',
]);
// `x-goog-*` picks which Google project a call bills (x-goog-user-project) or carries a Google API
// key: the virtual key's service account decides those, not the app. (Header names come lower-case.)
const DROPPED_PREFIXES = /^(?:x-portkey-|cf-|x-forwarded-|x-goog-)/;

export function upstreamSafeHeaders(headers: Headers): Headers {
  const safe = new Headers();
  for (const [name, value] of headers) {
    if (DROPPED_HEADERS.has(name) || DROPPED_PREFIXES.test(name)) continue;
    safe.set(name, value);
  }
  return safe;
}

/** OpenAI's upload endpoints: the paths that take multipart/form-data (files, audio, images). */
const UPLOAD_PATH = /^\/(audio\/(transcriptions|translations)|files|uploads\/[^/]+\/parts|images\/(edits|variations))\/?$/;

const MODEL_CATALOG_FORM = /^@([^/]+)\/(.+)$/s;
// Not fatal: a body that is not UTF-8 still goes upstream as the bytes that came in.
const bodyDecoder = new TextDecoder();
const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD']);

/**
 * The virtual key comes from the Model Catalog form `model: "@<slug>/<model>"` when the body uses
 * it (upstream then gets the bare model), otherwise from `x-portkey-virtual-key`. The model form
 * wins when both are present, since it is the more specific, per-call choice.
 *
 * Every body but a multipart/form-data upload (files, audio) is read as JSON when it is JSON,
 * whatever its content type claims: an upstream may parse a `text/plain` body as JSON, and limits
 * must count what the upstream will. Uploads stream through and need the header.
 */
export async function readGatewayRequest(request: Request, url: URL, pathBelowV1: string): Promise<GatewayRequest> {
  const headers = upstreamSafeHeaders(request.headers);
  const headerSlug = request.headers.get('x-portkey-virtual-key')?.trim() || null;
  const contentType = request.headers.get('content-type');
  // A body on GET or HEAD has no meaning to the upstream, and fetch refuses to send one.
  let body: BodyInit | null = METHODS_WITHOUT_BODY.has(request.method) ? null : request.body;
  let modelSlug: string | null = null;
  let json: Record<string, unknown> | null = null;
  let uncountableBody = false;

  const multipart = contentType?.toLowerCase().startsWith('multipart/form-data') === true;
  // A multipart body anywhere but an upload path can't be counted: a key with limits refuses it
  // (a JSON body labelled multipart must not pass a budget uncounted).
  if (body && multipart && !UPLOAD_PATH.test(pathBelowV1)) uncountableBody = true;
  if (body && !multipart) {
    const bytes = await request.arrayBuffer();
    const text = bodyDecoder.decode(bytes);
    const parsed = parseJsonBody(text, isJsonContentType(contentType));
    json = isPlainObject(parsed) ? parsed : null;
    uncountableBody = json === null && parsed !== undefined;
    // Anything but JSON goes on as the bytes that came in.
    body = json ? text : bytes;
    const model = json?.model;
    if (json && typeof model === 'string' && model.startsWith('@')) {
      const match = MODEL_CATALOG_FORM.exec(model);
      if (!match) {
        throw invalidRequest('invalid_model', `model ${quoted(model, 100)} must look like @<virtual-key>/<model>`, 'model');
      }
      modelSlug = match[1]!;
      body = withTopLevelField(text, json, 'model', match[2]!);
      json = { ...json, model: match[2]! };
    }
  }

  const virtualKeySlug = modelSlug ?? headerSlug;
  if (!virtualKeySlug) {
    throw invalidRequest(
      'missing_virtual_key',
      'No virtual key: send the x-portkey-virtual-key header, or use model "@<virtual-key>/<model>".',
    );
  }
  const model = typeof json?.model === 'string' ? json.model : null;
  return { method: request.method, path: pathBelowV1, search: url.search, headers, body, json, virtualKeySlug, model, uncountableBody };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The body's JSON value: undefined for an empty body, null for one that is not JSON (a 400 if it claims to be). */
function parseJsonBody(text: string, claimsJson: boolean): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // V8's message quotes the body; the client only needs to know it is not JSON.
    if (!claimsJson) return null;
    throw invalidRequest('invalid_json', 'The request body is not valid JSON.');
  }
}
