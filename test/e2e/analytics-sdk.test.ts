// The analytics API through the real portkey-ai SDK (portkey.analytics), over rows left by real
// gateway calls made with the openai SDK.

import { describe, expect, it } from 'vitest';
import { adminClient, createKey, hello, openaiClient, providerKey, useKeygateWithFakeUpstream } from './harness';

useKeygateWithFakeUpstream();

describe('portkey.analytics', () => {
  it('graphs and groups the calls made through Keygate', async () => {
    const slug = await createKey(providerKey('analytics'), 'analytics e2e');
    const from = new Date(Date.now() - 60_000).toISOString();
    for (let call = 0; call < 3; call++) await openaiClient(crypto.randomUUID()).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });
    const range = { time_of_generation_min: from, time_of_generation_max: new Date(Date.now() + 60_000).toISOString(), virtual_keys: slug };
    const analytics = adminClient().analytics;

    await expect.poll(async () => ((await analytics.graphs.requests(range)) as unknown as { summary: { total: number } }).summary.total).toBe(3);
    const tokens = (await analytics.graphs.tokens(range)) as unknown as { object: string; summary: { total: number }; data_points: unknown[] };
    expect(tokens).toMatchObject({ object: 'analytics-graph', summary: { total: 36 } });
    expect(tokens.data_points.length).toBeGreaterThan(0);
    const rate = (await analytics.graphs.errors_rate(range)) as unknown as { summary: { rate: number } };
    expect(rate.summary.rate).toBe(0);
    const codes = (await analytics.graphs.errors_status_code(range)) as unknown as { summary: { total_errors: number } };
    expect(codes.summary.total_errors).toBe(0);
    const models = (await analytics.groups.aiModels(range)) as unknown as { total: number; data: Array<{ ai_model: string; requests: number }> };
    expect(models).toMatchObject({ total: 1, data: [{ ai_model: 'gpt-4o-mini', requests: 3 }] });
    const byStatus = (await analytics.groups.groupedData('status_code', range)) as unknown as { data: Array<{ status_code: number; requests: number }> };
    expect(byStatus.data).toMatchObject([{ status_code: 200, requests: 3 }]);
  });

  it('refuses a call without a time range with a 400 the SDK raises', async () => {
    await expect(adminClient().analytics.graphs.requests({} as never)).rejects.toMatchObject({ status: 400 });
  });
});
