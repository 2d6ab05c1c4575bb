// A Vertex AI virtual key end to end: the portkey-ai SDK creates it from a service account key
// file, and the openai SDK chats through it, plain and streamed, against a fake Google that checks
// the signed JWT and a fake Vertex that checks the token. The key pair is made here, per run.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { adminClient, fakeUrl, hello, openaiClient, readStream, upstreamRequests, useKeygateWithFakeUpstream } from './harness';

useKeygateWithFakeUpstream();

async function newServiceAccount() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const kid = randomBytes(20).toString('hex');
  const clientEmail = `e2e-${randomBytes(4).toString('hex')}@e2e-project-1.iam.gserviceaccount.com`;
  await fetch(`${fakeUrl()}/__fake/google/accounts`, { method: 'POST', body: JSON.stringify({ kid, client_email: clientEmail, public_key: publicKey }) });
  return { type: 'service_account', project_id: 'e2e-project-1', private_key_id: kid, private_key: privateKey, client_email: clientEmail };
}

async function createVertexKey(): Promise<string> {
  const created = (await adminClient().virtualKeys.create({
    name: 'vertex-e2e',
    provider: 'vertex-ai',
    vertexRegion: 'us-central1',
    vertexServiceAccountJson: await newServiceAccount(),
  } as never)) as unknown as { data: { slug: string } };
  return created.data.slug;
}

describe('a Vertex AI virtual key through the SDKs', () => {
  it('is created by the Portkey SDK and retrieved without its private key', async () => {
    const slug = await createVertexKey();
    const key = (await adminClient().virtualKeys.retrieve({ slug })) as unknown as Record<string, unknown>;
    expect(key.model_config).toMatchObject({ vertex_project_id: 'e2e-project-1', vertex_region: 'us-central1' });
    expect(JSON.stringify(key)).not.toContain('PRIVATE KEY');
  });

  it('answers a plain chat through the openai SDK', async () => {
    const slug = await createVertexKey();
    const testId = crypto.randomUUID();
    const completion = await openaiClient(testId).chat.completions.create({ model: `@${slug}/gemini-2.5-flash`, messages: hello });
    expect(completion.choices[0]?.message.content).toBe('echo: hello');
    expect(completion.usage).toMatchObject({ total_tokens: 12 });
    const [call] = await upstreamRequests(testId);
    expect(call!.path).toBe('/vertex/us-central1/v1/projects/e2e-project-1/locations/us-central1/endpoints/openapi/chat/completions');
    expect(JSON.parse(call!.body).model).toBe('google/gemini-2.5-flash');
  });

  it('streams a chat through the openai SDK, with usage when asked', async () => {
    const slug = await createVertexKey();
    const stream = await openaiClient(crypto.randomUUID()).chat.completions.create({
      model: `@${slug}/gemini-2.5-flash`,
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, usage } = await readStream(stream);
    expect(text).toBe('Hello from fake');
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
  });
});
