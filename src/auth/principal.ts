// Who is calling: one typed value per request, set by authentication. Admin routes and the gateway
// read it and nothing else, and the audit log and dashboard of later issues build on it.

import { forbidden, KeygateError } from '../errors';
import type { LimitLevel, StoredModelLimit } from '../limits/limit-levels';
import type { ApiKeyType, Scope } from './scopes';

export interface Principal {
  /** `bootstrap` is the ADMIN_API_KEY secret; every other kind is an API key of that type. */
  kind: 'bootstrap' | ApiKeyType;
  organisationId: string;
  /** The one workspace this caller acts in; null for organisation keys, which act in every one. */
  workspaceId: string | null;
  /** The API key that authenticated; null for the bootstrap key. */
  apiKeyId: string | null;
  /** The caller's own user id, for user keys; it names the actor wherever one is recorded. */
  userId: string | null;
  scopes: ReadonlySet<Scope>;
  /** When the caller's own key expires (null: never). Keys it makes or changes can't outlive it. */
  expiresAt: string | null;
  /** The models its gateway calls may name (names and `prefix*` patterns); empty: every model. */
  allowedModels: readonly string[];
  /** The API key's own limit level and model rules; null for the bootstrap key, which has none. */
  limits: { level: LimitLevel; modelLimits: readonly StoredModelLimit[] } | null;
}

/** 403 `missing_scope` unless the caller holds `scope`. */
export function assertScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.has(scope)) {
    throw forbidden('missing_scope', `This API key lacks the scope ${scope}.`);
  }
}

/** Whether the caller may act in `workspaceId`. */
export function actsIn(principal: Principal, workspaceId: string): boolean {
  return principal.workspaceId === null || principal.workspaceId === workspaceId;
}

/**
 * The workspace a request names in its body or query, checked against the caller: a workspace key
 * naming another workspace gets 403. Returns the workspace to act in (a workspace key's own when
 * none is named; null for an organisation key that named none).
 */
export function namedWorkspace(principal: Principal, named: string | undefined, field = 'workspace_id'): string | null {
  if (named === undefined) return principal.workspaceId;
  if (!actsIn(principal, named)) {
    throw new KeygateError(
      'forbidden',
      'workspace_forbidden',
      `${field} names a workspace this API key cannot act in; it acts only in ${principal.workspaceId}.`,
      field,
    );
  }
  return named;
}
