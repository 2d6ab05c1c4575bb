// Which levels a gateway call is limited at (limit-levels.ts), broadest first: the workspace the
// virtual key belongs to, the API key that called and its model rules, then the virtual key and
// its model rules. Levels without limits are kept here and skipped by admission.

import type { Principal } from '../auth/principal';
import { modelLevels, virtualKeyLevel, workspaceLevel, type LimitLevel, type StoredModelLimit } from '../limits/limit-levels';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { findCachedWorkspace } from '../store/workspace-cache';

// A holder's levels are built once per cached record (records are replaced, never changed, when
// their holder changes), and per model its rules bind: every call of a busy key reuses them.
const MODELS_KEPT = 64;
const built = new WeakMap<object, { level: LimitLevel; byModel: Map<string | null, LimitLevel[]> }>();

function levelsOf(holder: object, makeLevel: () => LimitLevel, rules: readonly StoredModelLimit[], model: string | null): LimitLevel[] {
  let entry = built.get(holder);
  if (!entry) built.set(holder, (entry = { level: makeLevel(), byModel: new Map() }));
  let levels = entry.byModel.get(model);
  if (!levels) {
    if (entry.byModel.size >= MODELS_KEPT) entry.byModel.clear();
    entry.byModel.set(model, (levels = [entry.level, ...modelLevels(entry.level, rules, model)]));
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
