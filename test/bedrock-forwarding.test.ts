// Chat through Bedrock virtual keys against a fake Bedrock and STS that recompute every SigV4
// signature: what is signed and sent, how answers and streams come back in OpenAI's shape, and
// what each Bedrock failure looks like to the client.

import { describe, expect, it } from 'vitest';
import {
  BASE_CREDENTIALS_ENV,
  bedrockAccessKeyBody,
  bedrockRequests,
  bedrockRoleBody,
  stsRequests,
  uniqueModel,
  uniqueRoleArn,
} from './support/bedrock';
import { ADMIN_API_KEY, callKeygate, chat, createKeyFromBody, expectError } from './support/keygate';

const weatherTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

async function bedrockChat(slug: string, body: Record<string, unknown>, envOverrides = {}) {
  return chat({ ...body, model: `@${slug}/${String(body.model)}` }, {}, envOverrides);
}

/** The data payloads of an SSE body, in order. */
function sseData(text: string): string[] {
  return text.split('\n\n').filter(Boolean).map((event) => event.replace(/^data: /, ''));
}

describe('signing', () => {
  it.each([
    ['a model id with a colon', 'anthropic.claude-3-haiku'],
    ['an inference profile id', 'us.anthropic.claude-3-5-sonnet'],
  ])('signs %s correctly, sending the colon as %%3A', async (_label, prefix) => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const model = uniqueModel(prefix);
    const response = await bedrockChat(slug, { model });
    expect(response.status).toBe(200);
    const [call] = await bedrockRequests(model);
    expect(call!.path).toBe(`/bedrock/us-east-1/model/${model.replace(':', '%3A')}/converse`);
    expect(call!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=FAKEACCESSKEY00001\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
  });

  it('signs the session token of temporary access keys', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody({ awsSessionToken: 'fake-session-token-static-000000001' }));
    const model = uniqueModel();
    expect((await bedrockChat(slug, { model })).status).toBe(200);
    const [call] = await bedrockRequests(model);
    expect(call!.headers['x-amz-security-token']).toBe('fake-session-token-static-000000001');
    expect(call!.headers.authorization).toContain('x-amz-security-token');
  });

  it('answers 403 with Bedrock’s message when the signature is wrong, without the canonical request or any credential', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody({ awsSecretAccessKey: 'not-the-right-secret', awsSessionToken: 'fake-session-token-leak-check-0001' }));
    const body = await expectError(await bedrockChat(slug, { model: uniqueModel() }), 403, 'InvalidSignatureException');
    expect(body.error.type).toBe('permission_error');
    expect(body.message).toContain('signature we calculated does not match');
    expect(body.message).not.toContain('not-the-right-secret');
    expect(body.message).not.toContain('fake-session-token-leak-check');
    expect(body.message).not.toContain('Canonical String');
  });

  it('sends a Bedrock API key as Bearer, unsigned', async () => {
    const slug = await createKeyFromBody({ name: 'api', provider: 'bedrock', awsRegion: 'us-east-1', awsAuthType: 'apiKey', key: 'fake-bedrock-api-key-0000000000001' });
    const model = uniqueModel();
    expect((await bedrockChat(slug, { model })).status).toBe(200);
    const [call] = await bedrockRequests(model);
    expect(call!.headers.authorization).toBe('Bearer fake-bedrock-api-key-0000000000001');
    expect(call!.headers).not.toHaveProperty('x-amz-date');
  });
});

