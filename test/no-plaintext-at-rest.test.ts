// After a realistic run of operations, no D1 row and no KV value holds a provider secret,
// in clear or in an obvious encoding. Only masks (the last 4 characters) may appear.

import { expect, it } from 'vitest';
import { azureApiKeyBody, azureEntraBody, createAzureKey, uniqueTenant } from './support/azure';
import { BASE_CREDENTIALS_ENV, bedrockAccessKeyBody, bedrockRoleBody, uniqueModel, uniqueRoleArn } from './support/bedrock';
import { chatAs, createApiKey, createVirtualKeyIn, createWorkspace, requestAs } from './support/access';
import { ADMIN_API_KEY, adminRequest, chat, createKeyFromBody, createVirtualKey } from './support/keygate';
import { captureLogs, everyStoredText, leakedForms } from './support/secret-scan';

const SECRETS = [
  'sk-fake-scan-alpha-1111111111111111',
  'sk-fake-scan-bravo-2222222222222222',
  'sk-fake-scan-charlie-33333333333333',
  'sk-fake-scan-rotated-4444444444444',
];

it('finds no plaintext secret in any D1 row or KV value', async () => {
  const [alpha, bravo, charlie] = [
    await createVirtualKey({ name: 'alpha', key: SECRETS[0] }),
    await createVirtualKey({ name: 'bravo', key: SECRETS[1] }),
    await createVirtualKey({ name: 'charlie', key: SECRETS[2] }),
  ];
  for (const slug of [alpha, bravo, charlie]) expect((await chat({ model: `@${slug}/gpt-4o` })).status).toBe(200);
  await adminRequest('PUT', `/v1/virtual-keys/${bravo}`, { key: SECRETS[3], note: 'rotated' });
  expect((await chat({ model: `@${bravo}/gpt-4o` })).status).toBe(200);
  await adminRequest('DELETE', `/v1/virtual-keys/${charlie}`);

  const stored = await everyStoredText();
  // The scan really saw the stored records: both remaining keys are there, cached and in D1.
  expect(stored.filter((text) => text.includes(alpha)).length).toBeGreaterThanOrEqual(2);
  expect(stored.join('\n')).toContain('********1111');
  for (const secret of SECRETS) {
    for (const form of leakedForms(secret)) {
      expect(stored.filter((text) => text.includes(form))).toEqual([]);
    }
  }
});

it('writes no secret to any log line, on success or failure', async () => {
  const { lines, restore } = captureLogs();
  try {
    const secret = 'sk-fake-logscan-5555555555555555';
    const slug = await createVirtualKey({ name: 'logged', key: secret });
    await chat({ model: `@${slug}/gpt-4o` });
    await chat({ model: `@${slug}/reset` });
    await chat({ model: `@${slug}/gpt-4o` }, {}, { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });
    // An internal failure (the vault key changed under a stored secret) is logged: without the secret.
    const failed = await chat({ model: `@${slug}/gpt-4o` }, {}, { VAULT_KEY: btoa(String.fromCharCode(...new Uint8Array(32).fill(9))) });
    expect(failed.status).toBe(500);
    expect(lines.some((line) => line.includes('virtual_key_unreadable'))).toBe(true);
    for (const form of [...leakedForms(secret), 'kg-test-admin-key']) {
      expect(lines.filter((line) => line.includes(form))).toEqual([]);
    }
  } finally {
    restore();
  }
});

it('keeps Azure resource keys, Entra client secrets and Entra tokens out of storage and logs', async () => {
  const { lines, restore } = captureLogs();
  const resourceKey = 'azure-fake-key-scan-77777777777777777';
  const clientSecret = 'fake-entra-secret-scan-888888888888888';
  try {
    const apiKeySlug = await createAzureKey(azureApiKeyBody({ name: 'azure scan', key: resourceKey }));
    const entraSlug = await createAzureKey(azureEntraBody(uniqueTenant(), { name: 'entra scan', azureEntraClientSecret: clientSecret }));
    const refusedSlug = await createAzureKey(azureEntraBody(uniqueTenant(), { name: 'entra refused', azureEntraClientSecret: 'refused-secret-scan-99999999999999' }));
    for (const slug of [apiKeySlug, entraSlug, entraSlug, refusedSlug]) await chat({ model: `@${slug}/gpt4o-prod` });
    await adminRequest('PUT', `/v1/virtual-keys/${entraSlug}`, { azure_entra_client_secret: `${clientSecret}-rotated` });
    expect((await chat({ model: `@${entraSlug}/gpt4o-prod` })).status).toBe(200);

    const stored = (await everyStoredText()).join('\n');
    expect(stored).toContain(entraSlug);
    for (const form of [...leakedForms(resourceKey), ...leakedForms(clientSecret), 'fake-entra-token-', 'refused-secret-scan']) {
      expect(stored).not.toContain(form);
      expect(lines.filter((line) => line.includes(form))).toEqual([]);
    }
  } finally {
    restore();
  }
});

