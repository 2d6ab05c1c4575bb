// A Bedrock virtual key end to end through the official openai SDK: created with the Portkey SDK
// from the seed's body, then plain, streamed and tool-calling chat against a fake Bedrock that
// checks every SigV4 signature.

import { describe, expect, it } from 'vitest';
import { adminClient, fakeUrl, hello, openaiClient, readStream, useKeygateWithFakeUpstream } from './harness';

useKeygateWithFakeUpstream();

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

function uniqueModel(label = 'anthropic.claude-3-haiku'): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}-v1:0`;
}

async function bedrockCalls(model: string): Promise<Array<{ path: string; headers: Record<string, string> }>> {
  return (await (await fetch(`${fakeUrl()}/__fake/bedrock-requests?model=${encodeURIComponent(model)}`)).json()) as Array<{ path: string; headers: Record<string, string> }>;
}

async function createBedrockKey(): Promise<string> {
  const created = (await adminClient().virtualKeys.create({
    name: 'bedrock-e2e',
    provider: 'bedrock',
    awsRegion: 'us-east-1',
    awsAuthType: 'accessKey',
    awsAccessKeyId: 'FAKEACCESSKEYE2E01',
    awsSecretAccessKey: 'secret-for-FAKEACCESSKEYE2E01',
  })) as unknown as { data: { slug: string } };
  return created.data.slug;
}

describe('a Bedrock virtual key through the openai SDK', () => {
  it('answers a plain chat, signed for Bedrock', async () => {
    const slug = await createBedrockKey();
    const model = uniqueModel();
    const completion = await openaiClient(crypto.randomUUID()).chat.completions.create({ model: `@${slug}/${model}`, messages: hello });
    expect(completion.choices[0]?.message.content).toBe('echo: hello');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
    const [call] = await bedrockCalls(model);
    expect(call!.path).toContain('%3A0/converse');
    expect(call!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=FAKEACCESSKEYE2E01\//);
  });

  it('streams a chat answer with usage', async () => {
    const slug = await createBedrockKey();
    const stream = await openaiClient(crypto.randomUUID()).chat.completions.create({
      model: `@${slug}/${uniqueModel()}`,
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await readStream(stream);
    expect(text).toBe('Hello from fake');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
  });

  it('returns a tool call, then takes the tool result on the next turn', async () => {
    const slug = await createBedrockKey();
    const client = openaiClient(crypto.randomUUID());
    const first = await client.chat.completions.create({
      model: `@${slug}/${uniqueModel('tool-model')}`,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ id: 'tooluse_fake1', type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse((call as { function: { arguments: string } }).function.arguments)).toEqual({ city: 'Paris' });

    const second = await client.chat.completions.create({
      model: `@${slug}/${uniqueModel()}`,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: 'tooluse_fake1', content: '18°C and sunny' },
        { role: 'user', content: 'thanks' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('echo: thanks');
  });

  it('streams a tool call the SDK can assemble', async () => {
    const slug = await createBedrockKey();
    const stream = await openaiClient(crypto.randomUUID()).chat.completions.create({
      model: `@${slug}/${uniqueModel('tool-model')}`,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
      stream: true,
    });
    let name = '';
    let argumentsText = '';
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta?.tool_calls ?? []) {
        name += delta.function?.name ?? '';
        argumentsText += delta.function?.arguments ?? '';
      }
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(argumentsText)).toEqual({ city: 'Paris' });
  });

  it('surfaces Bedrock throttling as the SDK’s RateLimitError', async () => {
    const slug = await createBedrockKey();
    const error = await openaiClient(crypto.randomUUID())
      .chat.completions.create({ model: `@${slug}/${uniqueModel('throttled')}`, messages: hello })
      .catch((caught: unknown) => caught as { status?: number; message?: string });
    expect(error).toMatchObject({ status: 429 });
    expect(String((error as { message?: string }).message)).toContain('ThrottlingException');
  });
});
