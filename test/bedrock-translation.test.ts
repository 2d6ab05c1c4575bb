// Known answers for the OpenAI ⇄ Bedrock Converse translation: what Bedrock receives for a given
// chat completions body, what the client receives for a given Converse response, and the 400 a
// client gets for what Bedrock cannot honour.

import { describe, expect, it } from 'vitest';
import { errorResponse, KeygateError } from '../src/errors';
import { IGNORED_FIELDS, REFUSED_FIELDS, toConverseRequest } from '../src/providers/bedrock/converse-request';
import { finishReason, toChatCompletion } from '../src/providers/bedrock/converse-response';

const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const hello = { role: 'user', content: 'Hello' };
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const weatherTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};
const weatherSpec = {
  toolSpec: { name: 'get_weather', description: 'Weather for a city', inputSchema: { json: weatherTool.function.parameters } },
};

/** The status and body a client would receive for a body the translation refuses. */
async function clientSees(body: Record<string, unknown>) {
  try {
    toConverseRequest(body);
  } catch (error) {
    if (!(error instanceof KeygateError)) throw error;
    const response = errorResponse(error);
    return { status: response.status, ...((await response.json()) as { error: { message: string; code: string; param: string | null } }) };
  }
  throw new Error('expected the body to be refused');
}

describe('the Converse request', () => {
  it('carries the model, user text and system and developer messages', () => {
    const call = toConverseRequest({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: 'there' }] },
      ],
    });
    expect(call).toEqual({
      modelId: MODEL,
      stream: false,
      includeUsage: false,
      request: {
        system: [{ text: 'Be brief.' }, { text: 'Answer in French.' }],
        messages: [{ role: 'user', content: [{ text: 'Hello' }, { text: 'there' }] }],
      },
    });
  });

  it('sends a data: URL image inline as base64 bytes with its format', () => {
    const content = [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } },
      { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
    ];
    const call = toConverseRequest({ model: MODEL, messages: [{ role: 'user', content }] });
    const [message] = call.request.messages;
    expect(message!.content).toEqual([
      { text: 'What is this?' },
      { image: { format: 'png', source: { bytes: PNG } } },
      { image: { format: 'jpeg', source: { bytes: '/9j/4AAQ' } } },
    ]);
    expect(call.request.messages).toHaveLength(1);
  });

  it('refuses an https image with a 400 that says how to send it inline', async () => {
    const seen = await clientSees({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    });
    expect(seen.status).toBe(400);
    expect(seen.error.code).toBe('unsupported_image_url');
    expect(seen.error.param).toBe('messages[0].content[1].image_url.url');
    expect(seen.error.message).toContain('only inline images');
    expect(seen.error.message).toContain('data:image/png;base64,');
  });

  it('refuses a data: URL of a media type Bedrock cannot read', async () => {
    const seen = await clientSees({ model: MODEL, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }] }] });
    expect(seen.status).toBe(400);
    expect(seen.error.message).toContain('PNG, JPEG, GIF or WebP');
  });

  it.each([
    ['omitted', undefined, { tools: [weatherSpec] }],
    ['auto', 'auto', { tools: [weatherSpec], toolChoice: { auto: {} } }],
    ['required', 'required', { tools: [weatherSpec], toolChoice: { any: {} } }],
    ['a named function', { type: 'function', function: { name: 'get_weather' } }, { tools: [weatherSpec], toolChoice: { tool: { name: 'get_weather' } } }],
    ['none (the tools are withheld)', 'none', undefined],
  ])('translates tools with tool_choice %s', (_label, toolChoice, toolConfig) => {
    const call = toConverseRequest({ model: MODEL, messages: [hello], tools: [weatherTool], tool_choice: toolChoice });
    expect(call.request.toolConfig).toEqual(toolConfig);
  });

  it('spells out the empty schema for a function without parameters', () => {
    const call = toConverseRequest({ model: MODEL, messages: [hello], tools: [{ type: 'function', function: { name: 'now' } }] });
    expect(call.request.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'now', inputSchema: { json: { type: 'object', properties: {} } } } }] });
  });

  it('refuses a tool_choice naming a tool that is not in tools', async () => {
    const seen = await clientSees({ model: MODEL, messages: [hello], tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'nope' } } });
    expect(seen.error.param).toBe('tool_choice.function.name');
  });

  const toolHistory = [
    { role: 'user', content: 'Weather in Paris and Oslo?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
    { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'Snow' }] },
    { role: 'user', content: 'Which is warmer?' },
  ];

  it('translates a multi-turn tool conversation: tool results join the next user turn', () => {
    const call = toConverseRequest({ model: MODEL, messages: toolHistory, tools: [weatherTool] });
    expect(call.request.messages).toEqual([
      { role: 'user', content: [{ text: 'Weather in Paris and Oslo?' }] },
      { role: 'assistant', content: [
        { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
        { toolUse: { toolUseId: 'call_2', name: 'get_weather', input: { city: 'Oslo' } } },
      ] },
      { role: 'user', content: [
        { toolResult: { toolUseId: 'call_1', content: [{ text: 'Sunny' }] } },
        { toolResult: { toolUseId: 'call_2', content: [{ text: 'Snow' }] } },
        { text: 'Which is warmer?' },
      ] },
    ]);
  });

  it('refuses tool_call arguments that are not JSON, naming the field', async () => {
    const broken = structuredClone(toolHistory);
    (broken[1] as { tool_calls: { function: { arguments: string } }[] }).tool_calls[1]!.function.arguments = '{"city": Oslo';
    const seen = await clientSees({ model: MODEL, messages: broken, tools: [weatherTool] });
    expect(seen.status).toBe(400);
    expect(seen.error.param).toBe('messages[1].tool_calls[1].function.arguments');
    expect(seen.error.message).toContain('not valid JSON');
  });

  it.each([
    ['without tools', {}, 'tools'],
    ['with tool_choice none', { tools: [weatherTool], tool_choice: 'none' }, 'tool_choice'],
  ])('refuses a tool history %s, because Converse then requires the tools declared', async (_label, extra, param) => {
    const seen = await clientSees({ model: MODEL, messages: toolHistory, ...extra });
    expect(seen.status).toBe(400);
    expect(seen.error.code).toBe('unsupported_tool_choice');
    expect(seen.error.param).toBe(param);
  });

  it('merges neighbouring messages with one role and leaves blank ones out', () => {
    const call = toConverseRequest({
      model: MODEL,
      messages: [
        { role: 'user', content: 'One' },
        { role: 'user', content: 'Two' },
        { role: 'assistant', content: 'Three' },
        { role: 'assistant', content: '  ' },
        { role: 'assistant', content: [{ type: 'text', text: 'Four' }] },
        { role: 'user', content: 'Five' },
      ],
    });
    expect(call.request.messages).toEqual([
      { role: 'user', content: [{ text: 'One' }, { text: 'Two' }] },
      { role: 'assistant', content: [{ text: 'Three' }, { text: 'Four' }] },
      { role: 'user', content: [{ text: 'Five' }] },
    ]);
  });

  it('maps the inference settings', () => {
    const call = toConverseRequest({ model: MODEL, messages: [hello], max_tokens: 256, temperature: 0.2, top_p: 0.9, stop: 'END' });
    expect(call.request.inferenceConfig).toEqual({ maxTokens: 256, temperature: 0.2, topP: 0.9, stopSequences: ['END'] });
    const newer = toConverseRequest({ model: MODEL, messages: [hello], max_tokens: 10, max_completion_tokens: 20, stop: ['a', 'b'] });
    expect(newer.request.inferenceConfig).toEqual({ maxTokens: 20, stopSequences: ['a', 'b'] });
    expect(toConverseRequest({ model: MODEL, messages: [hello] }).request.inferenceConfig).toBeUndefined();
  });

  it('reads stream and stream_options.include_usage', () => {
    expect(toConverseRequest({ model: MODEL, messages: [hello], stream: true, stream_options: { include_usage: true } })).toMatchObject({ stream: true, includeUsage: true });
    expect(toConverseRequest({ model: MODEL, messages: [hello], stream: true })).toMatchObject({ stream: true, includeUsage: false });
    // include_usage means nothing without a stream.
    expect(toConverseRequest({ model: MODEL, messages: [hello], stream_options: { include_usage: true } })).toMatchObject({ stream: false, includeUsage: false });
  });

  it.each([
    ['n', 2],
    ['logprobs', true],
    ['top_logprobs', 3],
    ['response_format', { type: 'json_object' }],
    ['response_format', { type: 'json_schema', json_schema: { name: 'x', schema: {} } }],
    ['audio', { voice: 'alloy', format: 'mp3' }],
    ['modalities', ['text', 'audio']],
    ['logit_bias', { '50256': -100 }],
    ['functions', [{ name: 'f' }]],
    ['function_call', 'auto'],
    ['web_search_options', {}],
  ])('refuses %s = %j with a 400 naming it', async (field, value) => {
    const seen = await clientSees({ model: MODEL, messages: [hello], [field]: value });
    expect(seen.status).toBe(400);
    expect(seen.error).toMatchObject({ code: 'unsupported_parameter', param: field });
    expect(seen.error.message).toContain(REFUSED_FIELDS[field]);
  });

  it('accepts refused fields whose values ask for nothing', () => {
    const harmless = { n: 1, logprobs: false, response_format: { type: 'text' }, modalities: ['text'], logit_bias: {}, audio: null };
    expect(toConverseRequest({ model: MODEL, messages: [hello], ...harmless })).toEqual(toConverseRequest({ model: MODEL, messages: [hello] }));
  });

  it('drops every ignored field without changing what Bedrock receives', () => {
    const ignored = Object.fromEntries([...IGNORED_FIELDS].map((field) => [field, field === 'seed' ? 42 : 'x']));
    expect(Object.keys(ignored)).toContain('user');
    expect(toConverseRequest({ model: MODEL, messages: [hello], ...ignored })).toEqual(toConverseRequest({ model: MODEL, messages: [hello] }));
  });

  it('refuses a field it does not know instead of dropping it unseen', async () => {
    const seen = await clientSees({ model: MODEL, messages: [hello], frobnicate: true });
    expect(seen.error).toMatchObject({ code: 'unsupported_parameter', param: 'frobnicate' });
  });

  it.each([
    ['a missing model', { messages: [hello] }, 'model'],
    ['messages that are not an array', { model: MODEL, messages: 'hi' }, 'messages'],
    ['no user or assistant message', { model: MODEL, messages: [{ role: 'system', content: 'x' }] }, 'messages'],
    ['an unknown role', { model: MODEL, messages: [hello, { role: 'function', content: 'x' }] }, 'messages[1].role'],
    ['missing user content', { model: MODEL, messages: [hello, { role: 'assistant', content: 'ok' }, { role: 'user' }] }, 'messages[2].content'],
    ['missing assistant content', { model: MODEL, messages: [hello, { role: 'assistant' }] }, 'messages[1].content'],
    ['a content part without text', { model: MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 3 }] }] }, 'messages[0].content[0].text'],
    ['an audio part', { model: MODEL, messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, 'messages[0].content[0].type'],
    ['an image in a system message', { model: MODEL, messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }, hello] }, 'messages[0].content[0].type'],
    ['a tool message without tool_call_id', { model: MODEL, messages: [hello, { role: 'tool', content: 'x' }] }, 'messages[1].tool_call_id'],
    ['a non-function tool', { model: MODEL, messages: [hello], tools: [{ type: 'web_search' }] }, 'tools[0]'],
    ['a fractional max_tokens', { model: MODEL, messages: [hello], max_tokens: 1.5 }, 'max_tokens'],
    ['a string temperature', { model: MODEL, messages: [hello], temperature: 'hot' }, 'temperature'],
    ['a stop list with a number', { model: MODEL, messages: [hello], stop: ['a', 1] }, 'stop'],
    ['a string stream', { model: MODEL, messages: [hello], stream: 'yes' }, 'stream'],
  ])('refuses %s with a 400 naming the field', async (_label, body, param) => {
    const seen = await clientSees(body);
    expect(seen.status).toBe(400);
    expect(seen.error.param).toBe(param);
    expect(seen.error.message.startsWith(`${param}:`)).toBe(true);
  });
});

