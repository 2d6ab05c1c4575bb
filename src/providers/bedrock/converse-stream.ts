// Turns Bedrock ConverseStream events into OpenAI chat.completion.chunk server-sent events.
//
// Events: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
// Once the first byte has gone out the HTTP status is fixed at 200, so anything that goes wrong
// later (a Bedrock exception event, a broken or truncated stream) becomes one `data: {"error":...}`
// event, which the OpenAI SDK raises as an APIError, and then a clean close. No `[DONE]` follows
// an error, so a client never mistakes a cut-off answer for a whole one.

import * as z from 'zod/mini';
import { errorBody, KeygateError } from '../../errors';
import { chatUsage, ConverseUsage, finishReason, upstreamInvalidResponse, type ChatUsage, type CompletionMeta } from './converse-response';
import { EventStreamError, type EventStreamMessage } from './event-stream';

export interface StreamMeta extends CompletionMeta {
  /** Whether the client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Called once with the token counts from the `metadata` event, for the limits ledger. */
  onUsage?: (usage: ChatUsage) => void;
}

const BlockIndex = z.int().check(z.nonnegative());
const ContentBlockStart = z.object({
  contentBlockIndex: BlockIndex,
  start: z.looseObject({ toolUse: z.optional(z.looseObject({ toolUseId: z.string().check(z.minLength(1)), name: z.string().check(z.minLength(1)) })) }),
});
const ContentBlockDelta = z.object({
  contentBlockIndex: BlockIndex,
  delta: z.looseObject({ text: z.optional(z.string()), toolUse: z.optional(z.looseObject({ input: z.string() })) }),
});
const MessageStop = z.object({ stopReason: z.string() });
const Metadata = z.object({ usage: ConverseUsage });
const decoder = new TextDecoder();

/** Bedrock's stream exceptions; the wire type follows src/providers/bedrock/errors.ts for HTTP errors. */
const EXCEPTIONS: Readonly<Record<string, { code: string; type?: string; message: string }>> = {
  throttlingException: { code: 'upstream_throttled', type: 'rate_limit_error', message: 'Bedrock throttled the call partway through the answer' },
  validationException: { code: 'upstream_rejected', type: 'invalid_request_error', message: 'Bedrock rejected the call partway through the answer' },
  modelStreamErrorException: { code: 'upstream_model_error', message: 'The model failed partway through the answer' },
  internalServerException: { code: 'upstream_unavailable', message: 'Bedrock failed partway through the answer' },
  serviceUnavailableException: { code: 'upstream_unavailable', message: 'Bedrock became unavailable partway through the answer' },
};
const TYPE_BY_CODE = new Map(Object.values(EXCEPTIONS).flatMap(({ code, type }) => (type ? [[code, type] as const] : [])));

const BedrockMessage = z.looseObject({ message: z.string() });

/** The error for an exception (or error) message. Bedrock's own words are kept, as for its HTTP errors. */
function exceptionError(message: EventStreamMessage): KeygateError {
  const exceptionType = message.headers[':exception-type'] ?? message.headers[':error-code'];
  const name = typeof exceptionType === 'string' ? exceptionType : 'unknown';
  const known = EXCEPTIONS[name] ?? { code: 'upstream_error', message: 'Bedrock reported an error partway through the answer' };
  let detail: unknown = message.headers[':error-message'];
  try {
    const parsed = BedrockMessage.safeParse(JSON.parse(decoder.decode(message.payload)));
    if (parsed.success) detail = parsed.data.message;
  } catch {
    // An unreadable payload still leaves the exception type to report.
  }
  const suffix = typeof detail === 'string' && detail !== '' ? `: ${detail}` : '';
  return new KeygateError('upstream_invalid', known.code, `${known.message} (Bedrock ${name}${suffix})`);
}

function inputStreamError(error: unknown): KeygateError {
  if (error instanceof EventStreamError) {
    return new KeygateError('upstream_invalid', 'upstream_stream_corrupt', 'The stream from Bedrock arrived corrupted before the answer was complete');
  }
  return new KeygateError('upstream_unreachable', 'upstream_stream_broken', 'The stream from Bedrock broke off before the answer was complete');
}

const incompleteStream = () =>
  new KeygateError('upstream_invalid', 'upstream_stream_incomplete', 'The stream from Bedrock ended before the answer was complete');

const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

