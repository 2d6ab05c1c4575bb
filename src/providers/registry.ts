// The only place that lists providers. Adding one is a new folder and a line here.

import { KeygateError, quoted } from '../errors';
import { azureOpenaiProvider } from './azure-openai';
import { bedrockProvider } from './bedrock';
import { openaiProvider } from './openai';
import { vertexProvider } from './vertex-ai';
import type { ProviderModule, StoredConfig } from './provider';

// The element type is widened on purpose: callers validate fields with the module's own schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProviderModule = ProviderModule<any, any, any>;

/** A stored key's provider: it takes the config as stored and hands the module the parsed one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StoredKeyProvider = ProviderModule<StoredConfig, any, any>;

export const PROVIDERS = [openaiProvider, azureOpenaiProvider, bedrockProvider, vertexProvider] as const satisfies readonly AnyProviderModule[];

const byId = new Map<string, AnyProviderModule>(PROVIDERS.map((provider) => [provider.id, provider]));

export function findProvider(id: string): AnyProviderModule | undefined {
  return byId.get(id);
}

// Parsed configs by the stored config object. Records are cached per isolate as one object, so a
// config is parsed once per loaded record, not once per call; a record dropped from the caches
// takes its entry with it.
const parsedConfigs = new WeakMap<StoredConfig, StoredConfig>();

/**
 * The module of a stored key's provider, taking the config as stored: every method that reads a
 * config gets it parsed with the module's schema. A stored provider we no longer know is a bug,
 * not input.
 */
export function providerOf(record: { slug: string; provider: string }): StoredKeyProvider {
  const provider = byId.get(record.provider);
  if (!provider) throw new Error(`virtual key ${record.slug} names unknown provider ${record.provider}`);
  const config = (stored: StoredConfig): StoredConfig => {
    const known = parsedConfigs.get(stored);
    if (known) return known;
    const result = provider.configSchema.safeParse(stored);
    if (!result.success) {
      // Field paths only (a stored value may be anything, and a message must not carry it), and
      // bounded: a list of a thousand broken deployments names the first few.
      const fields = result.error.issues.map((issue) => issue.path.join('.')).join(', ');
      throw new KeygateError(
        'internal',
        'virtual_key_config_invalid',
        `Virtual key ${record.slug} has a stored ${provider.id} config that Keygate cannot read (check ${quoted(fields, 120)}).`,
      );
    }
    parsedConfigs.set(stored, result.data);
    return result.data;
  };
  return {
    ...provider,
    applyUpdate: (fields, current, env) => provider.applyUpdate(fields, { ...current, config: config(current.config) }, env),
    describeConfig: (stored) => provider.describeConfig(config(stored)),
    pricedModel: (model, stored) => provider.pricedModel(model, config(stored)),
    ...(provider.callsModelNamed ? { callsModelNamed: (model: string, stored: StoredConfig) => provider.callsModelNamed!(model, config(stored)) } : {}),
    prepareUpstream: (call) => provider.prepareUpstream({ ...call, config: config(call.config) }),
  };
}
