// A stored virtual key that Keygate cannot read (a sealed secret that is not JSON, a provider
// config in a shape the code no longer knows) fails with a clear error naming the key, and never
// quotes the stored values: not in the answer and not in a log line.

import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { seal } from '../src/vault/crypto';
import { currentMasterKey } from '../src/vault/master-key';
import { openProviderSecret } from '../src/vault/virtual-key-secret';
import { azureApiKeyBody, createAzureKey } from './support/azure';
import { bedrockAccessKeyBody, uniqueModel } from './support/bedrock';
import { adminRequest, chat, createKeyFromBody, createVirtualKey, expectError } from './support/keygate';

interface StoredOwner {
  id: string;
  workspace_id: string;
  slug: string;
}

async function storedOwner(slug: string): Promise<StoredOwner> {
  return (await env.DB.prepare('SELECT id, workspace_id, slug FROM virtual_keys WHERE slug = ?1').bind(slug).first<StoredOwner>())!;
}

/**
 * Seals `plaintext` as the key's secret, bound to the key as Keygate binds it. The AAD format is
 * pinned here on purpose: changing it would orphan every stored secret.
 */
async function storeSealedPlaintext(slug: string, plaintext: string): Promise<void> {
  const owner = await storedOwner(slug);
  const masterKey = await currentMasterKey(env);
  const aad = JSON.stringify(['keygate/virtual-key/v1', owner.workspace_id, owner.id, owner.slug]);
  const envelope = await seal(masterKey, plaintext, aad);
  await env.DB.prepare('UPDATE virtual_keys SET secret_envelope = ?1 WHERE slug = ?2').bind(envelope, slug).run();
}

async function storeConfig(slug: string, config: unknown): Promise<void> {
  await env.DB.prepare('UPDATE virtual_keys SET provider_config = ?1 WHERE slug = ?2').bind(JSON.stringify(config), slug).run();
}

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  const capture = (...args: unknown[]) => lines.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, level).mockImplementation(capture);
});
afterEach(() => vi.restoreAllMocks());

describe('a sealed secret that is not JSON', () => {
  const plaintext = 'sk-fake-not-json-secret-0123456789abcdef';

  it('fails to open with a VaultError that does not quote the plaintext', async () => {
    const slug = await createVirtualKey();
    await storeSealedPlaintext(slug, plaintext);
    const owner = await storedOwner(slug);
    const envelope = (await env.DB.prepare('SELECT secret_envelope FROM virtual_keys WHERE slug = ?1').bind(slug).first<{ secret_envelope: string }>())!;
    const failure = await openProviderSecret(env, { workspaceId: owner.workspace_id, id: owner.id, slug }, envelope.secret_envelope).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('VaultError');
    for (const text of [(failure as Error).message, String((failure as Error).stack), JSON.stringify(failure)]) {
      expect(text).not.toContain('sk-fake-not-json');
    }
    expect((failure as Error).cause).toBeUndefined();
  });

  it('answers 500 virtual_key_unreadable through the gateway, quoting it nowhere', async () => {
    const slug = await createVirtualKey();
    await storeSealedPlaintext(slug, plaintext);
    const response = await chat({ model: `@${slug}/gpt-4o` });
    const text = await response.clone().text();
    await expectError(response, 500, 'virtual_key_unreadable');
    expect(lines.some((line) => line.includes('virtual_key_unreadable'))).toBe(true);
    for (const seen of [text, ...lines]) expect(seen).not.toContain('sk-fake-not-json');
  });
});

describe('a provider config in a shape Keygate does not know', () => {
  it('answers a clear 500 naming the key and the field, for an Azure key without deployments', async () => {
    const slug = await createAzureKey(azureApiKeyBody({ resourceName: 'resource-kept-quiet' }));
    await storeConfig(slug, { resource_name: 'resource-kept-quiet', auth_mode: 'api-key', deployment_config: [{ deploymentName: 'old-spelling' }] });
    const response = await chat({ model: `@${slug}/gpt4o-prod` });
    const text = await response.clone().text();
    const body = await expectError(response, 500, 'virtual_key_config_invalid');
    expect(body.message).toContain(slug);
    expect(body.message).toContain('deployments');
    for (const seen of [text, ...lines]) {
      expect(seen).not.toContain('resource-kept-quiet');
      expect(seen).not.toContain('old-spelling');
    }
  });

  it('names the nested field of a Bedrock key whose auth type is unknown, on the gateway and on read', async () => {
    const slug = await createKeyFromBody(bedrockAccessKeyBody());
    await storeConfig(slug, { region: 'us-east-1', auth_type: 'password-kept-quiet' });
    const body = await expectError(await chat({ model: `@${slug}/${uniqueModel()}` }), 500, 'virtual_key_config_invalid');
    expect(body.message).toContain(slug);
    expect(body.message).toContain('auth_type');
    const read = await expectError(await adminRequest('GET', `/v1/virtual-keys/${slug}`), 500, 'virtual_key_config_invalid');
    expect(read.message).toContain('auth_type');
    for (const seen of [body.message, read.message, ...lines]) expect(seen).not.toContain('password-kept-quiet');
  });

  it('names the index of a broken Azure deployment', async () => {
    const slug = await createAzureKey();
    await storeConfig(slug, {
      resource_name: 'my-resource',
      auth_mode: 'api-key',
      deployments: [
        { deployment_name: 'gpt4o-prod', api_version: '2024-10-21', alias: null, is_default: true },
        { deployment_name: 'mini', alias: null, is_default: false },
      ],
    });
    const body = await expectError(await chat({ model: `@${slug}/gpt4o-prod` }), 500, 'virtual_key_config_invalid');
    expect(body.message).toMatch(/deployments\.1\.api_version/);
  });

  it('still serves a key whose config has fields Keygate no longer uses', async () => {
    const slug = await createAzureKey();
    await storeConfig(slug, {
      resource_name: 'my-resource',
      auth_mode: 'api-key',
      retired_setting: true,
      deployments: [{ deployment_name: 'gpt4o-prod', api_version: '2024-10-21', alias: null, is_default: true }],
    });
    expect((await chat({ model: `@${slug}/gpt4o-prod` })).status).toBe(200);
  });
});
