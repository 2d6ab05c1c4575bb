// An Azure virtual key end to end: created with the Portkey SDK from the seed's body, then used
// by alias and by default from the OpenAI and Portkey SDKs, with api-key and with Entra ID.

import { describe, expect, it } from 'vitest';
import {
  adminClient,
  fakeUrl,
  hello,
  onlyUpstreamRequest,
  openaiClient,
  portkeyClient,
  readStream,
  useKeygateWithFakeUpstream,
} from './harness';

useKeygateWithFakeUpstream();

const deploymentConfig = [
  { apiVersion: '2024-08-01-preview', deploymentName: 'gpt4o-prod', is_default: true },
  { apiVersion: '2024-10-21', deploymentName: 'mini-east', alias: 'gpt-4o-mini', is_default: false },
];

async function createAzure(body: Record<string, unknown>): Promise<string> {
  const created = (await adminClient().virtualKeys.create(body)) as unknown as { success: boolean; data: { slug: string } };
  expect(created.success).toBe(true);
  return created.data.slug;
}

describe('an Azure api-key virtual key', () => {
  it('is created by the Portkey SDK from the seed’s body and reads back its deployments', async () => {
    const slug = await createAzure({
      name: 'Azure-Virtual-Default',
      provider: 'azure-openai',
      note: 'Azure Note',
      key: 'azure-fake-key-e2e-0000000000000001',
      resourceName: 'e2e-resource',
      deploymentConfig,
    });
    const key = (await adminClient().virtualKeys.retrieve({ slug })) as unknown as { masked_api_key: string; model_config: Record<string, unknown> };
    expect(key.masked_api_key).toBe('********0001');
    expect(key.model_config).toMatchObject({ resource_name: 'e2e-resource', azure_auth_mode: 'api-key' });
    expect(key.model_config.deployment_config).toHaveLength(2);
  });

  it('answers the OpenAI SDK by alias and by default', async () => {
    const slug = await createAzure({ name: 'azure e2e', provider: 'azure-openai', key: 'azure-fake-key-e2e-0000000000000002', resourceName: 'e2e-resource', deploymentConfig });

    const byAliasId = crypto.randomUUID();
    const byAlias = await openaiClient(byAliasId).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });
    expect(byAlias.choices[0]?.message.content).toBe('echo: hello');
    const aliasCall = await onlyUpstreamRequest(byAliasId);
    expect(aliasCall.path).toBe('/azure/e2e-resource/openai/deployments/mini-east/chat/completions');
    expect(aliasCall.search).toBe('?api-version=2024-10-21');
    expect(aliasCall.headers['api-key']).toBe('azure-fake-key-e2e-0000000000000002');

    const byDefaultId = crypto.randomUUID();
    await openaiClient(byDefaultId).chat.completions.create({ model: `@${slug}/not-a-deployment`, messages: hello });
    expect((await onlyUpstreamRequest(byDefaultId)).path).toBe('/azure/e2e-resource/openai/deployments/gpt4o-prod/chat/completions');
  });

  it('streams to the OpenAI SDK without a usage chunk the client did not ask for', async () => {
    const slug = await createAzure({ name: 'azure e2e plain stream', provider: 'azure-openai', key: 'azure-fake-key-e2e-0000000000000004', resourceName: 'e2e-resource', deploymentConfig });
    const stream = await openaiClient(crypto.randomUUID()).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]!.delta.content ?? ''; // choices[0] must always exist
    expect(text).toBe('Hello from fake');
  });

  it('answers the Portkey SDK with its virtualKey, streaming with usage when asked', async () => {
    const slug = await createAzure({ name: 'azure e2e stream', provider: 'azure-openai', key: 'azure-fake-key-e2e-0000000000000003', resourceName: 'e2e-resource', deploymentConfig });
    const testId = crypto.randomUUID();
    const stream = await portkeyClient({ virtualKey: slug }).chat.completions.create(
      { model: 'gpt-4o-mini', messages: hello, stream: true, stream_options: { include_usage: true } },
      undefined,
      { extraHeaders: { 'x-test-id': testId } },
    );
    const { text, usage } = await readStream(stream);
    expect(text).toBe('Hello from fake');
    expect(usage).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
    expect((await onlyUpstreamRequest(testId)).path).toBe('/azure/e2e-resource/openai/deployments/mini-east/chat/completions');
  });
});

describe('an Azure Entra virtual key', () => {
  it('is created from the seed’s entra body and reaches Azure with an Entra token', async () => {
    const tenant = `e2e-tenant-${crypto.randomUUID()}`;
    const slug = await createAzure({
      name: 'Azure-Virtual-entra',
      provider: 'azure-openai',
      note: 'azure entra',
      resourceName: 'e2e-resource',
      deploymentConfig: [{ deploymentName: 'gpt4o-prod', is_default: true, apiVersion: '2024-08-01-preview' }],
      azureAuthMode: 'entra',
      azureEntraClientId: 'e2e-client',
      azureEntraClientSecret: 'fake-entra-secret-e2e-000000000001',
      azureEntraTenantId: tenant,
    });
    for (let call = 0; call < 2; call++) {
      const testId = crypto.randomUUID();
      const answer = await openaiClient(testId).chat.completions.create({ model: `@${slug}/gpt4o-prod`, messages: hello });
      expect(answer.choices[0]?.message.content).toBe('echo: hello');
      expect((await onlyUpstreamRequest(testId)).headers.authorization).toMatch(new RegExp(`^Bearer fake-entra-token-${tenant}-`));
    }
    const tokenRequests = (await (await fetch(`${fakeUrl()}/__fake/token-requests?tenant=${tenant}`)).json()) as unknown[];
    expect(tokenRequests).toHaveLength(1);
  });
});
