// The only place that lists providers. Adding one is a new folder and a line here.

import { azureOpenaiProvider } from './azure-openai';
import { bedrockProvider } from './bedrock';
import { openaiProvider } from './openai';
import type { ProviderModule } from './provider';

// The element type is widened on purpose: callers validate fields with the module's own schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProviderModule = ProviderModule<any, any>;

export const PROVIDERS = [openaiProvider, azureOpenaiProvider, bedrockProvider] as const satisfies readonly AnyProviderModule[];

const byId = new Map<string, AnyProviderModule>(PROVIDERS.map((provider) => [provider.id, provider]));

export function findProvider(id: string): AnyProviderModule | undefined {
  return byId.get(id);
}

/** The module of a stored key's provider. A stored provider we no longer know is a bug, not input. */
export function providerOf(record: { slug: string; provider: string }): AnyProviderModule {
  const provider = byId.get(record.provider);
  if (!provider) throw new Error(`virtual key ${record.slug} names unknown provider ${record.provider}`);
  return provider;
}
