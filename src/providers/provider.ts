// The one small interface every provider module implements. Routes and shared code talk to
// providers only through this, and find them only through the registry.

import type * as z from 'zod/mini';
import type { Usage } from '../usage/usage';
import type { ProviderSecret } from '../vault/virtual-key-secret';

/** A provider's non-secret settings as stored: JSON, read back through the module's `configSchema`. */
export type StoredConfig = Record<string, unknown>;

/** A provider's secret and non-secret settings, split so only the secret part is sealed. */
export interface ProviderCredentials<Config = StoredConfig> {
  secret: ProviderSecret;
  config: Config;
  /** What retrieve may show of the secret: at most its last 4 characters per field. */
  masked: Record<string, string>;
}

/** What an update changes. Without `secret`, the sealed secret (and its masks) stay as they are. */
export interface CredentialChanges<Config = StoredConfig> {
  config: Config;
  secret?: ProviderSecret;
  masked?: Record<string, string>;
}

/** The upstream request for one call, and how its answer becomes the client's. */
/**
 * What a provider wants sent upstream. The gateway makes it a Request once, inside fetch, with its
 * timeout signal and `redirect: 'manual'`: a Request made here would be copied again by
 * fetch(request, { signal }), and the two cost about 5% of the isolate's time per call under load
 * (docs/benchmarks.md).
 */
export interface UpstreamRequest {
  url: string;
  method: string;
  headers: Headers;
  body: BodyInit | null;
}

export interface UpstreamExchange {
  request: UpstreamRequest;
  /**
   * Turns the upstream's answer into the client's, for providers that do not speak OpenAI or that
   * must adjust it. `relayAsIs` is the gateway's own relay. Without `relay`, that one is used.
   */
  relay?: (upstream: Response, relayAsIs: (upstream: Response) => Promise<Response>) => Promise<Response>;
  /**
   * The provider asked an OpenAI-shaped stream for its usage chunk although the client did not;
   * the gateway then keeps that chunk (and the `"usage":null` fields it adds) from the client.
   */
  addedStreamUsage?: boolean;
}

/** A client's OpenAI-shaped call, as the gateway read it. */
export interface ClientCall {
  method: string;
  /** The path below `/v1`, starting with `/`, e.g. `/chat/completions`. */
  path: string;
  /** The query string including its `?`, or empty. */
  search: string;
  /**
   * Client headers with the gateway's own credentials and hop-by-hop headers already removed. Made
   * for this call alone: a provider sets its credential on it rather than copying it.
   */
  headers: Headers;
  body: BodyInit | null;
  /** The JSON body, parsed (with the bare model), when the call has one. Read it; change `body`. */
  json: Record<string, unknown> | null;
}

/** One client call, with what a provider needs to build the upstream request. */
export interface UpstreamCall<Config = StoredConfig> extends ClientCall {
  env: Env;
  /** The virtual key's slug, for messages. */
  slug: string;
  config: Config;
  /** The decrypted secret. It lives only as long as this call. */
  secret: ProviderSecret;
  /**
   * Present when Keygate meters this call: told the call's actual usage once it is known. A
   * provider that translates answers calls it itself; for OpenAI-shaped answers the gateway's
   * relay reads usage, and the provider only has to ask for it in streams.
   */
  onUsage?: (usage: Usage) => void;
}

/**
 * A provider, generic in its stored config. `configSchema` is how a stored config is read back:
 * the registry parses each loaded record's config with it once, so the methods below receive a
 * checked `Config`, never a cast.
 */
export interface ProviderModule<
  Config extends StoredConfig = StoredConfig,
  CreateFields extends z.core.$ZodShape = z.core.$ZodShape,
  UpdateFields extends z.core.$ZodShape = z.core.$ZodShape,
> {
  /** The `provider` value on the admin API, e.g. `openai`. */
  id: string;
  /** The stored config's shape. Fields it does not name are dropped on read. */
  configSchema: z.ZodMiniType<Config>;
  /** Provider-specific top-level fields of a create body (snake_case, as normalised). */
  createFields: CreateFields;
  /** Provider-specific top-level fields an update may carry; all optional. */
  updateFields: UpdateFields;
  /**
   * The fields of createFields and updateFields that hold a secret. The audit log masks them
   * (src/audit/masking.ts), and a test checks every secret-looking field is listed.
   */
  secretFields: ReadonlyArray<keyof CreateFields | keyof UpdateFields>;
  /**
   * Splits a create body into secret and config; throws a 400 KeygateError for a broken rule. It
   * may be async, for checks that need WebCrypto (a private key that must import).
   */
  credentialsFromCreate(fields: z.infer<z.ZodMiniObject<CreateFields>>, env: Env): ProviderCredentials<Config> | Promise<ProviderCredentials<Config>>;
  /** What an update changes, given the stored config; throws a 400 KeygateError for a broken rule. */
  applyUpdate(
    fields: z.infer<z.ZodMiniObject<UpdateFields>>,
    current: Omit<ProviderCredentials<Config>, 'secret'>,
    env: Env,
  ): CredentialChanges<Config> | Promise<CredentialChanges<Config>>;
  /** The non-secret settings shown on read as `model_config`. */
  describeConfig(config: Config): Record<string, unknown>;
  /** The model a call is priced as, for cost budgets (e.g. an Azure deployment's underlying model). */
  pricedModel(model: string | null, config: Config): string | null;
  /**
   * Whether a call naming `model` reaches that model, not a stand-in. Azure answers a name no
   * deployment has with its default deployment; a key with an allow-list must not. Absent: always.
   */
  callsModelNamed?(model: string, config: Config): boolean;
  /** The mask shown as `masked_api_key`, or null when the key stores no secret of that kind. */
  maskedApiKey(masked: Record<string, string>): string | null;
  prepareUpstream(call: UpstreamCall<Config>): Promise<UpstreamExchange>;
}

/** Shows at most the last 4 characters, and none of a secret too short to spare them. */
export function maskSecret(secret: string): string {
  return secret.length >= 16 ? `********${secret.slice(-4)}` : '********';
}