describe('the chat completion', () => {
  const meta = { id: 'chatcmpl-1', model: MODEL, created: 1_700_000_000 };

  it('joins text blocks and maps usage', () => {
    const completion = toChatCompletion(
      {
        output: { message: { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'hm' } } }, { text: 'Hello' }, { text: ', world' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
        metrics: { latencyMs: 300 },
      },
      meta,
    );
    expect(completion).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello, world' }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
  });

  it('returns tool calls with their arguments as a JSON string', () => {
    const input = { city: 'Paris', days: [1, 2] };
    const converse = (content: unknown[]) => ({ output: { message: { role: 'assistant', content } }, stopReason: 'tool_use', usage: { inputTokens: 3, outputTokens: 4 } });
    const withText = toChatCompletion(converse([{ text: 'Checking.' }, { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input } }]), meta);
    const choice = withText.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message).toEqual({
      role: 'assistant',
      content: 'Checking.',
      tool_calls: [{ id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","days":[1,2]}' } }],
    });
    expect(withText.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    const only = toChatCompletion(converse([{ toolUse: { toolUseId: 'tooluse_2', name: 'now', input: {} } }]), meta);
    expect(only.choices[0]!.message.content).toBeNull();
    expect(only.choices[0]!.message.tool_calls![0]!.function.arguments).toBe('{}');
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
    ['malformed_model_output', 'stop'],
  ])('maps stopReason %s to finish_reason %s', (stopReason, expected) => {
    expect(finishReason(stopReason)).toBe(expected);
    const completion = toChatCompletion({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason, usage: { inputTokens: 1, outputTokens: 1 } }, meta);
    expect(completion.choices[0]!.finish_reason).toBe(expected);
  });

  it.each([
    ['not an object', 'oops'],
    ['no output', { stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 } }],
    ['content that is not a list', { output: { message: { role: 'assistant', content: 'hi' } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 } }],
    ['no usage', { output: { message: { role: 'assistant', content: [] } }, stopReason: 'end_turn' }],
  ])('answers 502 for a Converse body with %s', async (_label, converse) => {
    let caught: unknown;
    try {
      toChatCompletion(converse, meta);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KeygateError);
    expect(caught).toMatchObject({ kind: 'upstream_invalid', code: 'upstream_invalid_response' });
    expect(errorResponse(caught as KeygateError).status).toBe(502);
  });
});
