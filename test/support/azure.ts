// Azure virtual keys as the seed's examples create them, for the Azure tests.

import { createKeyFromBody } from './keygate';

export const AZURE_KEY = 'azure-fake-key-0000000000000000000001';

/** The seed's default-auth body, camelCase: two deployments, one default, one aliased. */
export function azureApiKeyBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Azure-Virtual-Default',
    provider: 'azure-openai',
    note: 'Azure Note',
    key: AZURE_KEY,
    resourceName: 'my-resource',
    deploymentConfig: [
      { apiVersion: '2024-08-01-preview', deploymentName: 'gpt4o-prod', is_default: true },
      { apiVersion: '2024-10-21', deploymentName: 'mini-east', alias: 'gpt-4o-mini', is_default: false },
    ],
    ...overrides,
  };
}

/** The seed's Entra body: a service principal in `tenant`. */
export function azureEntraBody(tenant: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Azure-Virtual-entra',
    provider: 'azure-openai',
    note: 'azure entra',
    resourceName: 'my-resource',
    deploymentConfig: [{ deploymentName: 'gpt4o-prod', is_default: true, apiVersion: '2024-08-01-preview' }],
    azureAuthMode: 'entra',
    azureEntraClientId: 'client-0001',
    azureEntraClientSecret: 'fake-entra-secret-0000000000000001',
    azureEntraTenantId: tenant,
    ...overrides,
  };
}

/** The gateway's own identity, as Worker secrets, for `managed` keys. */
export function managedIdentityEnv(tenant: string): Record<string, string> {
  return {
    AZURE_IDENTITY_TENANT_ID: tenant,
    AZURE_IDENTITY_CLIENT_ID: 'gateway-identity-client',
    AZURE_IDENTITY_CLIENT_SECRET: 'fake-entra-secret-gateway-identity',
  };
}

export function uniqueTenant(): string {
  return `tenant-${crypto.randomUUID()}`;
}

export async function createAzureKey(body: Record<string, unknown> = azureApiKeyBody(), envOverrides = {}): Promise<string> {
  return createKeyFromBody(body, envOverrides);
}