describe('assumed roles', () => {
  it('assumes the role once through STS and signs with the temporary credentials', async () => {
    const roleArn = uniqueRoleArn();
    const slug = await createKeyFromBody(bedrockRoleBody(roleArn, { awsExternalId: 'expected-external-id' }), BASE_CREDENTIALS_ENV);
    const model = uniqueModel();
    const answers = await Promise.all(Array.from({ length: 4 }, () => bedrockChat(slug, { model }, BASE_CREDENTIALS_ENV)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    await bedrockChat(slug, { model }, BASE_CREDENTIALS_ENV);

    const assumed = await stsRequests(roleArn);
    expect(assumed).toEqual([{ action: 'AssumeRole', version: '2011-06-15', sessionName: `keygate-${slug}`, externalId: 'expected-external-id' }]);
    const calls = await bedrockRequests(model);
    expect(calls).toHaveLength(5);
    expect(calls[0]!.headers.authorization).toMatch(/Credential=FAKESTS\d+\/\d{8}\/us-west-2\/bedrock\//);
    expect(calls[0]!.headers['x-amz-security-token']).toMatch(/^fake-session-token-\d+$/);
  });

  it('answers 403 naming the role when STS refuses, without any secret', async () => {
    const roleArn = uniqueRoleArn('denied');
    const slug = await createKeyFromBody(bedrockRoleBody(roleArn), BASE_CREDENTIALS_ENV);
    const model = uniqueModel();
    const body = await expectError(await bedrockChat(slug, { model }, BASE_CREDENTIALS_ENV), 403, 'aws_assume_role_refused');
    expect(body.message).toContain(roleArn);
    expect(body.message).toContain('AccessDenied');
    expect(body.message).not.toContain('secret-for');
    expect(await bedrockRequests(model)).toEqual([]);
  });

  it('gives each virtual key on the same role its own STS session', async () => {
    const roleArn = uniqueRoleArn();
    const first = await createKeyFromBody(bedrockRoleBody(roleArn), BASE_CREDENTIALS_ENV);
    const second = await createKeyFromBody(bedrockRoleBody(roleArn), BASE_CREDENTIALS_ENV);
    await bedrockChat(first, { model: uniqueModel() }, BASE_CREDENTIALS_ENV);
    await bedrockChat(second, { model: uniqueModel() }, BASE_CREDENTIALS_ENV);
    expect((await stsRequests(roleArn)).map((call) => call.sessionName).sort()).toEqual([`keygate-${first}`, `keygate-${second}`].sort());
  });

  it('answers 502 aws_sts_unavailable when STS is down', async () => {
    const slug = await createKeyFromBody(bedrockRoleBody(uniqueRoleArn('sts-down')), BASE_CREDENTIALS_ENV);
    await expectError(await bedrockChat(slug, { model: uniqueModel() }, BASE_CREDENTIALS_ENV), 502, 'aws_sts_unavailable');
  });

  it('answers a clear error when the base credentials were removed after the key was made', async () => {
    const slug = await createKeyFromBody(bedrockRoleBody(uniqueRoleArn()), BASE_CREDENTIALS_ENV);
    const body = await expectError(await bedrockChat(slug, { model: uniqueModel() }), 500, 'aws_base_credentials_not_configured');
    expect(body.message).toMatch(/AWS_ACCESS_KEY_ID/);
  });
});

describe('answers in OpenAI’s shape', () => {
  it('translates a text answer with usage', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const model = uniqueModel();
    const response = await bedrockChat(slug, { model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello' }], max_tokens: 50 });
    const completion = (await response.json()) as Record<string, any>;
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'echo: hello' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    });
    const [call] = await bedrockRequests(model);
    expect(call!.body).toMatchObject({ system: [{ text: 'Be brief.' }], messages: [{ role: 'user', content: [{ text: 'hello' }] }], inferenceConfig: { maxTokens: 50 } });
  });

  it('translates a tool call, arguments as a JSON string', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const model = uniqueModel('tool-model');
    const response = await bedrockChat(slug, { model, tools: [weatherTool], tool_choice: 'auto' });
    const completion = (await response.json()) as Record<string, any>;
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { role: 'assistant', tool_calls: [{ id: 'tooluse_fake1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    });
    const [call] = await bedrockRequests(model);
    expect(call!.body.toolConfig).toMatchObject({ tools: [{ toolSpec: { name: 'get_weather' } }], toolChoice: { auto: {} } });
  });

  it('streams text as chat.completion.chunk events, with usage when asked', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const model = uniqueModel();
    const response = await bedrockChat(slug, { model, stream: true, stream_options: { include_usage: true } });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = sseData(await response.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as Record<string, any>);
    expect(chunks[0]!.choices[0].delta).toMatchObject({ role: 'assistant' });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')).toBe('Hello from fake');
    expect(chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } });
    expect((await bedrockRequests(model))[0]!.path).toMatch(/\/converse-stream$/);
  });

  it('streams a tool call: id and name first, then argument fragments', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const response = await bedrockChat(slug, { model: uniqueModel('tool-model'), stream: true, tools: [weatherTool] });
    const chunks = sseData(await response.text()).slice(0, -1).map((event) => JSON.parse(event) as Record<string, any>);
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta?.tool_calls ?? []);
    expect(toolDeltas[0]).toMatchObject({ index: 0, id: 'tooluse_fake1', type: 'function', function: { name: 'get_weather' } });
    expect(toolDeltas.map((delta: any) => delta.function?.arguments ?? '').join('')).toBe('{"city":"Paris"}');
    expect(chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('tool_calls');
  });

  it.each([
    ['an exception event', 'stream-exception'],
    ['a frame that fails its CRC', 'bad-crc'],
  ])('ends a stream with %s in an error event and a clean close', async (_label, label) => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const response = await bedrockChat(slug, { model: uniqueModel(label), stream: true });
    expect(response.status).toBe(200);
    const events = sseData(await response.text());
    const last = JSON.parse(events.at(-1)!) as { error?: { message: string } };
    expect(last.error?.message).toEqual(expect.any(String));
    expect(events).not.toContain('[DONE]');
  });
});

describe('Bedrock’s errors', () => {
  it.each([
    ['throttled', 429, 'rate_limit_error', 'ThrottlingException'],
    ['missing', 404, 'not_found_error', 'ResourceNotFoundException'],
    ['invalid', 400, 'invalid_request_error', 'ValidationException'],
    ['unavailable', 503, 'api_error', 'ServiceUnavailableException'],
  ])('map a %s model to %i with Bedrock’s message', async (label, status, type, code) => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const body = await expectError(await bedrockChat(slug, { model: uniqueModel(label) }), status, code);
    expect(body.error.type).toBe(type);
    expect(body.message).toMatch(/^Bedrock answered HTTP \d+ \(\w+\): .+/);
  });

  it('refuses a path Bedrock does not serve, before calling it', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const model = uniqueModel();
    const response = await callKeygate('/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug },
      body: JSON.stringify({ model, input: 'x' }),
    });
    await expectError(response, 400, 'unsupported_for_provider');
    expect(await bedrockRequests(model)).toEqual([]);
  });

  it.each([
    ['parallel_tool_calls: false', { parallel_tool_calls: false }, 'parallel_tool_calls'],
    ['a field named like an object property', { constructor: 'x' }, 'constructor'],
  ])('refuses %s before calling Bedrock', async (_label, extra, param) => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const model = uniqueModel();
    const body = await expectError(await bedrockChat(slug, { model, ...extra }), 400, 'unsupported_parameter');
    expect(body.error).toMatchObject({ param });
    expect(await bedrockRequests(model)).toEqual([]);
  });

  it('refuses an image given by URL with a 400 that explains why', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    const messages = [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }];
    const body = await expectError(await bedrockChat(slug, { model: uniqueModel(), messages }), 400);
    expect(body.message).toMatch(/data:/);
  });
});
