// Turns a Bedrock Converse response into an OpenAI chat.completion.
//
// Shapes: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
// The body is parsed, not cast: a body Bedrock would never send becomes a 502 with our own message,
// never a half-translated answer.

import * as z from 'zod/mini';
import { KeygateError } from '../../errors';

/** Token counts as Converse reports them, in a response body and in the stream's metadata event. */
export const ConverseUsage = z.object({
  inputTokens: z.int().check(z.nonnegative()),
  outputTokens: z.int().check(z.nonnegative()),
  totalTokens: z.optional(z.int().check(z.nonnegative())),
});

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function chatUsage(usage: z.infer<typeof ConverseUsage>): ChatUsage {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens ?? usage.inputTokens + usage.outputTokens,
  };
}

// Loose, because Converse adds block kinds over time (reasoning, citations); those are skipped.
const ContentBlock = z.looseObject({
  text: z.optional(z.string()),
  toolUse: z.optional(z.looseObject({ toolUseId: z.string().check(z.minLength(1)), name: z.string().check(z.minLength(1)), input: z.unknown() })),
});

const ConverseResponse = z.looseObject({
  output: z.looseObject({
    message: z.looseObject({ role: z.enum(['assistant']), content: z.array(ContentBlock) }),
  }),
  stopReason: z.string(),
  usage: ConverseUsage,
});

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] };
    logprobs: null;
    finish_reason: string;
  }[];
  usage: ChatUsage;
}

export interface CompletionMeta {
  id: string;
  model: string;
  created: number;
}

const FINISH_REASONS: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

/** OpenAI's finish_reason for a Converse stopReason. Reasons OpenAI has no word for read as `stop`. */
export function finishReason(stopReason: string): string {
  return FINISH_REASONS[stopReason] ?? 'stop';
}

export function upstreamInvalidResponse(): KeygateError {
  return new KeygateError('upstream_invalid', 'upstream_invalid_response', 'Bedrock sent a response Keygate could not read');
}

export function toChatCompletion(converse: unknown, meta: CompletionMeta): ChatCompletion {
  const parsed = ConverseResponse.safeParse(converse);
  if (!parsed.success) throw upstreamInvalidResponse();
  const { output, stopReason, usage } = parsed.data;
  const texts: string[] = [];
  const toolCalls: ChatToolCall[] = [];
  for (const block of output.message.content) {
    if (block.text !== undefined) texts.push(block.text);
    if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      toolCalls.push({ id: toolUseId, type: 'function', function: { name, arguments: JSON.stringify(input ?? {}) } });
    }
  }
  // OpenAI sends null content beside tool calls when the model wrote no text.
  const content = texts.length > 0 ? texts.join('') : toolCalls.length > 0 ? null : '';
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: finishReason(stopReason),
      },
    ],
    usage: chatUsage(usage),
  };
}