function payloadOf<Schema extends z.ZodMiniType>(message: EventStreamMessage, schema: Schema): z.infer<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(message.payload));
  } catch {
    // No cause kept: the SyntaxError would quote the payload, which is the user's answer.
    throw upstreamInvalidResponse();
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw upstreamInvalidResponse();
  return parsed.data;
}

/** Keeps the state one answer needs and turns each event into the frames a client should see. */
function createTranslator(meta: StreamMeta) {
  // OpenAI numbers tool calls among themselves; Converse numbers every content block.
  const toolCallIndex = new Map<number, number>();
  let started = false;
  let stopped = false;
  let usage: ChatUsage | null = null;

  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    frame({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      // With include_usage, OpenAI puts `usage: null` on every chunk but the last.
      ...(meta.includeUsage ? { usage: null } : {}),
    });

  // The role chunk opens every OpenAI stream, even if Bedrock skipped messageStart.
  const opening = () => {
    if (started) return [];
    started = true;
    return [chunk({ role: 'assistant', content: '' })];
  };

  function accept(message: EventStreamMessage): string[] {
    const messageType = message.headers[':message-type'];
    // `exception` is a modelled Bedrock exception; `error` is the event-stream protocol's own.
    if (messageType !== 'event') throw exceptionError(message);
    switch (message.headers[':event-type']) {
      case 'messageStart':
        return opening();
      case 'contentBlockStart': {
        const { contentBlockIndex, start } = payloadOf(message, ContentBlockStart);
        if (!start.toolUse) return [];
        const index = toolCallIndex.size;
        toolCallIndex.set(contentBlockIndex, index);
        const { toolUseId, name } = start.toolUse;
        return [...opening(), chunk({ tool_calls: [{ index, id: toolUseId, type: 'function', function: { name, arguments: '' } }] })];
      }
      case 'contentBlockDelta': {
        const { contentBlockIndex, delta } = payloadOf(message, ContentBlockDelta);
        if (delta.text) return [...opening(), chunk({ content: delta.text })];
        if (!delta.toolUse) return [];
        const index = toolCallIndex.get(contentBlockIndex);
        // Arguments for a call whose name and id never came cannot be delivered truthfully.
        if (index === undefined) throw upstreamInvalidResponse();
        return [chunk({ tool_calls: [{ index, function: { arguments: delta.toolUse.input } }] })];
      }
      case 'messageStop': {
        const { stopReason } = payloadOf(message, MessageStop);
        stopped = true;
        return [...opening(), chunk({}, finishReason(stopReason))];
      }
      case 'metadata': {
        usage = chatUsage(payloadOf(message, Metadata).usage);
        meta.onUsage?.(usage);
        return [];
      }
      default:
        // contentBlockStop, and event kinds newer than this code, change nothing a client sees.
        return [];
    }
  }

  function finish(): string[] {
    if (!stopped) throw incompleteStream();
    const usageChunk =
      meta.includeUsage && usage
        ? [frame({ id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, choices: [], usage })]
        : [];
    return [...usageChunk, 'data: [DONE]\n\n'];
  }

  return { accept, finish };
}

function errorFrame(error: unknown): string {
  const known =
    error instanceof KeygateError ? error : new KeygateError('internal', 'internal_error', 'Keygate failed while relaying the answer');
  const body = errorBody(known);
  body.error.type = TYPE_BY_CODE.get(known.code) ?? body.error.type;
  return frame(body);
}

export function converseEventsToSse(events: ReadableStream<EventStreamMessage>, meta: StreamMeta): ReadableStream<Uint8Array> {
  const reader = events.getReader();
  const translator = createTranslator(meta);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    // Pulled, so Bedrock is read only as fast as the client reads.
    async pull(controller) {
      try {
        for (;;) {
          let next: ReadableStreamReadResult<EventStreamMessage>;
          try {
            next = await reader.read();
          } catch (error) {
            throw inputStreamError(error);
          }
          const frames = next.done ? translator.finish() : translator.accept(next.value);
          if (frames.length > 0) controller.enqueue(encoder.encode(frames.join('')));
          if (next.done) return controller.close();
          if (frames.length > 0) return;
        }
      } catch (error) {
        controller.enqueue(encoder.encode(errorFrame(error)));
        controller.close();
        // Nothing more from Bedrock will be used; stop the upstream body instead of draining it.
        reader.cancel().catch(() => {});
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
