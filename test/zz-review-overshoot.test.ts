import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { ADMIN_API_KEY, keyObject, postKey, testEnv } from './support/keygate';

async function makeKey(body: Record<string, unknown>) {
  const response = await postKey({ name: 'overshoot', provider: 'openai', key: 'sk-fake-over-0000000000000000000000', ...body });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { id: string; slug: string } }).data;
}

/** Sequential calls (each answer read), pausing `pause` ms between them; background work waited for at the end. */
async function sequential(slug: string, count: number, model: string, envOverrides: Record<string, unknown>, pause = 30) {
  const contexts: ExecutionContext[] = [];
  const statuses: number[] = [];
  for (let index = 0; index < count; index++) {
    const context = createExecutionContext();
    contexts.push(context);
    const request = new Request('https://keygate.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', 'x-portkey-virtual-key': slug },
      body: JSON.stringify({ model, max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const response = await worker.fetch(request as Parameters<typeof worker.fetch>[0], testEnv(envOverrides), context);
    statuses.push(response.status);
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  await Promise.all(contexts.map((context) => waitOnExecutionContext(context)));
  return statuses;
}

describe('lease overshoot when usage exceeds the estimate', () => {
  for (const leases of ['off', 'on']) {
    it(`token budget, LEDGER_LEASES=${leases}`, async () => {
      const { slug } = await makeKey({ usage_limits: { credit_limit: 5000, type: 'tokens' } });
      const statuses = await sequential(slug, 30, 'usage-1000', { LEDGER_LEASES: leases });
      const key = await keyObject(slug);
      console.log(`BUDGET leases=${leases}`, statuses.filter((s) => s === 200).length, 'admitted; spent', JSON.stringify(key.usage_limits));
    });
    it(`tokens per minute, LEDGER_LEASES=${leases}`, async () => {
      const { slug } = await makeKey({ rate_limits: [{ type: 'tokens', unit: 'rpm', value: 5000 }] });
      const statuses = await sequential(slug, 30, 'usage-1000', { LEDGER_LEASES: leases });
      const key = await keyObject(slug);
      console.log(`TPM leases=${leases}`, statuses.filter((s) => s === 200).length, 'admitted; windows', JSON.stringify(key.rate_limit_windows));
    });
  }
});
