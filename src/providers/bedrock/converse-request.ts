// Turns an OpenAI chat completions body into a Bedrock Converse request.
//
// Shapes: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
// Anything Converse cannot honour is either dropped (when the answer would be the same in every way
// a client can check) or refused with a 400 naming the field, so a client never gets an answer made
// under terms it did not ask for.

import { invalidRequest, quoted } from '../../errors';
import { bedrockModelId } from './model-id';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export type ConverseContentBlock =
  | { text: string }
  // The REST (JSON) wire format carries image bytes as a base64 string.
  | { image: { format: ImageFormat; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: Record<string, unknown> } }
  | { toolResult: { toolUseId: string; content: { text: string }[] } };
export interface ConverseMessage { role: 'user' | 'assistant'; content: ConverseContentBlock[] }
export interface ConverseTool { toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } } }
export type ConverseToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };
export interface ConverseInferenceConfig { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] }
export interface ConverseRequestBody {
  messages: ConverseMessage[];
  system?: { text: string }[];
  inferenceConfig?: ConverseInferenceConfig;
  toolConfig?: { tools: ConverseTool[]; toolChoice?: ConverseToolChoice };
}
export interface ConverseCall { modelId: string; stream: boolean; includeUsage: boolean; request: ConverseRequestBody }

/**
 * Fields dropped without a word: the answer a client can check is the same without them. The
 * reasons live here, not in the bundle: no message ever shows them.
 */
export const IGNORED_FIELDS: ReadonlySet<string> = new Set([
  // End-user ids for OpenAI abuse monitoring; Bedrock has no such field.
  'user',
  'safety_identifier',
  // Asks OpenAI to keep the completion, and tags for kept completions; nothing is kept on Bedrock.
  'store',
  'metadata',
  // An OpenAI processing tier; Bedrock serves every call on its own terms.
  'service_tier',
  // A cache-routing hint and a latency optimisation on OpenAI; they never change the answer.
  'prompt_cache_key',
  'prediction',
  // Best-effort determinism even on OpenAI; Converse has no seed.
  'seed',
  // Soft sampling nudges with no Converse equivalent; answers stay valid without them.
  'frequency_penalty',
  'presence_penalty',
  // Hints for OpenAI reasoning and length; Bedrock models use their own defaults.
  'reasoning_effort',
  'verbosity',
]);

/** Fields refused with a 400 when they ask for something, because the answer would differ materially. */
export const REFUSED_FIELDS: Readonly<Record<string, string>> = {
  n: 'Converse returns one choice, so n > 1 would quietly return fewer choices than asked for',
  logprobs: 'Converse returns no token log probabilities',
  top_logprobs: 'Converse returns no token log probabilities',
  response_format: 'Converse has no JSON mode, so a json_object or json_schema answer could come back as prose',
  audio: 'Converse answers with text only',
  modalities: 'Converse answers with text only',
  logit_bias: 'token ids belong to OpenAI tokenizers and mean nothing to Bedrock models',
  functions: 'the deprecated functions API is not translated; send tools instead',
  function_call: 'the deprecated functions API is not translated; send tool_choice instead',
  web_search_options: 'Converse has no built-in web search',
  parallel_tool_calls: 'Converse cannot promise at most one tool call; true (the default) is fine',
};

