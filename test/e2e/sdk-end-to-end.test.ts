// End to end, the way a user meets Keygate: the real `openai` and `portkey-ai` SDKs in Node talk
// over HTTP to the Worker as `wrangler deploy` builds it (running in workerd via Miniflare), and
// the Worker talks to a fake OpenAI that records what it received. Nothing here reaches into the
// Worker's storage: every assertion is on what an SDK returns or what the upstream saw.

import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import {
  adminClient,
  createKey,
  expectCleanUpstreamHeaders,
  failure,
  hello,
  keygateUrl,
  onlyUpstreamRequest,
  openaiClient,
  portkeyClient,
  providerKey,
  upstreamRequests,
  useKeygateWithFakeUpstream,
  type VirtualKey,
} from './harness';

useKeygateWithFakeUpstream();

describe('virtual-key admin through the Portkey SDK', () => {
  it('creates, lists and retrieves a key without ever showing the secret', async () => {
    const secret = providerKey('admin');
    const created = (await adminClient().virtualKeys.create({ name: 'OpenAI Prod', provider: 'openai', key: secret, note: 'for e2e' })) as unknown as {
      success: boolean;
      data: { id: string; slug: string };
    };
    expect(created.success).toBe(true);
    const { slug, id } = created.data;
    expect(slug).toMatch(/^openai-prod-[a-z2-7]{16}$/);
    expect(id).toEqual(expect.any(String));

    const list = await adminClient().virtualKeys.list();
    expect(list.object).toBe('list');
    const listed = (list.data ?? []).find((key) => key.slug === slug);
    expect(listed).toMatchObject({ slug, name: 'OpenAI Prod', ai_provider_name: 'openai' });
    expect(list.total).toBeGreaterThanOrEqual(1);

    const key = (await adminClient().virtualKeys.retrieve({ slug })) as unknown as VirtualKey;
    expect(key).toMatchObject({
      slug,
      name: 'OpenAI Prod',
      note: 'for e2e',
      ai_provider_name: 'openai',
      masked_api_key: `********${secret.slice(-4)}`,
      status: 'active',
      model_config: {},
    });
    expect(Date.parse(key.created_at)).not.toBeNaN();
    expect(Date.parse(key.updated_at)).toBeGreaterThanOrEqual(Date.parse(key.created_at));

    expect(JSON.stringify(list)).not.toContain(secret);
    expect(JSON.stringify(key)).not.toContain(secret);
  });
});

