// Budget events of a limit level (a workspace, an API key, a virtual key or a model rule) in the audit log: its alert threshold crossed, and its budget
// found spent. Each happens at most once per budget period (the ledger decides), after the
// response (waitUntil): gateway calls otherwise write no audit records.

import type { LimitLevel } from '../limits/limit-levels';
import { recordEvent, systemRecord } from './audit-log';

export function recordBudgetEvent(env: Env, level: LimitLevel, action: 'alert' | 'exhausted', details: object): Promise<void> {
  return recordEvent(
    env,
    systemRecord(env, {
      resource_type: 'budget',
      action,
      resource_id: level.path.slice(level.path.lastIndexOf('/') + 1),
      // What the key's callers are answered from now on.
      response_status_code: action === 'exhausted' ? 412 : 200,
      workspace_id: level.workspaceId,
      uri: level.path,
      // Which budget: a model rule's shares its key's path, and says its models here.
      request_body: { level: level.kind, ...level.subject, usage_limits: level.usageLimits && { type: level.usageLimits.type, credit_limit: level.usageLimits.credit_limit }, ...details },
    }),
  );
}