const TRANSLATED_FIELDS = new Set(['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'tools', 'tool_choice']);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
// OpenAI treats an explicit null like an absent optional field, so Keygate does too.
const absent = (value: unknown): value is undefined | null => value === undefined || value === null;
const invalid = (param: string, problem: string) => invalidRequest('invalid_body', `${param}: ${problem}`, param);

function requiredString(value: unknown, param: string): string {
  if (typeof value !== 'string' || value === '') throw invalidRequest('missing_field', `${param}: required, as a non-empty string`, param);
  return value;
}

export function toConverseRequest(body: Record<string, unknown>): ConverseCall {
  checkFieldsBedrockCanHonour(body);
  const modelId = bedrockModelId(requiredString(body.model, 'model'));
  if (!absent(body.stream) && typeof body.stream !== 'boolean') throw invalid('stream', 'must be a boolean');
  const stream = body.stream === true;
  const { system, messages } = translateMessages(body.messages);
  const request: ConverseRequestBody = { messages };
  if (system.length > 0) request.system = system;
  const inferenceConfig = translateInferenceConfig(body);
  if (Object.keys(inferenceConfig).length > 0) request.inferenceConfig = inferenceConfig;
  const historyUsesTools = messages.some((message) => message.content.some((block) => 'toolUse' in block || 'toolResult' in block));
  const toolConfig = translateTools(body, historyUsesTools);
  if (toolConfig) request.toolConfig = toolConfig;
  return { modelId, stream, includeUsage: stream && includesUsage(body.stream_options), request };
}

function checkFieldsBedrockCanHonour(body: Json): void {
  for (const [field, value] of Object.entries(body)) {
    // Sets and own properties only: `constructor` or `__proto__` must not pass as known fields.
    if (TRANSLATED_FIELDS.has(field) || IGNORED_FIELDS.has(field)) continue;
    const reason = Object.hasOwn(REFUSED_FIELDS, field) ? REFUSED_FIELDS[field] : undefined;
    if (reason === undefined) {
      // An unknown field may be a newer OpenAI feature; dropping it could change the answer unseen.
      throw invalidRequest('unsupported_parameter', `${quoted(field)}: not a field Keygate can translate for Bedrock; remove it`, quoted(field));
    }
    if (!absent(value) && (Object.hasOwn(HARMLESS_VALUES, field) ? HARMLESS_VALUES[field]?.(value) : undefined) !== true) {
      throw invalidRequest('unsupported_parameter', `${field}: Bedrock cannot honour it (${reason}); remove it to call this model`, field);
    }
  }
}

/** Values of a refused field that ask for nothing beyond the default, so sending them is harmless. */
const HARMLESS_VALUES: Readonly<Record<string, (value: unknown) => boolean>> = {
  n: (value) => value === 1,
  parallel_tool_calls: (value) => value === true,
  logprobs: (value) => value === false,
  response_format: (value) => isObject(value) && value.type === 'text',
  modalities: (value) => Array.isArray(value) && value.every((modality) => modality === 'text'),
  logit_bias: (value) => isObject(value) && Object.keys(value).length === 0,
  functions: (value) => Array.isArray(value) && value.length === 0,
};

function includesUsage(options: unknown): boolean {
  if (absent(options)) return false;
  if (!isObject(options)) throw invalid('stream_options', 'must be an object');
  const value = options.include_usage;
  if (!absent(value) && typeof value !== 'boolean') throw invalid('stream_options.include_usage', 'must be a boolean');
  return value === true;
}

function translateMessages(value: unknown): { system: { text: string }[]; messages: ConverseMessage[] } {
  if (!Array.isArray(value)) throw invalid('messages', 'must be an array of messages');
  const system: { text: string }[] = [];
  const messages: ConverseMessage[] = [];
  value.forEach((message: unknown, index) => {
    const param = `messages[${index}]`;
    if (!isObject(message)) throw invalid(param, 'must be an object with a role and content');
    switch (message.role) {
      case 'system':
      case 'developer':
        // Converse takes system text once, before the conversation, so later ones move up too.
        system.push(...(contentBlocks(message.content, `${param}.content`, 'text') as { text: string }[]));
        return;
      case 'user':
        return append(messages, 'user', contentBlocks(message.content, `${param}.content`, 'text and images'));
      case 'assistant':
        return append(messages, 'assistant', assistantBlocks(message, param));
      case 'tool':
        // Converse carries tool results as content of a user turn.
        return append(messages, 'user', [toolResultBlock(message, param)]);
      default:
        throw invalid(`${param}.role`, 'must be one of system, developer, user, assistant or tool');
    }
  });
  if (messages.length === 0) throw invalid('messages', 'must contain at least one user or assistant message with content');
  return { system, messages };
}

/** Converse requires user and assistant turns to alternate, so neighbours with one role become one turn. */
function append(messages: ConverseMessage[], role: ConverseMessage['role'], content: ConverseContentBlock[]): void {
  // Bedrock rejects a turn without content; a blank one says nothing, so it is left out.
  if (content.length === 0) return;
  const last = messages.at(-1);
  if (last?.role === role) last.content.push(...content);
  else messages.push({ role, content });
}

function contentBlocks(content: unknown, param: string, accepts: 'text' | 'text and images'): ConverseContentBlock[] {
  if (typeof content === 'string') return textBlock(content);
  if (!Array.isArray(content)) throw invalid(param, 'must be a string or an array of content parts');
  return content.flatMap((part: unknown, index) => {
    const partParam = `${param}[${index}]`;
    if (!isObject(part)) throw invalid(partParam, 'must be a content part object');
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw invalid(`${partParam}.text`, 'must be a string');
      return textBlock(part.text);
    }
    if (part.type === 'image_url' && accepts === 'text and images') return [imageBlock(part.image_url, `${partParam}.image_url`)];
    throw invalidRequest('unsupported_content', `${partParam}.type: Bedrock accepts only ${accepts} here`, `${partParam}.type`);
  });
}

// Bedrock rejects blank text blocks in a message (ValidationException "is blank"), and they carry
// nothing, so they are dropped rather than sent.
const textBlock = (text: string): ConverseContentBlock[] => (text.trim() === '' ? [] : [{ text }]);

const DATA_URL = /^data:image\/([a-z0-9.+-]+);base64,([A-Za-z0-9+/]+={0,2})$/;
const IMAGE_FORMATS: Readonly<Record<string, ImageFormat>> = { png: 'png', jpeg: 'jpeg', jpg: 'jpeg', gif: 'gif', webp: 'webp' };

function imageBlock(image: unknown, param: string): ConverseContentBlock {
  const url = isObject(image) ? image.url : undefined;
  if (typeof url !== 'string') throw invalid(`${param}.url`, 'required, as a string');
  const match = DATA_URL.exec(url);
  const format = match ? IMAGE_FORMATS[match[1]!] : undefined;
  if (!match || !format) {
    const problem = url.startsWith('data:')
      ? 'Bedrock accepts only base64 data URLs of PNG, JPEG, GIF or WebP images'
      : 'Bedrock accepts only inline images, not links; fetch the image and send its bytes as a data URL such as data:image/png;base64,iVBORw0KGgo...';
    throw invalidRequest('unsupported_image_url', `${param}.url: ${problem}`, `${param}.url`);
  }
  return { image: { format, source: { bytes: match[2]! } } };
}

function assistantBlocks(message: Json, param: string): ConverseContentBlock[] {
  const calls = message.tool_calls;
  if (absent(message.content) && absent(calls)) throw invalidRequest('missing_field', `${param}.content: required unless tool_calls are given`, `${param}.content`);
  const blocks = absent(message.content) ? [] : contentBlocks(message.content, `${param}.content`, 'text');
  if (absent(calls)) return blocks;
  if (!Array.isArray(calls)) throw invalid(`${param}.tool_calls`, 'must be an array');
  return [...blocks, ...calls.map((call: unknown, index) => toolUseBlock(call, `${param}.tool_calls[${index}]`))];
}

function toolUseBlock(call: unknown, param: string): ConverseContentBlock {
  if (!isObject(call) || !isObject(call.function)) throw invalid(param, 'must be {id, type: "function", function: {name, arguments}}');
  if (!absent(call.type) && call.type !== 'function') throw invalid(`${param}.type`, 'must be "function"');
  const toolUseId = requiredString(call.id, `${param}.id`);
  const name = requiredString(call.function.name, `${param}.function.name`);
  const argumentsText = call.function.arguments;
  const argumentsParam = `${param}.function.arguments`;
  if (typeof argumentsText !== 'string') throw invalid(argumentsParam, 'must be a string holding a JSON object');
  let input: unknown;
  try {
    // Some clients send "" for a call without arguments; it means the empty object.
    input = argumentsText.trim() === '' ? {} : JSON.parse(argumentsText);
  } catch {
    throw invalid(argumentsParam, 'is not valid JSON; Bedrock needs the arguments as a JSON object');
  }
  if (!isObject(input)) throw invalid(argumentsParam, 'must hold a JSON object');
  return { toolUse: { toolUseId, name, input } };
}

function toolResultBlock(message: Json, param: string): ConverseContentBlock {
  const toolUseId = requiredString(message.tool_call_id, `${param}.tool_call_id`);
  // An empty tool output is a real answer, and Bedrock accepts blank text inside a toolResult.
  const content =
    typeof message.content === 'string'
      ? [{ text: message.content }]
      : (contentBlocks(message.content, `${param}.content`, 'text') as { text: string }[]);
  return { toolResult: { toolUseId, content: content.length > 0 ? content : [{ text: '' }] } };
}

function translateInferenceConfig(body: Json): ConverseInferenceConfig {
  const config: ConverseInferenceConfig = {};
  // max_completion_tokens replaced max_tokens; when a client sends both, the newer one wins.
  const maxField = absent(body.max_completion_tokens) ? 'max_tokens' : 'max_completion_tokens';
  const maxTokens = body[maxField];
  if (!absent(maxTokens)) {
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) throw invalid(maxField, 'must be a positive integer');
    config.maxTokens = maxTokens;
  }
  for (const [field, key] of [['temperature', 'temperature'], ['top_p', 'topP']] as const) {
    const value = body[field];
    if (absent(value)) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(field, 'must be a non-negative number');
    config[key] = value;
  }
  const stop = body.stop;
  if (typeof stop === 'string') config.stopSequences = [stop];
  else if (Array.isArray(stop) && stop.every((sequence) => typeof sequence === 'string')) {
    if (stop.length > 0) config.stopSequences = stop;
  } else if (!absent(stop)) throw invalid('stop', 'must be a string or an array of strings');
  return config;
}

