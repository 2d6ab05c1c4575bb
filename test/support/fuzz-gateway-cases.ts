// Generated requests for the gateway: the OpenAI paths Keygate's providers serve, and any other
// `/v1/*` path, with the virtual key in the model (`@slug/model`), in x-portkey-virtual-key, in
// both or in neither. Slugs name real fixtures (OpenAI with and without limits, Azure, Bedrock),
// plausible unknown keys, or hostile text; models avoid the names the fake upstream obeys.

import * as fc from 'fast-check';
import {
  bodyOf,
  headerText,
  headersWith,
  hostileJson,
  hostileString,
  isFakeUpstreamOrder,
  methodOf,
  objectOf,
  query,
  segmentOf,
  type RequestCase,
} from './fuzz-inputs';
import { Cat, Ref, serialize, textOf, type Fixtures, type Json, type Obj, type Raw, type Str } from './fuzz-values';

const slug = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Str>(new Ref('slug')) },
  { weight: 2, arbitrary: fc.constant<Str>(new Ref('budgetSlug')) },
  { weight: 1, arbitrary: fc.constant<Str>(new Ref('limitedSlug')) },
  { weight: 2, arbitrary: fc.constant<Str>(new Ref('azureSlug')) },
  { weight: 2, arbitrary: fc.constant<Str>(new Ref('bedrockSlug')) },
  { weight: 1, arbitrary: fc.constantFrom<Str>('openai-abcdefghij', 'vk-zzzzzzzzzz') },
);

const NORMAL_MODELS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'anthropic.claude-3-haiku-20240307-v1:0', 'gpt4o-prod', 'o1-mini', 'usage-40'];

const modelName: fc.Arbitrary<Str> = fc
  .oneof({ weight: 4, arbitrary: fc.constantFrom<Str>(...NORMAL_MODELS) }, { weight: 2, arbitrary: hostileString })
  .filter((model) => typeof model !== 'string' || !isFakeUpstreamOrder(model));

const model: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.oneof({ weight: 6, arbitrary: slug }, { weight: 1, arbitrary: hostileString }), modelName).map(([key, name]) => new Cat(['@', key, '/', name])) },
  { weight: 3, arbitrary: modelName },
  { weight: 1, arbitrary: fc.constantFrom('@', '@/', '@x', '@/gpt-4o') },
);

/** Header-safe: a fixture slug or header text, never a value a Request would refuse. */
const virtualKeyHeader = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Array<readonly [string, Str]>>([]) },
  { weight: 2, arbitrary: fc.oneof({ weight: 4, arbitrary: slug }, { weight: 1, arbitrary: headerText }).map((key) => [['x-portkey-virtual-key', key] as const]) },
);

const text = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 1, arbitrary: hostileString });

const messages = fc.array(
  objectOf([
    { name: 'role', value: fc.constantFrom('user', 'system', 'assistant', 'developer'), required: true },
    {
      name: 'content',
      value: fc.oneof(text, fc.array(objectOf([{ name: 'type', value: fc.constant('text'), required: true }, { name: 'text', value: text, required: true }]), { maxLength: 2 })),
      required: true,
    },
  ]),
  { maxLength: 3 },
);

const streaming = [
  { name: 'stream', value: fc.boolean() },
  { name: 'stream_options', value: objectOf([{ name: 'include_usage', value: fc.boolean() }]) },
];

const chat = objectOf([
  { name: 'model', value: model, required: true },
  { name: 'messages', value: messages, required: true },
  ...streaming,
  { name: 'max_tokens', value: fc.integer({ min: 1, max: 4_096 }) },
  { name: 'temperature', value: fc.double({ min: 0, max: 2, noNaN: true }) },
  { name: 'user', value: text },
]);

const completions = objectOf([
  { name: 'model', value: model, required: true },
  { name: 'prompt', value: text, required: true },
  ...streaming,
]);

