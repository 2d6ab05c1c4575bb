// Tells the operator, once per budget period, that a key's spend crossed its alert threshold. The
// ledger records every alert; when ALERT_WEBHOOK_URL is set, it is also POSTed there as JSON. This
// runs after the response (waitUntil), so a slow or failing webhook never delays a call.
//
// With ALERT_WEBHOOK_SECRET set, each POST is signed as Stripe signs its webhooks:
//   Keygate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>" under the secret>
// The receiver recomputes the HMAC over the raw body and compares in constant time; the timestamp
// inside the signed text lets it refuse a replayed delivery (the README suggests 5 minutes).

import { logEvent, networkFailureFields } from '../log';
import type { LimitLevel } from './limit-levels';
import { hexEncode } from '../vault/encoding';
import type { BudgetAlert } from './ledger-types';

export const SIGNATURE_HEADER = 'Keygate-Signature';

/** The Keygate-Signature value for `body` sent at `timestamp` (unix seconds). */
export async function webhookSignature(secret: string, timestamp: number, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}.${body}`));
  return `t=${timestamp},v1=${hexEncode(new Uint8Array(mac))}`;
}

export async function sendBudgetAlert(env: Env, level: LimitLevel, alert: BudgetAlert): Promise<void> {
  const url = env.ALERT_WEBHOOK_URL?.trim();
  if (!url) return;
  const body = JSON.stringify({
    type: 'budget.alert_threshold_crossed',
    level: level.kind,
    ...level.subject,
    usage_limits: { credit_limit: level.usageLimits?.credit_limit, type: level.usageLimits?.type, alert_threshold: alert.threshold },
    spent: alert.spent,
    period_start: alert.period_start,
    at: alert.at,
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const secret = env.ALERT_WEBHOOK_SECRET?.trim();
  if (secret) headers[SIGNATURE_HEADER] = await webhookSignature(secret, Math.floor(Date.now() / 1000), body);
  try {
    const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual' });
    if (!response.ok) logEvent('warn', 'alert_webhook_failed', { limitLevel: level.name, status: response.status });
  } catch (error) {
    // The host, never the URL (a webhook's path or query often is its token), and not the error's
    // message either, which may quote the URL.
    const { host, kind, errorClass } = networkFailureFields(url, error);
    logEvent('warn', 'alert_webhook_unreachable', { limitLevel: level.name, host, kind, errorClass });
  }
}
