// Typed view of the Worker's vars and secrets, with the defaults that point at the real services.
//
// Upstream hosts are operator settings so a corporate egress proxy or a test fake can stand in.
// Each is a URL template: `{name}` placeholders are filled per virtual key (for example
// `https://{resource}.openai.azure.com` for Azure), so later providers add a line here, not a module.

export const UPSTREAM_DEFAULTS = {
  OPENAI_BASE_URL: 'https://api.openai.com/v1',
  AZURE_OPENAI_ENDPOINT: 'https://{resource}.openai.azure.com',
  AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com',
  BEDROCK_RUNTIME_ENDPOINT: 'https://bedrock-runtime.{region}.amazonaws.com',
  AWS_STS_ENDPOINT: 'https://sts.{region}.amazonaws.com',
  GOOGLE_TOKEN_URL: 'https://oauth2.googleapis.com/token',
  VERTEX_ENDPOINT: 'https://{region}-aiplatform.googleapis.com',
  VERTEX_GLOBAL_ENDPOINT: 'https://aiplatform.googleapis.com',
} as const;

export type UpstreamSetting = keyof typeof UPSTREAM_DEFAULTS;

const DEFAULT_UPSTREAM_TIMEOUT_MS = 600_000;

/** The configured template for an upstream, or its default when unset or blank. */
export function upstreamTemplate(env: Env, setting: UpstreamSetting): string {
  const configured = (env as unknown as Record<string, unknown>)[setting];
  return typeof configured === 'string' && configured.trim() !== '' ? configured.trim() : UPSTREAM_DEFAULTS[setting];
}

/**
 * Fills `{name}` placeholders. Values are URL-encoded, so a value can never add a path segment or
 * change the host beyond its placeholder.
 */
export function expandTemplate(template: string, values: Record<string, string> = {}): string {
  return template.replace(/\{([a-zA-Z_]+)\}/g, (_placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`upstream template needs a value for {${name}}`);
    return encodeURIComponent(value);
  });
}

/** Milliseconds to wait for an upstream's response headers. */
export function upstreamTimeoutMs(env: Env): number {
  const parsed = Number(env.UPSTREAM_TIMEOUT_MS);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : DEFAULT_UPSTREAM_TIMEOUT_MS;
}

/**
 * The gateway's own Entra identity, for Azure keys in `managed` mode. Optional secrets: absent
 * until an operator sets all three with `wrangler secret put`.
 */
export interface AzureIdentity {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export function azureIdentity(env: Env): AzureIdentity | null {
  const tenantId = env.AZURE_IDENTITY_TENANT_ID?.trim();
  const clientId = env.AZURE_IDENTITY_CLIENT_ID?.trim();
  const clientSecret = env.AZURE_IDENTITY_CLIENT_SECRET?.trim();
  return tenantId && clientId && clientSecret ? { tenantId, clientId, clientSecret } : null;
}

/** Keygate's own AWS credentials, for Bedrock keys that assume a role. Optional Worker secrets. */
export interface AwsBaseCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export function awsBaseCredentials(env: Env): AwsBaseCredentials | null {
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : null;
}
