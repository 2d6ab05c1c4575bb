// `reset_usage: true` on a virtual key's update (Portkey's field): the budget's current period
// starts afresh, so an exhausted key admits again; the change has its audit record.

import { describe, expect, it } from 'vitest';
import { auditRecords } from './support/audit';
import { chat, createVirtualKey, expectError, keyObject, putKey } from './support/keygate';

async function delivered(response: Promise<Response>): Promise<number> {
  const answer = await response;
  await answer.text(); // a call settles once its answer is delivered
  return answer.status;
}

describe('reset_usage', () => {
  it('brings an exhausted key back, keeping its budget, and is recorded', async () => {
    const slug = await createVirtualKey({ name: 'resettable', usage_limits: { credit_limit: 30, type: 'tokens' } });
    const call = () => delivered(chat({ model: `@${slug}/usage-17`, max_tokens: 6 }));
    expect([await call(), await call(), await call()]).toEqual([200, 200, 412]);
    expect((await keyObject(slug)).status).toBe('exhausted');

    expect((await putKey(slug, { reset_usage: true })).status).toBe(200);
    const key = await keyObject(slug);
    expect(key.status).toBe('active');
    expect(key.usage_limits).toMatchObject({ credit_limit: 30, spent: 0 });
    expect([await call(), await call(), await call()]).toEqual([200, 200, 412]);

    const [record] = (await auditRecords({ resource_type: 'virtual_key', action: 'update', resource_id: slug })).slice(-1);
    expect(JSON.parse(record!.request_body)).toEqual({ reset_usage: true });
  });

  it('changes nothing when false, and is refused when not a boolean', async () => {
    const slug = await createVirtualKey({ name: 'kept', usage_limits: { credit_limit: 17, type: 'tokens' } });
    await delivered(chat({ model: `@${slug}/usage-17`, max_tokens: 6 }));
    expect((await putKey(slug, { reset_usage: false })).status).toBe(200);
    expect((await keyObject(slug)).usage_limits).toMatchObject({ spent: 17 });
    await expectError(await putKey(slug, { reset_usage: 'yes' }), 400, 'invalid_body');
  });
});
