// The three ways an Azure virtual key authenticates, and what each stores:
// - `api-key`: the resource key, sealed; sent as the `api-key` header.
// - `entra`: a service principal (tenant, client id; the client secret sealed); an Entra token is
//   sent as `Authorization: Bearer`.
// - `managed`: the gateway's own Entra identity from Worker secrets; the key stores no secret. A
//   Worker runs outside Azure and has no instance metadata service, so this is the honest stand-in
//   for a managed identity.

import { azureIdentity, expandTemplate, upstreamTemplate } from '../../config';
import { invalidRequest, KeygateError } from '../../errors';
import { refuseOtherModesFields, requiredField, type ModeFields } from '../auth-modes';
import type { ProviderSecret } from '../../vault/virtual-key-secret';
import { maskSecret } from '../provider';
import { entraTokens } from './entra-token-cache';

export type AzureAuthMode = 'api-key' | 'entra' | 'managed';

/** The auth settings a create or update body may carry (snake_case, as normalised). */
export interface AuthFields {
  azure_auth_mode?: 'api-key' | 'apiKey' | 'entra' | 'managed' | undefined;
  key?: string | undefined;
  azure_entra_tenant_id?: string | undefined;
  azure_entra_client_id?: string | undefined;
  azure_entra_client_secret?: string | undefined;
  azure_managed_client_id?: string | undefined;
}

/** The non-secret auth settings kept in the key's config. */
export interface AuthConfig {
  auth_mode: AzureAuthMode;
  entra_tenant_id?: string;
  entra_client_id?: string;
  managed_client_id?: string;
}

export interface AuthSettings {
  config: AuthConfig;
  /** The new secret, or undefined when the stored one stays. */
  secret?: ProviderSecret;
  masked?: Record<string, string>;
}

const FIELDS_BY_MODE: ModeFields<AzureAuthMode, keyof AuthFields> = {
  'api-key': ['key'],
  entra: ['azure_entra_tenant_id', 'azure_entra_client_id', 'azure_entra_client_secret'],
  managed: ['azure_managed_client_id'],
};

function modeOf(fields: AuthFields, fallback: AzureAuthMode): AzureAuthMode {
  const mode = fields.azure_auth_mode;
  return mode === undefined ? fallback : mode === 'apiKey' ? 'api-key' : mode;
}

function managedConfig(fields: AuthFields, env: Env): AuthConfig {
  const identity = azureIdentity(env);
  if (!identity) {
    throw invalidRequest(
      'azure_identity_not_configured',
      'azure_auth_mode managed needs the gateway’s own Entra identity: set the Worker secrets AZURE_IDENTITY_TENANT_ID, AZURE_IDENTITY_CLIENT_ID and AZURE_IDENTITY_CLIENT_SECRET',
      'azure_auth_mode',
    );
  }
  const wanted = fields.azure_managed_client_id;
  if (wanted !== undefined && wanted !== identity.clientId) {
    throw invalidRequest(
      'azure_identity_mismatch',
      `azure_managed_client_id: must equal the gateway’s configured identity (AZURE_IDENTITY_CLIENT_ID), and ${wanted} does not`,
      'azure_managed_client_id',
    );
  }
  return { auth_mode: 'managed', managed_client_id: identity.clientId };
}

/**
 * The auth settings after a create (`current` null) or an update. A switch of mode needs every
 * field of the new mode; within a mode, absent fields keep their stored values.
 */
export function authSettings(fields: AuthFields, current: AuthConfig | null, env: Env): AuthSettings {
  const mode = modeOf(fields, current?.auth_mode ?? 'api-key');
  const setting = { setting: 'azure_auth_mode', value: mode };
  const required = (field: keyof AuthFields) => requiredField(fields, field, setting);
  refuseOtherModesFields(fields, FIELDS_BY_MODE, setting);
  const sameMode = current?.auth_mode === mode;

  if (mode === 'api-key') {
    if (sameMode && fields.key === undefined) return { config: { auth_mode: mode } };
    const key = required('key');
    return { config: { auth_mode: mode }, secret: { apiKey: key }, masked: { key: maskSecret(key) } };
  }
  if (mode === 'managed') {
    // A key already in managed mode stays updatable (name, status …) even if the operator has
    // since removed the identity; the check runs when a key enters the mode or names a client.
    if (sameMode && fields.azure_managed_client_id === undefined) return { config: { ...current } };
    return { config: managedConfig(fields, env), secret: sameMode ? undefined : {}, masked: sameMode ? undefined : {} };
  }
  const config: AuthConfig = {
    auth_mode: mode,
    entra_tenant_id: sameMode ? (fields.azure_entra_tenant_id ?? current?.entra_tenant_id) : required('azure_entra_tenant_id'),
    entra_client_id: sameMode ? (fields.azure_entra_client_id ?? current?.entra_client_id) : required('azure_entra_client_id'),
  };
  // A new client id almost never shares the old one's secret, so it must come with its own.
  const clientChanged = sameMode && fields.azure_entra_client_id !== undefined && fields.azure_entra_client_id !== current?.entra_client_id;
  if (sameMode && !clientChanged && fields.azure_entra_client_secret === undefined) return { config };
  const clientSecret = required('azure_entra_client_secret');
  return { config, secret: { clientSecret }, masked: { azure_entra_client_secret: maskSecret(clientSecret) } };
}

/** The header that authenticates one upstream call. May fetch (or reuse) an Entra token. */
export async function authorizationHeader(
  env: Env,
  config: AuthConfig,
  secret: ProviderSecret,
  slug: string,
): Promise<[name: string, value: string]> {
  if (config.auth_mode === 'api-key') return ['api-key', secret.apiKey ?? ''];
  const authorityHost = expandTemplate(upstreamTemplate(env, 'AZURE_AUTHORITY_HOST'));
  if (config.auth_mode === 'entra') {
    const client = { authorityHost, tenantId: config.entra_tenant_id ?? '', clientId: config.entra_client_id ?? '', clientSecret: secret.clientSecret ?? '' };
    return ['authorization', `Bearer ${await entraTokens.token(client, `virtual key ${slug}`)}`];
  }
  const identity = azureIdentity(env);
  if (!identity) {
    throw new KeygateError(
      'internal',
      'azure_identity_not_configured',
      `Virtual key ${slug} uses the gateway’s managed identity, but AZURE_IDENTITY_TENANT_ID, AZURE_IDENTITY_CLIENT_ID and AZURE_IDENTITY_CLIENT_SECRET are not all set.`,
    );
  }
  const token = await entraTokens.token({ authorityHost, ...identity }, 'the gateway’s managed identity');
  return ['authorization', `Bearer ${token}`];
}
