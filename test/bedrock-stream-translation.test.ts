// Known answers for ConverseStream events → OpenAI chat.completion.chunk SSE: the exact bytes a
// client reads for text and tool-call streams, usage on request, and how every kind of failure
// ends the stream (one error event, then a clean close, never `[DONE]`).

import { describe, expect, it } from 'vitest';
import { converseEventsToSse } from '../src/providers/bedrock/converse-stream';
import { EventStreamError, type EventStreamMessage } from '../src/providers/bedrock/event-stream';

const encoder = new TextEncoder();
const meta = { id: 'chatcmpl-9', model: 'amazon.nova-lite-v1:0', created: 1_700_000_000 };

// Bedrock pads every payload with a `p` field so lengths leak nothing; the translation ignores it.
const event = (eventType: string, payload: object): EventStreamMessage => ({
  headers: { ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' },
  payload: encoder.encode(JSON.stringify({ ...payload, p: 'abcdefghijk' })),
});
const exception = (exceptionType: string, message: string): EventStreamMessage => ({
  headers: { ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': 'application/json' },
  payload: encoder.encode(JSON.stringify({ message })),
});

const messageStart = event('messageStart', { role: 'assistant' });
const text = (contentBlockIndex: number, value: string) => event('contentBlockDelta', { contentBlockIndex, delta: { text: value } });
const blockStop = (contentBlockIndex: number) => event('contentBlockStop', { contentBlockIndex });
const messageStop = (stopReason: string) => event('messageStop', { stopReason });
const metadata = event('metadata', { usage: { inputTokens: 11, outputTokens: 7, totalTokens: 18 }, metrics: { latencyMs: 120 } });

/** A pulled stream of the given messages that then closes, or errors with `failure` when given. */
function eventStream(messages: EventStreamMessage[], failure?: unknown) {
  let next = 0;
  let cancelled = false;
  const stream = new ReadableStream<EventStreamMessage>(
    {
      pull(controller) {
        if (next < messages.length) controller.enqueue(messages[next++]!);
        else if (failure !== undefined) controller.error(failure);
        else controller.close();
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, wasCancelled: () => cancelled };
}

/** Everything a client reads, to the end of the stream. Resolving at all proves there is no hang. */
const readAll = (messages: EventStreamMessage[], options: { includeUsage?: boolean; failure?: unknown } = {}) =>
  new Response(converseEventsToSse(eventStream(messages, options.failure).stream, { ...meta, includeUsage: options.includeUsage ?? false })).text();

const dataLines = (sse: string) => sse.split('\n\n').filter((frame) => frame !== '');
const lastEvent = (sse: string) => JSON.parse(dataLines(sse).at(-1)!.slice('data: '.length)) as { error: { message: string; type: string; code: string } };

describe('a text stream', () => {
  it('reads exactly like an OpenAI stream', async () => {
    const sse = await readAll([messageStart, text(0, 'Hel'), text(0, 'lo'), blockStop(0), messageStop('end_turn'), metadata]);
    const head = '{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"amazon.nova-lite-v1:0","choices":[{"index":0,"delta":';
    expect(sse).toBe(
      `data: ${head}{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: ${head}{"content":"Hel"},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: ${head}{"content":"lo"},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: ${head}{},"logprobs":null,"finish_reason":"stop"}]}\n\n` +
        'data: [DONE]\n\n',
    );
  });

  it.each([
    ['max_tokens', 'length'],
    ['guardrail_intervened', 'content_filter'],
  ])('ends with finish_reason for stopReason %s', async (stopReason, expected) => {
    const sse = await readAll([messageStart, text(0, 'x'), messageStop(stopReason), metadata]);
    const finish = JSON.parse(dataLines(sse).at(-2)!.slice(6));
    expect(finish.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: expected });
  });
});

describe('a tool-call stream', () => {
  it('sends index, id and name first, then the argument fragments, numbering tool calls among themselves', async () => {
    const toolStart = (contentBlockIndex: number, toolUseId: string, name: string) =>
      event('contentBlockStart', { contentBlockIndex, start: { toolUse: { toolUseId, name } } });
    const toolInput = (contentBlockIndex: number, input: string) => event('contentBlockDelta', { contentBlockIndex, delta: { toolUse: { input } } });
    const sse = await readAll([
      messageStart,
      text(0, 'Checking.'),
      blockStop(0),
      toolStart(1, 'tooluse_a', 'get_weather'),
      toolInput(1, '{"city":'),
      toolInput(1, '"Paris"}'),
      blockStop(1),
      toolStart(2, 'tooluse_b', 'now'),
      toolInput(2, '{}'),
      blockStop(2),
      messageStop('tool_use'),
      metadata,
    ]);
    const deltas = dataLines(sse).slice(0, -1).map((line) => JSON.parse(line.slice(6)).choices[0]);
    expect(deltas.map((choice) => choice.delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Checking.' },
      { tool_calls: [{ index: 0, id: 'tooluse_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      { tool_calls: [{ index: 1, id: 'tooluse_b', type: 'function', function: { name: 'now', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{}' } }] },
      {},
    ]);
    expect(deltas.at(-1).finish_reason).toBe('tool_calls');
    expect(dataLines(sse).at(-1)).toBe('data: [DONE]');
  });
});

describe('include_usage', () => {
  const events = [messageStart, text(0, 'Hi'), messageStop('end_turn'), metadata];

  it('on: usage null on every chunk, then a usage chunk with no choices before [DONE]', async () => {
    const seen: unknown[] = [];
    const sse = await new Response(
      converseEventsToSse(eventStream(events).stream, { ...meta, includeUsage: true, onUsage: (usage) => seen.push(usage) }),
    ).text();
    const lines = dataLines(sse);
    expect(lines.at(-1)).toBe('data: [DONE]');
    const chunks = lines.slice(0, -1).map((line) => JSON.parse(line.slice(6)));
    expect(chunks).toHaveLength(4);
    for (const chunk of chunks.slice(0, -1)) expect(chunk).toHaveProperty('usage', null);
    expect(chunks.at(-1)).toEqual({
      id: 'chatcmpl-9',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'amazon.nova-lite-v1:0',
      choices: [],
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
    });
    expect(seen).toEqual([{ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 }]);
  });

  it('off: no usage field anywhere and no usage chunk', async () => {
    const sse = await readAll(events);
    expect(sse).not.toContain('usage');
    expect(dataLines(sse)).toHaveLength(4);
  });
});

describe('a stream that fails', () => {
  it('turns a Bedrock exception into one error event and a clean close', async () => {
    const sse = await readAll([messageStart, text(0, 'Hal'), exception('throttlingException', 'Too many tokens, please wait.')], { includeUsage: true });
    const lines = dataLines(sse);
    expect(lines).toHaveLength(3);
    expect(sse).not.toContain('[DONE]');
    const { error } = lastEvent(sse);
    expect(error).toMatchObject({ type: 'rate_limit_error', code: 'upstream_throttled' });
    expect(error.message).toContain('throttlingException');
    expect(error.message).toContain('Too many tokens, please wait.');
  });

  it('stops reading Bedrock after an exception', async () => {
    const input = eventStream([messageStart, exception('modelStreamErrorException', 'boom'), text(0, 'never')]);
    const sse = await new Response(converseEventsToSse(input.stream, { ...meta, includeUsage: false })).text();
    expect(sse).not.toContain('never');
    expect(lastEvent(sse).error.code).toBe('upstream_model_error');
    expect(input.wasCancelled()).toBe(true);
  });

  it.each([
    ['a corrupt event stream', new EventStreamError('message CRC mismatch'), 'upstream_stream_corrupt'],
    ['a network error', new TypeError('Network connection lost.'), 'upstream_stream_broken'],
  ])('turns %s into one error event and a clean close', async (_label, failure, code) => {
    const sse = await readAll([messageStart, text(0, 'Hal')], { failure });
    expect(dataLines(sse)).toHaveLength(3);
    expect(sse).not.toContain('[DONE]');
    const { error } = lastEvent(sse);
    expect(error.code).toBe(code);
    // The runtime's own wording stays out of the body; the code says what happened.
    expect(error.message).not.toContain('CRC');
    expect(error.message).not.toContain('Network connection lost');
  });

  it('ends with an error event when Bedrock stops before messageStop', async () => {
    const sse = await readAll([messageStart, text(0, 'Half an ans')]);
    expect(sse).not.toContain('[DONE]');
    expect(sse).not.toContain('finish_reason":"stop"');
    expect(lastEvent(sse).error).toMatchObject({ type: 'upstream_error', code: 'upstream_stream_incomplete' });
  });

  it('ends with an error event for an event Bedrock would never send', async () => {
    const sse = await readAll([messageStart, event('contentBlockDelta', { contentBlockIndex: 3, delta: { toolUse: { input: '{}' } } })]);
    expect(lastEvent(sse).error.code).toBe('upstream_invalid_response');
    const garbled: EventStreamMessage = { headers: { ':message-type': 'event', ':event-type': 'messageStop' }, payload: encoder.encode('{not json') };
    expect(lastEvent(await readAll([messageStart, garbled])).error.code).toBe('upstream_invalid_response');
  });

  it('cancels the Bedrock stream when the client goes away', async () => {
    const input = eventStream([messageStart, text(0, 'a'), text(0, 'b')]);
    const reader = converseEventsToSse(input.stream, { ...meta, includeUsage: false }).getReader();
    await reader.read();
    await reader.cancel('client left');
    expect(input.wasCancelled()).toBe(true);
  });
});
