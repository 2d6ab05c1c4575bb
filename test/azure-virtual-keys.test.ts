// Creating, reading and updating Azure virtual keys through the admin API: the seed's bodies in
// both spellings, every rule of a deployment list, and the three auth modes.

import { describe, expect, it } from 'vitest';
import { azureApiKeyBody, azureEntraBody, createAzureKey, managedIdentityEnv, uniqueTenant } from './support/azure';
import { expectError, keyObject, postKey, putKey, rowCount } from './support/keygate';

describe('creating Azure keys', () => {
  it('accepts the seed’s api-key body and shows resource, deployments and auth mode, secret masked', async () => {
    const slug = await createAzureKey();
    const key = await keyObject(slug);
    expect(key.ai_provider_name).toBe('azure-openai');
    expect(key.masked_api_key).toBe('********0001');
    expect(key.model_config).toEqual({
      resource_name: 'my-resource',
      azure_auth_mode: 'api-key',
      deployment_config: [
        { deployment_name: 'gpt4o-prod', api_version: '2024-08-01-preview', alias: null, is_default: true },
        { deployment_name: 'mini-east', api_version: '2024-10-21', alias: 'gpt-4o-mini', is_default: false },
      ],
    });
  });

  it('accepts the snake_case the Portkey SDK sends, with entries spelled either way', async () => {
    const slug = await createAzureKey({
      name: 'snake',
      provider: 'azure-openai',
      key: 'azure-fake-key-snake-000000000000001',
      resource_name: 'snake-resource',
      azure_auth_mode: 'apiKey',
      deployment_config: [
        { deployment_name: 'a', api_version: '2024-10-21', is_default: true },
        { deploymentName: 'b', apiVersion: '2024-10-21', isDefault: false, alias: 'bee' },
      ],
    });
    const key = await keyObject(slug);
    expect(key.model_config).toMatchObject({ resource_name: 'snake-resource', azure_auth_mode: 'api-key' });
    expect(key.model_config.deployment_config).toHaveLength(2);
  });

  it('accepts the seed’s entra body and masks the client secret', async () => {
    const tenant = uniqueTenant();
    const slug = await createAzureKey(azureEntraBody(tenant));
    const key = await keyObject(slug);
    expect(key.masked_api_key).toBe('********0001');
    expect(key.model_config).toMatchObject({ azure_auth_mode: 'entra', azure_entra_tenant_id: tenant, azure_entra_client_id: 'client-0001' });
    expect(JSON.stringify(key)).not.toContain('fake-entra-secret');
  });

  it('accepts the seed’s managed body when the gateway has an identity, and stores no secret', async () => {
    const identity = managedIdentityEnv(uniqueTenant());
    const body = { name: 'managed', provider: 'azure-openai', resourceName: 'my-resource', azureAuthMode: 'managed', azureManagedClientId: identity.AZURE_IDENTITY_CLIENT_ID, deploymentConfig: [{ deploymentName: 'gpt4o-prod', apiVersion: '2024-10-21', is_default: true }] };
    const slug = await createAzureKey(body, identity);
    const key = await keyObject(slug);
    expect(key.masked_api_key).toBeNull();
    expect(key.model_config).toMatchObject({ azure_auth_mode: 'managed', azure_managed_client_id: 'gateway-identity-client' });
  });

  const oneDefault = [{ deploymentName: 'a', apiVersion: '2024-10-21', is_default: true }];
  it.each([
    ['no deployment', { deploymentConfig: [] }, 'deployment_config', /at least one deployment/],
    ['no default', { deploymentConfig: [{ deploymentName: 'a', apiVersion: '2024-10-21', is_default: false }] }, 'deployment_config', /exactly one deployment must have is_default: true, and 0 have/],
    ['two defaults', { deploymentConfig: [{ deploymentName: 'a', apiVersion: '2024-10-21', is_default: true }, { deploymentName: 'b', apiVersion: '2024-10-21', is_default: true }] }, 'deployment_config', /and 2 have/],
    ['a repeated deployment name', { deploymentConfig: [...oneDefault, { deploymentName: 'a', apiVersion: '2024-10-21' }] }, 'deployment_config', /unique, and "a" names entries 0 and 1/],
    ['a repeated alias', { deploymentConfig: [{ ...oneDefault[0], alias: 'x' }, { deploymentName: 'b', apiVersion: '2024-10-21', alias: 'x' }] }, 'deployment_config', /"x" names entries 0 and 1/],
    ['an alias equal to another deployment’s name', { deploymentConfig: [...oneDefault, { deploymentName: 'b', apiVersion: '2024-10-21', alias: 'a' }] }, 'deployment_config', /"a" names entries 0 and 1/],
    ['a deployment without api version', { deploymentConfig: [{ deploymentName: 'a', is_default: true }] }, 'deployment_config.0.api_version', /required/],
    ['a deployment name with a slash', { deploymentConfig: [{ deploymentName: 'a/../b', apiVersion: '2024-10-21', is_default: true }] }, 'deployment_config.0.deployment_name', /letters, digits/],
    ['a deployment name of only dots', { deploymentConfig: [{ deploymentName: '..', apiVersion: '2024-10-21', is_default: true }] }, 'deployment_config.0.deployment_name', /not only dots/],
    ['no resource name', { resourceName: undefined }, 'resource_name', /required/],
    ['a resource name that is not a host label', { resourceName: 'evil.example.com/x' }, 'resource_name', /resource name/],
    ['no key in api-key mode', { key: undefined }, 'key', /key: required when azure_auth_mode is api-key/],
    ['an unknown auth mode', { azureAuthMode: 'password' }, 'azure_auth_mode', /azure_auth_mode/],
    ['entra fields in api-key mode', { azureEntraClientId: 'c' }, 'azure_entra_client_id', /applies only to azure_auth_mode entra, not api-key/],
  ])('refuses %s with 400 naming the rule, and writes nothing', async (_label, overrides, param, message) => {
    const before = await rowCount();
    const body = await expectError(await postKey(azureApiKeyBody(overrides)), 400);
    expect(body.error).toMatchObject({ param });
    expect(body.message).toMatch(message);
    expect(await rowCount()).toBe(before);
  });

  it.each([
    ['no client secret', { azureEntraClientSecret: undefined }, 'azure_entra_client_secret'],
    ['no tenant', { azureEntraTenantId: undefined }, 'azure_entra_tenant_id'],
    ['a resource key', { key: 'azure-fake-key-x' }, 'key'],
  ])('refuses an entra key with %s', async (_label, overrides, param) => {
    const body = await expectError(await postKey(azureEntraBody(uniqueTenant(), overrides)), 400);
    expect(body.error).toMatchObject({ param });
  });

  it('refuses a managed key when the gateway has no identity, saying what to configure', async () => {
    const before = await rowCount();
    const body = await expectError(await postKey(azureApiKeyBody({ key: undefined, azureAuthMode: 'managed' })), 400, 'azure_identity_not_configured');
    expect(body.message).toMatch(/AZURE_IDENTITY_TENANT_ID, AZURE_IDENTITY_CLIENT_ID and AZURE_IDENTITY_CLIENT_SECRET/);
    expect(await rowCount()).toBe(before);
  });

  it('refuses a managed key naming another client id than the gateway’s', async () => {
    const body = await expectError(
      await postKey(azureApiKeyBody({ key: undefined, azureAuthMode: 'managed', azureManagedClientId: 'someone-else' }), managedIdentityEnv(uniqueTenant())),
      400,
      'azure_identity_mismatch',
    );
    expect(body.error).toMatchObject({ param: 'azure_managed_client_id' });
  });
});

