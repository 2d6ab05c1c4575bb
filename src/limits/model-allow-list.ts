// Model allow-lists: which models a virtual key, or an API key, may call. A list of model names and
// `prefix*` patterns, matched against the model the call names (GatewayRequest.model, the one
// place that decides it). Empty means every model.

import { KeygateError, quoted } from '../errors';
import type { StoredKeyProvider } from '../providers/registry';

export function modelAllowed(patterns: readonly string[], model: string | null): boolean {
  if (patterns.length === 0) return true;
  // A call that names no model Keygate can read can't be shown to be on the list.
  if (model === null) return false;
  return patterns.some((pattern) => (pattern.endsWith('*') ? model.startsWith(pattern.slice(0, -1)) : model === pattern));
}

/**
 * 412 `model_not_allowed` unless `model` is on `patterns`; `holder` names whose list it is.
 * Calls that only read or delete (GET, HEAD, DELETE: listing models, a file) name no model and pass.
 */
export function assertModelAllowed(patterns: readonly string[], model: string | null, method: string, holder: string): void {
  if (method !== 'POST' || modelAllowed(patterns, model)) return;
  const named = model === null ? 'this call names no model Keygate can read (send it as `model` in a JSON body)' : `model ${JSON.stringify(quoted(model, 100))} is not on it`;
  throw new KeygateError('precondition_failed', 'model_not_allowed', `${holder} allows only the models ${quoted(patterns.join(', '), 200)}; ${named}.`, 'model');
}

/**
 * 412 `model_not_allowed` for a POST naming no model Keygate can read, where `holder` has model
 * rules: a rule can't be applied to a call whose model is unknown, so the call is refused, as on a
 * key with an allow-list.
 */
export function assertModelReadable(model: string | null, method: string, holder: string): void {
  if (method !== 'POST' || model !== null) return;
  throw new KeygateError(
    'precondition_failed',
    'model_not_allowed',
    `${holder} has model rules (model_limits); this call names no model Keygate can read (send it as \`model\` in a JSON body).`,
    'model',
  );
}

/**
 * On a key with an allow-list or model rules, a model the provider would answer with a stand-in (a name no Azure
 * deployment has goes to the default one) is refused: the list would otherwise pass a name that
 * is not what runs.
 */
export function assertCallsModelNamed(provider: StoredKeyProvider, record: { slug: string; providerConfig: Record<string, unknown> }, model: string | null): void {
  if (model === null || !provider.callsModelNamed || provider.callsModelNamed(model, record.providerConfig)) return;
  throw new KeygateError(
    'precondition_failed',
    'model_not_allowed',
    `Virtual key ${record.slug} has no deployment for model ${JSON.stringify(quoted(model, 100))}; with an allow-list or model rules, a call must name a deployment or its alias.`,
    'model',
  );
}
