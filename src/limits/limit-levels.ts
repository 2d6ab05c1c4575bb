// The levels a gateway call is limited at: its workspace, its API key, its virtual key, and every
// model rule (`model_limits`) of either key that its model matches. Each level with limits has a
// ledger of its own (key-ledger.ts); a call is admitted only if every one of them admits it.

import * as z from 'zod/mini';
import { RateLimitRuleSchema, type RateLimitRule } from './rate-limit-rules';
import { StoredUsageLimitsSchema, type StoredUsageLimits } from './usage-limits';

export type LevelKind = 'workspace' | 'api_key' | 'virtual_key' | 'model';

/** Limits as stored for one holder; a model rule adds the models it binds. */
const limitsShape = {
  rateLimits: z._default(z.array(RateLimitRuleSchema), []),
  usageLimits: z._default(z.nullable(StoredUsageLimitsSchema), null),
};
export const StoredModelLimitSchema = z.object({ models: z.array(z.string()), ...limitsShape });
export type StoredModelLimit = z.infer<typeof StoredModelLimitSchema>;

/** What a workspace or an API key stores in its `limits` column; `{}` (no limits) parses too. */
export const StoredLimitsSchema = z.object({ ...limitsShape, modelLimits: z._default(z.array(StoredModelLimitSchema), []) });
export type StoredLimits = z.infer<typeof StoredLimitsSchema>;

export const NO_LIMITS: StoredLimits = { rateLimits: [], usageLimits: null, modelLimits: [] };

export interface LimitLevel {
  kind: LevelKind;
  /** Names the level's ledger Durable Object, and keys the settlements held for it. */
  id: string;
  /** How answers, logs and audit records name it: "Workspace ws-1", "Virtual key prod-openai". */
  name: string;
  /** The admin path where its limits are changed. */
  path: string;
  /** The field holding its budget, for messages: `usage_limits`, `model_limits[0].usage_limits`. */
  field: string;
  workspaceId: string | null;
  revision: number;
  rateLimits: RateLimitRule[];
  usageLimits: StoredUsageLimits | null;
  /** What a budget alert's webhook says the level is. */
  subject: Record<string, unknown>;
}

export function hasLimits(level: { rateLimits: readonly unknown[]; usageLimits: unknown }): boolean {
  return level.rateLimits.length > 0 || level.usageLimits !== null;
}

/** One model rule of `owner`, as a level with its own ledger, named by the rule's models. */
export function modelLevel(owner: LimitLevel, rule: StoredModelLimit, index: number): LimitLevel {
  return {
    ...owner,
    kind: 'model',
    id: `${owner.id}/model:${JSON.stringify(rule.models)}`,
    name: `The model rule ${rule.models.join(', ').slice(0, 200)} of ${owner.name.replace('Virtual', 'virtual')}`,
    field: `model_limits[${index}].usage_limits`,
    rateLimits: rule.rateLimits,
    usageLimits: rule.usageLimits,
    subject: { ...owner.subject, model_rule: { models: rule.models } },
  };
}

/** A level of its own (not a model rule): `subject` names it in webhooks. */
function ownLevel(
  kind: LevelKind,
  id: string,
  name: string,
  path: string,
  holder: { workspaceId: string | null; revision: number; rateLimits: RateLimitRule[]; usageLimits: StoredUsageLimits | null },
  subject: Record<string, unknown>,
): LimitLevel {
  const { workspaceId, revision, rateLimits, usageLimits } = holder;
  return { kind, id, name, path, field: 'usage_limits', workspaceId, revision, rateLimits, usageLimits, subject };
}

export function virtualKeyLevel(record: {
  id: string;
  slug: string;
  name: string;
  workspaceId: string;
  revision: number;
  rateLimits: RateLimitRule[];
  usageLimits: StoredUsageLimits | null;
}): LimitLevel {
  const { id, slug, name, workspaceId } = record;
  // Named by the key's id, as the first ledgers were: nothing a key can change moves its ledger.
  return ownLevel('virtual_key', id, `Virtual key ${slug}`, `/v1/virtual-keys/${slug}`, record, { virtual_key: { id, slug, name, workspace_id: workspaceId } });
}

export function apiKeyLevel(key: { id: string; name: string; workspaceId: string | null; revision: number; limits: StoredLimits }): LimitLevel {
  const { id, name, workspaceId, limits } = key;
  return ownLevel('api_key', `api_key:${id}`, `API key ${id}`, `/v1/api-keys/${id}`, { ...key, ...limits }, { api_key: { id, name, workspace_id: workspaceId } });
}

export function workspaceLevel(workspace: { id: string; name: string; revision: number; limits: StoredLimits }): LimitLevel {
  const { id, name, limits } = workspace;
  return ownLevel('workspace', `workspace:${id}`, `Workspace ${id}`, `/v1/admin/workspaces/${id}`, { ...workspace, workspaceId: id, ...limits }, { workspace: { id, name } });
}
