// Which levels a gateway call is limited at (limit-levels.ts), broadest first: the workspace the
// virtual key belongs to, the API key that called and its model rules, then the virtual key and
// its model rules. Levels without limits are kept here and skipped by admission.

import type { Principal } from '../auth/principal';
import { modelLevel, virtualKeyLevel, workspaceLevel, type LimitLevel, type StoredModelLimit } from '../limits/limit-levels';
import { modelAllowed } from '../limits/model-allow-list';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { findCachedWorkspace } from '../store/workspace-cache';

// A holder's levels are built once per cached record (records are replaced, never changed, when
// their holder changes), and once per set of its rules a model matches, never per model name (a
// name is the client's, of any length): every call of a busy key reuses them.
const built = new WeakMap<object, { level: LimitLevel; byRules: Map<string, LimitLevel[]> }>();

function levelsOf(holder: object, makeLevel: () => LimitLevel, rules: readonly StoredModelLimit[], model: string | null): LimitLevel[] {
  let entry = built.get(holder);
  if (!entry) built.set(holder, (entry = { level: makeLevel(), byRules: new Map() }));
  const matched = model === null ? [] : rules.flatMap((rule, index) => (modelAllowed(rule.models, model) ? [index] : []));
  const key = matched.join(',');
  let levels = entry.byRules.get(key);
  if (!levels) {
    const { level } = entry;
    entry.byRules.set(key, (levels = [level, ...matched.map((index) => modelLevel(level, rules[index]!, index))]));
  }
  return levels;
}

export async function resolveLimitLevels(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  principal: Principal,
  record: VirtualKeyRecord,
  model: string | null,
): Promise<LimitLevel[]> {
  const workspace = await findCachedWorkspace(env, context, record.workspaceId);
  const apiKey = principal.limits;
  return [
    ...(workspace ? levelsOf(workspace, () => workspaceLevel(workspace), [], null) : []),
    ...(apiKey ? levelsOf(apiKey, () => apiKey.level, apiKey.modelLimits, model) : []),
    ...levelsOf(record, () => virtualKeyLevel(record), record.modelLimits, model),
  ];
}