it('keeps AWS access keys, session tokens, Bedrock API keys and STS credentials out of storage and logs', async () => {
  const { lines, restore } = captureLogs();
  const accessKeyId = 'FAKEACCESSKEYSCAN1';
  const secretAccessKey = `secret-for-${accessKeyId}`;
  const sessionToken = 'fake-session-token-scan-1234567890';
  const apiKey = 'fake-bedrock-api-key-scan-123456789';
  try {
    const accessSlug = await createKeyFromBody(bedrockAccessKeyBody({ name: 'aws scan', awsAccessKeyId: accessKeyId, awsSecretAccessKey: secretAccessKey, awsSessionToken: sessionToken }));
    const apiSlug = await createKeyFromBody({ name: 'aws api scan', provider: 'bedrock', awsRegion: 'us-east-1', awsAuthType: 'apiKey', key: apiKey });
    const roleSlug = await createKeyFromBody(bedrockRoleBody(uniqueRoleArn()), BASE_CREDENTIALS_ENV);
    for (const slug of [accessSlug, apiSlug, roleSlug]) {
      expect((await chat({ model: `@${slug}/${uniqueModel()}` }, {}, BASE_CREDENTIALS_ENV)).status).toBe(200);
    }
    await chat({ model: `@${accessSlug}/${uniqueModel('throttled')}` });

    const stored = (await everyStoredText()).join('\n');
    expect(stored).toContain(roleSlug);
    const forms = [...leakedForms(accessKeyId), ...leakedForms(secretAccessKey), ...leakedForms(sessionToken), ...leakedForms(apiKey)];
    for (const form of [...forms, 'secret-for-FAKESTS', 'secret-for-FAKEBASE', 'fake-session-token-']) {
      expect(stored).not.toContain(form);
      expect(lines.filter((line) => line.includes(form))).toEqual([]);
    }
  } finally {
    restore();
  }
});

it('keeps API keys out of storage, logs and every answer but the one that creates them', async () => {
  const { lines, restore } = captureLogs();
  const answers: string[] = [];
  const keep = async (response: Response) => {
    answers.push(await response.clone().text());
    return response;
  };
  try {
    const workspace = await createWorkspace('Scan');
    const slug = await createVirtualKeyIn(workspace);
    const service = await createApiKey('workspace/service', { workspace_id: workspace, scopes: ['completions.write', 'virtual_keys.list'] });
    const user = await createApiKey('workspace/user', { workspace_id: workspace, user_id: 'scan-user', scopes: ['completions.write'] });
    const organisation = await createApiKey('organisation/service', { scopes: ['completions.write'] });
    for (const { key } of [service, user, organisation]) expect((await keep(await chatAs(key, slug))).status).toBe(200);
    // Failures log too: a wrong key, a missing scope, and a deleted key.
    await keep(await chatAs(`${service.key}x`, slug));
    await keep(await requestAs(user.key, 'GET', '/v1/virtual-keys'));
    const rotated = (await (await requestAs(ADMIN_API_KEY, 'POST', `/v1/api-keys/${service.id}/rotate`)).json()) as { key: string };
    expect((await keep(await chatAs(rotated.key, slug))).status).toBe(200);
    for (const { id } of [service, user, organisation]) await keep(await requestAs(ADMIN_API_KEY, 'GET', `/v1/api-keys/${id}`));
    await keep(await requestAs(ADMIN_API_KEY, 'GET', '/v1/api-keys'));
    await keep(await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/api-keys/${user.id}`));
    await keep(await chatAs(user.key, slug));

    const stored = await everyStoredText();
    // The scan saw the keys' rows and their cached copies.
    expect(stored.filter((text) => text.includes(service.id)).length).toBeGreaterThanOrEqual(2);
    for (const key of [service.key, user.key, organisation.key, rotated.key]) {
      // Each form, and the key without its prefix and without its last 4 characters.
      for (const form of [...leakedForms(key), key.slice('kg-ak-'.length, -4)]) {
        expect(stored.filter((text) => text.includes(form))).toEqual([]);
        expect(lines.filter((line) => line.includes(form))).toEqual([]);
        expect(answers.filter((answer) => answer.includes(form))).toEqual([]);
      }
    }
  } finally {
    restore();
  }
});
