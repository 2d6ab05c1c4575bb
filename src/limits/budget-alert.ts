// Tells the operator, once per budget period, that a key's spend crossed its alert threshold. The
// ledger records every alert; when ALERT_WEBHOOK_URL is set, it is also POSTed there as JSON. This
// runs after the response (waitUntil), so a slow or failing webhook never delays a call.

import type { VirtualKeyRecord } from '../store/virtual-key-record';
import type { BudgetAlert } from './ledger-types';

export async function sendBudgetAlert(env: Env, record: VirtualKeyRecord, alert: BudgetAlert): Promise<void> {
  const url = env.ALERT_WEBHOOK_URL?.trim();
  if (!url) return;
  const body = {
    type: 'budget.alert_threshold_crossed',
    virtual_key: { id: record.id, slug: record.slug, name: record.name, workspace_id: record.workspaceId },
    usage_limits: { credit_limit: record.usageLimits?.credit_limit, type: record.usageLimits?.type, alert_threshold: alert.threshold },
    spent: alert.spent,
    period_start: alert.period_start,
    at: alert.at,
  };
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), redirect: 'manual' });
    if (!response.ok) console.error(JSON.stringify({ level: 'warn', code: 'alert_webhook_failed', slug: record.slug, status: response.status }));
  } catch {
    console.error(JSON.stringify({ level: 'warn', code: 'alert_webhook_unreachable', slug: record.slug }));
  }
}