const embeddings = objectOf([
  { name: 'model', value: model, required: true },
  { name: 'input', value: fc.oneof(text, fc.array(text, { maxLength: 3 })), required: true },
  { name: 'encoding_format', value: fc.constantFrom('float', 'base64') },
]);

const responses = objectOf([
  { name: 'model', value: model, required: true },
  { name: 'input', value: fc.oneof(text, messages), required: true },
  { name: 'instructions', value: text },
  { name: 'stream', value: fc.boolean() },
]);

const anyBody = objectOf([{ name: 'model', value: model }, { name: 'value', value: hostileJson }]);

interface Template {
  route: string;
  segments: fc.Arbitrary<Array<Str | Raw>>;
  methods: string[];
  body: fc.Arbitrary<Obj>;
}

const fixed = (...parts: string[]) => fc.constant<Array<Str | Raw>>(parts);
const anySegment = segmentOf(hostileString);

const TEMPLATES: Template[] = [
  { route: '/v1/chat/completions', segments: fixed('chat', 'completions'), methods: ['POST'], body: chat },
  { route: '/v1/completions', segments: fixed('completions'), methods: ['POST'], body: completions },
  { route: '/v1/embeddings', segments: fixed('embeddings'), methods: ['POST'], body: embeddings },
  { route: '/v1/responses', segments: fixed('responses'), methods: ['POST'], body: responses },
  { route: '/v1/models', segments: fixed('models'), methods: ['GET'], body: anyBody },
  { route: '/v1/models/{model}', segments: fc.tuple(segmentOf(modelName)).map((parts) => ['models', ...parts]), methods: ['GET', 'DELETE'], body: anyBody },
  { route: '/v1/{any}', segments: fc.tuple(anySegment).map((parts) => [...parts]), methods: ['GET', 'POST'], body: anyBody },
  { route: '/v1/{any}/{any}', segments: fc.tuple(anySegment, anySegment).map((parts) => [...parts]), methods: ['GET', 'POST', 'DELETE'], body: chat },
];

function caseOf(template: Template): fc.Arbitrary<RequestCase> {
  return fc
    .record({
      method: methodOf(...template.methods),
      segments: template.segments,
      query: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: query }),
      headers: headersWith(virtualKeyHeader),
      body: bodyOf(template.body),
    })
    .map(({ method, segments, query: pairs, headers, body }) => ({
      route: template.route,
      method,
      path: '/v1',
      segments,
      query: pairs,
      headers,
      body: ['GET', 'HEAD'].includes(method.toUpperCase()) ? null : body,
    }));
}

const PLACEHOLDERS = new Proxy({} as Fixtures, { get: () => 'fixture' });

/**
 * Whether the fake upstream survives this body if Keygate forwards it. It reads `body.model` as a
 * string, echoes it in its answer and spreads `body.messages`, all without a guard, and its server
 * dies of a `null` body, of a model String() can't convert (an object with a `toString` field) or
 * nested too deep to echo, or of messages that are not a list of non-null entries; real providers
 * answer 400. Such bodies are not sent.
 */
function fakeUpstreamCanRead(requestCase: RequestCase): boolean {
  const { body } = requestCase;
  if (body === null) return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse('json' in body ? serialize(body.json, PLACEHOLDERS) : textOf(body.text, PLACEHOLDERS));
  } catch {
    return true;
  }
  if (parsed === null) return false;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return true;
  const { messages, model } = parsed as { messages?: unknown; model?: unknown };
  try {
    String(model);
  } catch {
    return false;
  }
  if (nestingDepth(model) > 100) return false;
  if (messages === undefined || messages === null || typeof messages === 'string') return true;
  return Array.isArray(messages) && messages.every((message) => message !== null);
}

function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [next, depth] = stack.pop()!;
    if (next === null || typeof next !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const entry of Object.values(next)) stack.push([entry, depth + 1]);
  }
  return deepest;
}

/** One generated request to the gateway. */
export const gatewayCase: fc.Arbitrary<RequestCase> = fc.oneof(...TEMPLATES.map(caseOf)).filter(fakeUpstreamCanRead);

