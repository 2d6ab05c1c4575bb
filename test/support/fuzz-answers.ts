// Sends a generated request through the real Worker and checks what every answer must be, whatever
// was asked:
// - no 5xx, except Keygate's documented 502, 503 and 504, or a provider's own status relayed;
// - an `x-request-id` on every answer;
// - an error is JSON in the error shape both SDKs read: {"error":{"message","type","code"},"message"};
// - no error message quotes more than 200 characters of any generated input.
// A relayed answer is the provider's: it carries `x-upstream-request-id` (the fake upstream always
// sends a request id) and keeps its own body, with a top-level `message` added.

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../src/index';
import type { RequestCase } from './fuzz-inputs';
import { longTexts, percentEncode, Raw, serialize, textOf, type Fixtures } from './fuzz-values';
import { testEnv } from './keygate';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  relayed: boolean;
}

/** A broken rule: `kind` groups the same failure across cases, `detail` shows this one. */
export interface Violation {
  kind: string;
  detail: string;
}

export interface BuiltRequest {
  request: Request;
  /** Generated texts over 200 characters, the whole path, query and text body: what no message may quote. */
  inputs: Set<string>;
}

/** The Request a case describes, or null when the platform can't even build it (a generator slip). */
export function buildRequest(requestCase: RequestCase, fixtures: Fixtures, extraHeaders: Record<string, string> = {}): BuiltRequest | null {
  const path = [requestCase.path, ...requestCase.segments.map((segment) => (segment instanceof Raw ? segment.text : percentEncode(textOf(segment, fixtures))))].join('/');
  const search = requestCase.query.map(([name, value]) => `${percentEncode(textOf(name, fixtures))}=${percentEncode(textOf(value, fixtures))}`).join('&');
  const body = requestCase.body === null ? null : 'json' in requestCase.body ? serialize(requestCase.body.json, fixtures) : textOf(requestCase.body.text, fixtures);
  const inputs = longTexts(requestCase, fixtures);
  // A JSON body counts by its strings (above), not as JSON text: a message may quote 100 characters
  // JSON-escaped, and the escapes would then match the body's own.
  const text = requestCase.body !== null && 'text' in requestCase.body ? (body ?? '') : '';
  for (const whole of [path, search, text]) if (whole.length > 200) inputs.add(whole);
  try {
    const headers = new Headers(extraHeaders);
    for (const [name, value] of requestCase.headers) headers.append(name, textOf(value, fixtures));
    const request = new Request(`https://keygate.test${path}${search ? `?${search}` : ''}`, { method: requestCase.method, headers, body });
    return { request, inputs };
  } catch {
    return null;
  }
}

// Background work (cache fills, usage batches) is awaited in groups rather than per request: a
// usage batch waits at least 20 ms for company, which per request would dominate the run.
const pending: ExecutionContext[] = [];

export async function settleBackgroundWork(): Promise<void> {
  const contexts = pending.splice(0);
  await Promise.all(contexts.map((context) => waitOnExecutionContext(context)));
}

export async function send(request: Request): Promise<Answer> {
  const context = createExecutionContext();
  pending.push(context);
  const response = await worker.fetch(request as Parameters<typeof worker.fetch>[0], testEnv(), context);
  // Bytes, not text(): workerd warns about text() on a body whose content-type is not text.
  const text = request.method === 'HEAD' ? '' : new TextDecoder().decode(await response.arrayBuffer());
  if (pending.length >= 32) await settleBackgroundWork();
  return { status: response.status, headers: response.headers, text, relayed: response.headers.has('x-upstream-request-id') };
}

const DOCUMENTED_5XX = new Set([502, 503, 504]);

export function answerViolations(requestCase: RequestCase, answer: Answer, inputs: Set<string>): Violation[] {
  const found: Violation[] = [];
  const excerpt = printable(answer.text.length > 300 ? `${answer.text.slice(0, 300)}… (${answer.text.length} chars)` : answer.text);
  if (!answer.headers.get('x-request-id')) found.push({ kind: 'no x-request-id', detail: `${answer.status} ${excerpt}` });
  if (answer.status >= 500 && !DOCUMENTED_5XX.has(answer.status) && !answer.relayed) {
    found.push({ kind: `status ${answer.status} (${errorCode(answer.text)})`, detail: excerpt });
  }
  if (answer.status < 400 || requestCase.method.toUpperCase() === 'HEAD') return found;

  const shape = errorShape(answer);
  if (typeof shape === 'string') {
    found.push({ kind: `${answer.status} not in the error shape: ${shape}`, detail: excerpt });
    return found;
  }
  if (!answer.relayed) {
    const quote = quotedInput([shape.message, shape.error.message, shape.error.code, String(shape.error.param ?? '')], inputs);
    if (quote !== null) {
      found.push({ kind: `${answer.status} ${shape.error.code} quotes over 200 characters of input`, detail: `message of ${shape.message.length} chars: ${excerpt}` });
    }
  }
  return found;
}

interface ErrorShape {
  error: { message: string; type: string; code: string; param?: unknown };
  message: string;
}

/** The parsed error body, or what is wrong with it. */
function errorShape(answer: Answer): ErrorShape | string {
  if (!/^application\/json\b/i.test(answer.headers.get('content-type') ?? '')) return `content-type ${answer.headers.get('content-type')}`;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return 'body is not JSON';
  }
  const shape = body as Partial<ErrorShape> | null;
  const error = shape?.error;
  if (typeof error?.message !== 'string' || typeof shape?.message !== 'string') return 'no error.message and message';
  if (answer.relayed) return shape as ErrorShape;
  if (typeof error.type !== 'string' || typeof error.code !== 'string') return 'no error.type and error.code';
  if (shape.message !== error.message) return 'message differs from error.message';
  return shape as ErrorShape;
}

function errorCode(text: string): string {
  try {
    return String((JSON.parse(text) as { error?: { code?: unknown } }).error?.code ?? 'no code');
  } catch {
    return 'not JSON';
  }
}

/**
 * Text safe to report: a lone surrogate (an answer quoting half of an emoji) becomes U+FFFD, since
 * the test pool's channel to workerd carries UTF-8 and fails on one.
 */
export function printable(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** 201 characters of some input found in a message, or null. Only messages over 200 can hold one. */
export function quotedInput(messages: string[], inputs: Set<string>): string | null {
  for (const message of messages) {
    for (let start = 0; start + 201 <= message.length; start++) {
      const window = message.slice(start, start + 201);
      for (const input of inputs) if (input.includes(window)) return window;
    }
  }
  return null;
}