describe('the OpenAPI document', () => {
  it('is served from the static assets without a key, as in production', async () => {
    const response = await fetch(`${keygateUrl()}/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ openapi: '3.1.0' });
  });
});

describe('chat through the OpenAI SDK', () => {
  it('routes the Model Catalog form @slug/model with the stored key and the bare model', async () => {
    const secret = providerKey('catalog');
    const slug = await createKey(secret);
    const testId = crypto.randomUUID();

    const completion = await openaiClient(testId).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });

    expect(completion.choices[0]?.message.content).toBe('echo: hello');
    const upstream = await onlyUpstreamRequest(testId);
    expect(upstream.method).toBe('POST');
    expect(upstream.path).toBe('/v1/chat/completions');
    expect(upstream.json.model).toBe('gpt-4o-mini');
    expect(upstream.json.messages).toEqual(hello);
    expectCleanUpstreamHeaders(upstream, secret);
  });

  it('streams a chat answer chunk by chunk', async () => {
    const secret = providerKey('stream');
    const slug = await createKey(secret);
    const testId = crypto.randomUUID();

    const stream = await openaiClient(testId).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello, stream: true });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
    }

    expect(text).toBe('Hello from fake');
    expect(chunks).toBe(4);
    const upstream = await onlyUpstreamRequest(testId);
    expect(upstream.json).toMatchObject({ model: 'gpt-4o-mini', stream: true });
    expectCleanUpstreamHeaders(upstream, secret);
  });

  it('routes a plain model with the x-portkey-virtual-key header', async () => {
    const secret = providerKey('header');
    const slug = await createKey(secret);
    const testId = crypto.randomUUID();

    const client = openaiClient(testId, { headers: { 'x-portkey-virtual-key': slug } });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'by header' }] });

    expect(completion.choices[0]?.message.content).toBe('echo: by header');
    const upstream = await onlyUpstreamRequest(testId);
    expect(upstream.json.model).toBe('gpt-4o-mini');
    expectCleanUpstreamHeaders(upstream, secret);
  });
});

describe('chat through the Portkey SDK', () => {
  it('uses the virtualKey given to the client', async () => {
    const secret = providerKey('portkey');
    const slug = await createKey(secret);
    const testId = crypto.randomUUID();

    const completion = await portkeyClient({ virtualKey: slug }).chat.completions.create(
      { model: 'gpt-4o-mini', messages: hello },
      undefined,
      { extraHeaders: { 'x-test-id': testId } },
    );

    expect(completion.choices[0]?.message?.content).toBe('echo: hello');
    const upstream = await onlyUpstreamRequest(testId);
    expect(upstream.json.model).toBe('gpt-4o-mini');
    expectCleanUpstreamHeaders(upstream, secret);
  });

  it('lets one call override the client’s virtualKey', async () => {
    const clientSecret = providerKey('client-default');
    const overrideSecret = providerKey('per-call');
    const clientSlug = await createKey(clientSecret);
    const overrideSlug = await createKey(overrideSecret);
    const testId = crypto.randomUUID();

    // portkey-ai v3: the second argument of create() sets Portkey headers for the call. (The SDK
    // keeps them on the client afterwards, so this client is not reused.)
    const completion = await portkeyClient({ virtualKey: clientSlug }).chat.completions.create(
      { model: 'gpt-4o-mini', messages: hello },
      { virtualKey: overrideSlug },
      { extraHeaders: { 'x-test-id': testId } },
    );

    expect(completion.choices[0]?.message?.content).toBe('echo: hello');
    expectCleanUpstreamHeaders(await onlyUpstreamRequest(testId), overrideSecret);
  });
});

describe('key lifecycle as seen by chat', () => {
  it('rotation: after update, the next chat uses the new provider key under the same slug', async () => {
    const oldSecret = providerKey('old');
    const newSecret = providerKey('new');
    const slug = await createKey(oldSecret, 'rotating', 'before');
    const before = crypto.randomUUID();
    // Chat once first, so a cached copy of the old record exists and the update has to evict it.
    await openaiClient(before).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });
    expectCleanUpstreamHeaders(await onlyUpstreamRequest(before), oldSecret);

    const updated = (await adminClient().virtualKeys.update({ slug, key: newSecret, note: 'rotated' })) as unknown as {
      data: { slug: string };
    };
    expect(updated.data.slug).toBe(slug);
    const key = (await adminClient().virtualKeys.retrieve({ slug })) as unknown as VirtualKey;
    expect(key).toMatchObject({ note: 'rotated', masked_api_key: `********${newSecret.slice(-4)}`, status: 'active' });
    expect(Date.parse(key.updated_at)).toBeGreaterThanOrEqual(Date.parse(key.created_at));

    const after = crypto.randomUUID();
    const completion = await openaiClient(after).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });
    expect(completion.choices[0]?.message.content).toBe('echo: hello');
    expectCleanUpstreamHeaders(await onlyUpstreamRequest(after), newSecret);
  });

  it('delete: the slug stops working for chat and for retrieve, with 404s that name it', async () => {
    const slug = await createKey(providerKey('doomed'), 'doomed');
    const warm = crypto.randomUUID();
    await openaiClient(warm).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });
    expect(await upstreamRequests(warm)).toHaveLength(1);

    await adminClient().virtualKeys.delete({ slug });

    const testId = crypto.randomUUID();
    const chatError = await failure(() =>
      openaiClient(testId).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello }),
    );
    expect(chatError).toBeInstanceOf(OpenAI.NotFoundError);
    expect(chatError.status).toBe(404);
    expect(chatError.message).toContain(slug);
    expect(await upstreamRequests(testId)).toEqual([]);

    const retrieveError = await failure(() => adminClient().virtualKeys.retrieve({ slug }));
    expect(retrieveError.status).toBe(404);
    expect(retrieveError.message).toContain(slug);

    const list = await adminClient().virtualKeys.list();
    expect((list.data ?? []).map((key) => key.slug)).not.toContain(slug);
  });
});

describe('errors as the SDKs report them', () => {
  it('a wrong admin key is a 401 in both SDKs, carrying the server’s message, and nothing goes upstream', async () => {
    const slug = await createKey(providerKey('auth'));
    const testId = crypto.randomUUID();

    const openaiError = await failure(() =>
      openaiClient(testId, { apiKey: 'kg-admin-wrong' }).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello }),
    );
    expect(openaiError).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(openaiError.status).toBe(401);
    expect(openaiError.message).toContain('The API key is not valid.');
    expect(await upstreamRequests(testId)).toEqual([]);

    const portkeyError = await failure(() => portkeyClient({ apiKey: 'kg-admin-wrong' }).virtualKeys.list());
    expect(portkeyError.status).toBe(401);
    expect(portkeyError.message).toBe('The API key is not valid.');

    const portkeyChatError = await failure(() =>
      portkeyClient({ apiKey: 'kg-admin-wrong', virtualKey: slug }).chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
    );
    expect(portkeyChatError.status).toBe(401);
  });

  it('an upstream 429 reaches the OpenAI SDK as a RateLimitError with the provider’s message', async () => {
    const slug = await createKey(providerKey('limited'));
    const testId = crypto.randomUUID();

    const error = await failure(() =>
      openaiClient(testId).chat.completions.create({ model: `@${slug}/fail-429`, messages: hello }),
    );

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.status).toBe(429);
    expect(error.message).toContain('Rate limit reached for requests');
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    const upstream = await onlyUpstreamRequest(testId);
    expect(upstream.json.model).toBe('fail-429');

    // The Portkey SDK reads the top-level `message`, which Keygate copies up from `error.message`.
    const portkeyError = await failure(() =>
      portkeyClient({ virtualKey: slug }).chat.completions.create({ model: 'fail-429', messages: hello }),
    );
    expect(portkeyError.status).toBe(429);
    expect(portkeyError.message).toBe('Rate limit reached for requests');
  });
});
