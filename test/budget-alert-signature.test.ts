// Budget-alert webhooks signed with ALERT_WEBHOOK_SECRET, as Stripe signs its webhooks:
// `Keygate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`. The receiver here
// keeps each delivery's raw bytes, and the check below is the README's, in Web Crypto.

import { describe, expect, inject, it } from 'vitest';
import { webhookSignature } from '../src/limits/budget-alert';
import type { WebhookDelivery } from './support/fake-upstream-setup';
import { chat, createVirtualKey } from './support/keygate';

const SECRET = 'whsec_test_0123456789abcdef';

async function hmacHex(secret: string, text: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(text)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The README's verification: parse the header, recompute over the raw body, check the age. */
async function verify(header: string | undefined, body: string, secret: string, toleranceSeconds = 300): Promise<boolean> {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1) return false;
  if (Math.abs(Date.now() / 1000 - timestamp) > toleranceSeconds) return false;
  return (await hmacHex(secret, `${timestamp}.${body}`)) === parts.v1;
}

/** Two calls of 17 tokens cross an alert threshold of 30: one alert, sent to the receiver. */
async function crossThreshold(envOverrides: Record<string, string>): Promise<string> {
  const slug = await createVirtualKey({ usage_limits: { credit_limit: 100, type: 'tokens', alert_threshold: 30 } });
  for (let index = 0; index < 2; index++) await (await chat({ model: `@${slug}/usage-17` }, {}, envOverrides)).text();
  return slug;
}

async function deliveries(testId: string): Promise<WebhookDelivery[]> {
  return (await (await fetch(`${inject('webhookReceiverUrl')}/deliveries?test=${testId}`)).json()) as WebhookDelivery[];
}

describe('signed budget alerts', () => {
  it('carry a Keygate-Signature that verifies over the raw body, with a current timestamp', async () => {
    const testId = crypto.randomUUID();
    const slug = await crossThreshold({ ALERT_WEBHOOK_URL: `${inject('webhookReceiverUrl')}/hook?test=${testId}`, ALERT_WEBHOOK_SECRET: SECRET });

    const [delivery, ...more] = await deliveries(testId);
    expect(more).toEqual([]);
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'budget.alert_threshold_crossed', virtual_key: { slug }, spent: 34 });
    const header = delivery!.headers['keygate-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(Math.abs(Date.now() / 1000 - Number(/t=(\d+)/.exec(header)![1]))).toBeLessThan(60);
    expect(await verify(header, delivery!.body, SECRET)).toBe(true);

    // Anything else fails: another body, another secret, another timestamp, an old delivery.
    expect(await verify(header, delivery!.body.replace('"spent":34', '"spent":0'), SECRET)).toBe(false);
    expect(await verify(header, delivery!.body, 'whsec_other')).toBe(false);
    expect(await verify(header.replace(/t=(\d+)/, (_, t: string) => `t=${Number(t) + 1}`), delivery!.body, SECRET)).toBe(false);
    expect(await verify(header, delivery!.body, SECRET, -1)).toBe(false);
  });

  it('change with the body', async () => {
    const testId = crypto.randomUUID();
    const envOverrides = { ALERT_WEBHOOK_URL: `${inject('webhookReceiverUrl')}/hook?test=${testId}`, ALERT_WEBHOOK_SECRET: SECRET };
    await crossThreshold(envOverrides);
    await crossThreshold(envOverrides);

    const [first, second] = await deliveries(testId);
    expect(first!.body).not.toBe(second!.body);
    const v1 = (delivery: WebhookDelivery) => /v1=([0-9a-f]+)/.exec(delivery.headers['keygate-signature'] as string)![1];
    expect(v1(first!)).not.toBe(v1(second!));
    for (const delivery of [first!, second!]) expect(await verify(delivery.headers['keygate-signature'] as string, delivery.body, SECRET)).toBe(true);
  });

  it('are the HMAC Node’s crypto computes (what the README’s receiver uses)', async () => {
    // node -e "crypto.createHmac('sha256', 'whsec_test').update('1700000000.' + body).digest('hex')"
    expect(await webhookSignature('whsec_test', 1_700_000_000, '{"type":"budget.alert_threshold_crossed"}')).toBe(
      't=1700000000,v1=5e015429ceacc6a3c4a1c8cd146e146d1638a78010b64409d51e59dbf86dd22e',
    );
  });

  it('are unsigned without ALERT_WEBHOOK_SECRET', async () => {
    const testId = crypto.randomUUID();
    await crossThreshold({ ALERT_WEBHOOK_URL: `${inject('webhookReceiverUrl')}/hook?test=${testId}`, ALERT_WEBHOOK_SECRET: '' });
    const [delivery] = await deliveries(testId);
    expect(delivery!.headers).not.toHaveProperty('keygate-signature');
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'budget.alert_threshold_crossed' });
  });
});
