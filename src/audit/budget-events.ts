// Budget events of a virtual key in the audit log: its alert threshold crossed, and its budget
// found spent. Each happens at most once per budget period (the ledger decides), after the
// response (waitUntil): gateway calls otherwise write no audit records.

import type { VirtualKeyRecord } from '../store/virtual-key-record';
import { recordEvent, systemRecord } from './audit-log';

export function recordBudgetEvent(env: Env, record: VirtualKeyRecord, action: 'alert' | 'exhausted', details: object): Promise<void> {
  return recordEvent(
    env,
    systemRecord(env, {
      resource_type: 'budget',
      action,
      resource_id: record.slug,
      // What the key's callers are answered from now on.
      response_status_code: action === 'exhausted' ? 412 : 200,
      workspace_id: record.workspaceId,
      uri: `/v1/virtual-keys/${record.slug}`,
      request_body: { usage_limits: record.usageLimits && { type: record.usageLimits.type, credit_limit: record.usageLimits.credit_limit }, ...details },
    }),
  );
}
