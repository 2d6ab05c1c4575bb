// The one place that turns a failed zod validation into our error shape. Every admin route reads
// its input through here, so a raw ZodError never reaches a client. The message names the field
// that failed.

import * as z from 'zod/mini';
import { invalidRequest, KeygateError, quoted } from '../errors';
import '../schemas/checks'; // zod's English messages
import { isJsonContentType } from '../wire/content-type';

interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

export function describeIssue(issue: Issue): { message: string; param: string | null } {
  // Field names come from the client: each is quoted bounded.
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
    const field = quoted(issue.keys[0]!);
    return { message: `${field}: unknown field`, param: field };
  }
  const param = issue.path.length > 0 ? issue.path.map((segment) => quoted(String(segment))).join('.') : null;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message) && param) {
    return { message: `${param}: required`, param };
  }
  return { message: param ? `${param}: ${issue.message}` : issue.message, param };
}

const TARGET_CODES = { json: 'invalid_body', query: 'invalid_query', param: 'invalid_path' } as const;

/** `value` parsed by `schema`, or a 400 naming the first field that failed. */
export function parseInput<Schema extends z.ZodMiniType>(schema: Schema, value: unknown, target: keyof typeof TARGET_CODES): z.output<Schema> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const [first] = result.error.issues;
  const { message, param } = first ? describeIssue(first) : { message: 'invalid request', param: null };
  throw invalidRequest(TARGET_CODES[target], message, param);
}

/** A request's JSON body: 415 when it is not sent as JSON, 400 when it does not parse. */
export async function readJsonBody(request: Request): Promise<unknown> {
  if (!isJsonContentType(request.headers.get('content-type'))) throw notJson();
  return parseJsonText(await request.text());
}

/** A body that may be left out: none at all reads as `{}`, anything else as readJsonBody reads it. */
export async function readOptionalJsonBody(request: Request): Promise<unknown> {
  // Bytes, not .text(): whatever the body claims to be, it is decoded here, once.
  const text = new TextDecoder().decode(await request.arrayBuffer());
  if (text.trim() === '') return {};
  if (!isJsonContentType(request.headers.get('content-type'))) throw notJson();
  return parseJsonText(text);
}

function notJson(): KeygateError {
  return new KeygateError('unsupported_media_type', 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.');
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest('invalid_json', 'The request body is not valid JSON.');
  }
}