describe('updating Azure keys', () => {
  it('replaces the deployments, keeping slug, auth and secret', async () => {
    const slug = await createAzureKey();
    const response = await putKey(slug, { deploymentConfig: [{ deploymentName: 'new-one', apiVersion: '2025-01-01-preview', alias: 'fresh', is_default: true }] });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { slug: string } }).data.slug).toBe(slug);
    const key = await keyObject(slug);
    expect(key.model_config.deployment_config).toEqual([{ deployment_name: 'new-one', api_version: '2025-01-01-preview', alias: 'fresh', is_default: true }]);
    expect(key.masked_api_key).toBe('********0001');
  });

  it('refuses a deployment list that breaks a rule, changing nothing', async () => {
    const slug = await createAzureKey();
    const before = await keyObject(slug);
    await expectError(await putKey(slug, { deploymentConfig: [{ deploymentName: 'x', apiVersion: '2024-10-21' }] }), 400, 'invalid_deployment_config');
    expect(await keyObject(slug)).toEqual(before);
  });

  it('switches from api-key to entra only with every entra field', async () => {
    const slug = await createAzureKey();
    const tenant = uniqueTenant();
    await expectError(await putKey(slug, { azureAuthMode: 'entra', azureEntraTenantId: tenant, azureEntraClientId: 'c' }), 400, 'missing_field');
    const response = await putKey(slug, { azureAuthMode: 'entra', azureEntraTenantId: tenant, azureEntraClientId: 'c', azureEntraClientSecret: 'fake-entra-secret-switched-00000009' });
    expect(response.status).toBe(200);
    const key = await keyObject(slug);
    expect(key.model_config).toMatchObject({ azure_auth_mode: 'entra', azure_entra_tenant_id: tenant });
    expect(key.masked_api_key).toBe('********0009');
  });

  it('rotates the entra client secret alone', async () => {
    const slug = await createAzureKey(azureEntraBody(uniqueTenant()));
    expect((await putKey(slug, { azure_entra_client_secret: 'fake-entra-secret-rotated-0000000007' })).status).toBe(200);
    expect((await keyObject(slug)).masked_api_key).toBe('********0007');
  });

  it('switches to managed and back to api-key', async () => {
    const identity = managedIdentityEnv(uniqueTenant());
    const slug = await createAzureKey();
    expect((await putKey(slug, { azureAuthMode: 'managed' }, identity)).status).toBe(200);
    expect(await keyObject(slug)).toMatchObject({ masked_api_key: null, model_config: { azure_auth_mode: 'managed' } });
    await expectError(await putKey(slug, { azureAuthMode: 'api-key' }), 400, 'missing_field');
    expect((await putKey(slug, { azureAuthMode: 'api-key', key: 'azure-fake-key-back-00000000000000005' })).status).toBe(200);
    expect(await keyObject(slug)).toMatchObject({ masked_api_key: '********0005', model_config: { azure_auth_mode: 'api-key' } });
  });

  it('keeps a managed key updatable after the gateway’s identity is removed', async () => {
    const slug = await createAzureKey(azureApiKeyBody({ key: undefined, azureAuthMode: 'managed' }), managedIdentityEnv(uniqueTenant()));
    expect((await putKey(slug, { name: 'renamed', status: 'disabled' })).status).toBe(200);
    expect(await keyObject(slug)).toMatchObject({ name: 'renamed', status: 'disabled', model_config: { azure_auth_mode: 'managed' } });
  });

  it('needs a new client secret with a new entra client id', async () => {
    const slug = await createAzureKey(azureEntraBody(uniqueTenant()));
    const body = await expectError(await putKey(slug, { azureEntraClientId: 'client-0002' }), 400, 'missing_field');
    expect(body.error).toMatchObject({ param: 'azure_entra_client_secret' });
    expect((await putKey(slug, { azureEntraClientId: 'client-0002', azureEntraClientSecret: 'fake-entra-secret-second-0000000002' })).status).toBe(200);
  });

  it('refuses Azure fields on an OpenAI key', async () => {
    const response = await postKey({ name: 'o', provider: 'openai', key: 'sk-fake-openai-000000000000000001' });
    const { data } = (await response.json()) as { data: { slug: string } };
    await expectError(await putKey(data.slug, { resourceName: 'x' }), 400, 'field_not_applicable');
  });
});
