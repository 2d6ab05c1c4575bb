// Which levels a gateway call is limited at (limit-levels.ts), broadest first: the workspace the
// virtual key belongs to, the API key that called and its model rules, then the virtual key and
// its model rules. Levels without limits are kept here and skipped by admission.

import type { Principal } from '../auth/principal';
import { modelLevels, virtualKeyLevel, workspaceLevel, type LimitLevel } from '../limits/limit-levels';
import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { findCachedWorkspace } from '../store/workspace-cache';

export async function resolveLimitLevels(
  env: Env,
  context: Pick<ExecutionContext, 'waitUntil'>,
  principal: Principal,
  record: VirtualKeyRecord,
  model: string | null,
): Promise<LimitLevel[]> {
  const workspace = await findCachedWorkspace(env, context, record.workspaceId);
  const apiKey = principal.limits;
  const virtualKey = virtualKeyLevel(record);
  return [
    ...(workspace ? [workspaceLevel(workspace)] : []),
    ...(apiKey ? [apiKey.level, ...modelLevels(apiKey.level, apiKey.modelLimits, model)] : []),
    virtualKey,
    ...modelLevels(virtualKey, record.modelLimits, model),
  ];
}
