// The one hook that turns a failed zod validation into our error shape. Every route uses it, so a
// raw ZodError never reaches a client. The message names the field that failed.

import type { Hook } from '@hono/zod-openapi';
import { invalidRequest } from '../errors';

interface Issue {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

export function describeIssue(issue: Issue): { message: string; param: string | null } {
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
    const field = issue.keys[0]!;
    return { message: `${field}: unknown field`, param: field };
  }
  const param = issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message) && param) {
    return { message: `${param}: required`, param };
  }
  return { message: param ? `${param}: ${issue.message}` : issue.message, param };
}

const TARGET_CODES: Record<string, string> = { json: 'invalid_body', query: 'invalid_query', param: 'invalid_path' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (result.success) return;
  const [first] = result.error.issues;
  const { message, param } = first ? describeIssue(first) : { message: 'invalid request', param: null };
  throw invalidRequest(TARGET_CODES[result.target] ?? 'invalid_request', message, param);
};