function translateTools(body: Json, historyUsesTools: boolean): ConverseRequestBody['toolConfig'] {
  const tools = absent(body.tools) ? [] : toolSpecs(body.tools);
  const choice = body.tool_choice;
  if (tools.length === 0 || choice === 'none') {
    if (historyUsesTools) {
      // Converse refuses tool calls or results in the history unless tools are declared, and its
      // toolChoice has no "none": once tools are declared, nothing stops the model calling one.
      const [param, problem] = tools.length === 0 ? ['tools', 'required'] : ['tool_choice', '"none" cannot be honoured'];
      const why = 'because Bedrock then needs the tools declared and cannot forbid calling them';
      throw invalidRequest('unsupported_tool_choice', `${param}: ${problem} when the messages hold tool calls or results, ${why}; send the tools with tool_choice "auto" or omitted`, param);
    }
    if (tools.length === 0 && !absent(choice) && choice !== 'none') throw invalid('tool_choice', 'needs tools to choose from');
    // Without tools the model cannot call one, which is exactly what "none" asks for.
    return undefined;
  }
  if (absent(choice)) return { tools };
  if (choice === 'auto') return { tools, toolChoice: { auto: {} } };
  if (choice === 'required') return { tools, toolChoice: { any: {} } };
  const name = isObject(choice) && choice.type === 'function' && isObject(choice.function) ? choice.function.name : undefined;
  if (typeof name !== 'string') throw invalid('tool_choice', 'must be "none", "auto", "required" or {type: "function", function: {name}}');
  if (!tools.some((tool) => tool.toolSpec.name === name)) throw invalid('tool_choice.function.name', `names no tool in tools: ${name}`);
  return { tools, toolChoice: { tool: { name } } };
}

function toolSpecs(value: unknown): ConverseTool[] {
  if (!Array.isArray(value)) throw invalid('tools', 'must be an array of function tools');
  return value.map((tool: unknown, index) => {
    const param = `tools[${index}]`;
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) {
      throw invalidRequest('unsupported_tool', `${param}: Bedrock accepts only {type: "function", function: {...}} tools`, param);
    }
    const name = requiredString(tool.function.name, `${param}.function.name`);
    const { description, parameters } = tool.function;
    if (!absent(description) && typeof description !== 'string') throw invalid(`${param}.function.description`, 'must be a string');
    if (!absent(parameters) && !isObject(parameters)) throw invalid(`${param}.function.parameters`, 'must be a JSON Schema object');
    // OpenAI reads omitted parameters as "takes no arguments"; Converse needs that schema spelled out.
    const schema = parameters ?? { type: 'object', properties: {} };
    // Converse rejects an empty description, and an empty one says nothing anyway.
    return { toolSpec: { name, ...(description ? { description } : {}), inputSchema: { json: schema } } };
  });
}
