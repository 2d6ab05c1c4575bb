// The one small interface every provider module implements. Routes and shared code talk to
// providers only through this, and find them only through the registry.

import type { z } from '@hono/zod-openapi';
import type { ProviderSecret } from '../vault/virtual-key-secret';

/** A provider's secret and non-secret settings, split so only the secret part is sealed. */
export interface ProviderCredentials {
  secret: ProviderSecret;
  config: Record<string, unknown>;
  /** What retrieve may show of the secret: at most its last 4 characters per field. */
  masked: Record<string, string>;
}

/** One client call, reduced to what a provider needs to build the upstream request. */
export interface UpstreamCall {
  env: Env;
  method: string;
  /** The path below `/v1`, starting with `/`, e.g. `/chat/completions`. */
  path: string;
  /** The query string including its `?`, or empty. */
  search: string;
  /** Client headers with the gateway's own credentials and hop-by-hop headers already removed. */
  headers: Headers;
  body: BodyInit | null;
  config: Record<string, unknown>;
  /** The decrypted secret. It lives only as long as this call. */
  secret: ProviderSecret;
}

export interface ProviderModule<
  CreateFields extends z.ZodRawShape = z.ZodRawShape,
  UpdateFields extends z.ZodRawShape = z.ZodRawShape,
> {
  /** The `provider` value on the admin API, e.g. `openai`. */
  id: string;
  /** Provider-specific top-level fields of a create body (snake_case, as normalised). */
  createFields: CreateFields;
  /** Provider-specific top-level fields an update may carry; all optional. */
  updateFields: UpdateFields;
  credentialsFromCreate(fields: z.infer<z.ZodObject<CreateFields>>): ProviderCredentials;
  /** New credentials for an update, or null when the update leaves them as they are. */
  credentialsFromUpdate(
    fields: z.infer<z.ZodObject<UpdateFields>>,
    current: Omit<ProviderCredentials, 'secret'>,
  ): ProviderCredentials | null;
  /** The non-secret settings shown on read as `model_config`. */
  describeConfig(config: Record<string, unknown>): Record<string, unknown>;
  /** The field of `masked` shown as `masked_api_key`. */
  maskedApiKeyField: string;
  buildUpstreamRequest(call: UpstreamCall): Request;
}

/** Shows at most the last 4 characters, and none of a secret too short to spare them. */
export function maskSecret(secret: string): string {
  return secret.length >= 16 ? `********${secret.slice(-4)}` : '********';
}
