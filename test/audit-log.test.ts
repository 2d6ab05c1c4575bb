// The audit log's records: one for every admin change, with Portkey's field names, none for reads
// or gateway calls, never a secret; refusals recorded (wrong keys folded per source and minute);
// and GET /v1/audit-logs, against real local D1, KV and Durable Objects.

import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROVIDERS } from '../src/providers/registry';
import { SECRET_FIELDS } from '../src/audit/masking';
import { RefusalFolds } from '../src/audit/refusal-folds';
import { createApiKey, createWorkspace, createWorkspaceKey, requestAs, WORKSPACE_SCOPES } from './support/access';
import { auditRecords, getAuditLogs, wholeLogText, type AuditRow } from './support/audit';
import { ADMIN_API_KEY, callKeygate, chat, createVirtualKey, expectError, postKey } from './support/keygate';

const organisationId = async () => (await env.DB.prepare('SELECT id FROM organisation').first<{ id: string }>())!.id;

afterEach(() => vi.useRealTimers());

/** The fields a refusal record has that RefusalFolds does not read. */
const auditRecordLike = { id: 'r', method: 'GET', uri: '/v1/api-keys', request_id: 'q', request_body: '{}', query_params: '{}', key_id: 'mk' };

/** The records written since `before` (a count of records). */
async function recordsAfter(before: number): Promise<AuditRow[]> {
  return (await auditRecords()).slice(before);
}

describe('what is recorded', () => {
  it('records every change with Portkey’s fields, naming the actor, and nothing for reads or gateway calls', async () => {
    const before = (await auditRecords()).length;
    const actor = await createApiKey('organisation/service', {
      scopes: ['virtual_keys.create', 'virtual_keys.update', 'virtual_keys.delete', 'virtual_keys.read', 'virtual_keys.list', 'completions.write'],
    });
    const create = await callKeygate('/v1/virtual-keys?trace=1', {
      method: 'POST',
      headers: { 'x-portkey-api-key': actor.key, 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.7' },
      body: JSON.stringify({ name: 'audited', provider: 'openai', key: 'sk-audit-create-secret-0000000001' }),
    });
    expect(create.status).toBe(200);
    const { slug } = ((await create.json()) as { data: { slug: string } }).data;
    expect((await requestAs(actor.key, 'GET', `/v1/virtual-keys/${slug}`)).status).toBe(200);
    expect((await requestAs(actor.key, 'GET', '/v1/virtual-keys')).status).toBe(200);
    expect((await chat({ model: 'gpt-4o-mini' }, { authorization: `Bearer ${actor.key}`, 'x-portkey-virtual-key': slug })).status).toBe(200);
    expect((await requestAs(actor.key, 'PUT', `/v1/virtual-keys/${slug}`, { note: 'changed' })).status).toBe(200);
    expect((await requestAs(actor.key, 'DELETE', `/v1/virtual-keys/${slug}`)).status).toBe(200);

    const records = (await recordsAfter(before)).filter((record) => record.api_key_id === actor.id);
    expect(records.map((record) => [record.method, record.resource_type, record.action, record.resource_id])).toEqual([
      ['POST', 'virtual_key', 'create', slug],
      ['PUT', 'virtual_key', 'update', slug],
      ['DELETE', 'virtual_key', 'delete', slug],
    ]);
    const [created] = records;
    expect(created).toMatchObject({
      uri: '/v1/virtual-keys',
      request_id: create.headers.get('x-request-id'),
      user_id: null,
      user_type: 'api_key',
      api_key_id: actor.id,
      organisation_id: await organisationId(),
      workspace_id: 'ws_default',
      response_status_code: 200,
      client_ip: '203.0.113.7',
      count: 1,
    });
    expect(JSON.parse(created!.query_params)).toEqual({ trace: '1' });
    expect(JSON.parse(created!.request_body)).toMatchObject({ name: 'audited', provider: 'openai', key: '********0001' });
    expect(created!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(created!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records API key, workspace and vault changes, and a user key’s user_id', async () => {
    const before = (await auditRecords()).length;
    const workspaceId = await createWorkspace('audited team');
    const service = await createWorkspaceKey(workspaceId, WORKSPACE_SCOPES);
    const user = await createApiKey('workspace/user', { workspace_id: workspaceId, user_id: 'user-42', scopes: ['workspace_user_api_keys.create', 'workspace_user_api_keys.update'] });
    expect((await requestAs(user.key, 'PUT', `/v1/api-keys/${user.id}`, { name: 'renamed by myself' })).status).toBe(200);
    expect((await requestAs(ADMIN_API_KEY, 'POST', `/v1/api-keys/${service.id}/rotate`, {})).status).toBe(200);
    expect((await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/api-keys/${service.id}`)).status).toBe(200);
    expect((await requestAs(ADMIN_API_KEY, 'PUT', `/v1/admin/workspaces/${workspaceId}`, { description: 'about' })).status).toBe(200);
    expect((await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/api-keys/${user.id}`)).status).toBe(200);
    expect((await requestAs(ADMIN_API_KEY, 'DELETE', `/v1/admin/workspaces/${workspaceId}`)).status).toBe(200);
    expect((await requestAs(ADMIN_API_KEY, 'POST', '/v1/admin/vault/reseal', {})).status).toBe(200);

    const records = await recordsAfter(before);
    expect(records.map((record) => [record.resource_type, record.action, record.resource_id])).toEqual([
      ['workspace', 'create', workspaceId],
      ['api_key', 'create', service.id],
      ['api_key', 'create', user.id],
      ['api_key', 'update', user.id],
      ['api_key', 'rotate', service.id],
      ['api_key', 'delete', service.id],
      ['workspace', 'update', workspaceId],
      ['api_key', 'delete', user.id],
      ['workspace', 'delete', workspaceId],
    ]);
    const byUser = records.find((record) => record.action === 'update' && record.resource_type === 'api_key');
    expect(byUser).toMatchObject({ user_type: 'user', user_id: 'user-42', api_key_id: user.id, workspace_id: workspaceId });
    // The bootstrap key has no API key id; nothing was left to re-seal, so no vault record.
    expect(records.find((record) => record.action === 'rotate')).toMatchObject({ user_type: 'api_key', api_key_id: null });
  });

  it('records a refused change that changed nothing not at all, and a 403 as a refusal', async () => {
    const before = (await auditRecords()).length;
    const reader = await createApiKey('organisation/service', { scopes: ['virtual_keys.list'] });
    await expectError(await requestAs(reader.key, 'POST', '/v1/virtual-keys', { name: 'x', provider: 'openai', key: 'sk-x' }), 403, 'missing_scope');
    await expectError(await postKey({ name: 'x', provider: 'openai' }), 400);
    await expectError(await requestAs(ADMIN_API_KEY, 'PUT', '/v1/virtual-keys/no-such-key', { note: 'x' }), 404);
    const records = await recordsAfter(before);
    expect(records.map((record) => [record.resource_type, record.action, record.response_status_code, record.api_key_id])).toEqual([
      ['api_key', 'create', 200, null],
      ['auth', 'refused', 403, reader.id],
    ]);
    expect(records[1]).toMatchObject({ method: 'POST', uri: '/v1/virtual-keys', request_body: '{}' });
  });

  it('folds wrong keys into one record per source and minute, with their count', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-30T12:00:10Z'));
    const wrong = (ip: string) =>
      callKeygate('/v1/admin/workspaces', { headers: { 'x-portkey-api-key': 'kg-ak-not-a-real-key-at-all-0000000000000000', 'cf-connecting-ip': ip } });
    for (let index = 0; index < 5; index++) await expectError(await wrong('198.51.100.1'), 401);
    await expectError(await wrong('198.51.100.2'), 401);
    // A wrong key on the gateway is not an admin refusal.
    await expectError(await chat({ model: 'gpt-4o-mini' }, { authorization: 'Bearer kg-ak-wrong', 'cf-connecting-ip': '198.51.100.1' }), 401);
    vi.setSystemTime(new Date('2026-11-30T12:01:30Z'));
    await expectError(await wrong('198.51.100.1'), 401);

    // The minute that is over is written when its alarm runs; the running one waits.
    const chain = env.AUDIT_CHAIN.get(env.AUDIT_CHAIN.idFromName(await organisationId()));
    expect(await runDurableObjectAlarm(chain)).toBe(true);
    const refused = (await auditRecords({ resource_type: 'auth', action: 'refused', response_status_code: 401 })).map((record) => [
      record.client_ip,
      record.count,
      record.timestamp.slice(0, 16),
    ]);
    expect(refused).toEqual([
      ['198.51.100.1', 5, '2026-11-30T12:00'],
      ['198.51.100.2', 1, '2026-11-30T12:00'],
    ]);
    vi.setSystemTime(new Date('2026-11-30T12:03:00Z'));
    expect(await runDurableObjectAlarm(chain)).toBe(true);
    expect(await auditRecords({ resource_type: 'auth', response_status_code: 401 })).toHaveLength(3);
  });

  it('counts a flood of missing keys exactly, though each isolate sends only a few counts on', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-30T13:00:05Z'));
    const keyless = () => callKeygate('/v1/api-keys', { headers: { 'cf-connecting-ip': '198.51.100.9' } });
    for (let index = 0; index < 60; index++) await expectError(await keyless(), 401, 'missing_api_key');
    // The next minute's first refusal carries the rest of the last one's count along.
    vi.setSystemTime(new Date('2026-11-30T13:01:05Z'));
    await expectError(await keyless(), 401);
    vi.setSystemTime(new Date('2026-11-30T13:01:30Z'));
    await runDurableObjectAlarm(env.AUDIT_CHAIN.get(env.AUDIT_CHAIN.idFromName(await organisationId())));
    const [flood] = await auditRecords({ client_ip: '198.51.100.9' });
    expect(flood).toMatchObject({ count: 60, response_status_code: 401, uri: '/v1/api-keys', timestamp: expect.stringMatching(/^2026-11-30T13:00/) });
  });

  it('sends a source’s first refusal of a minute at once, then one count per 50 (RefusalFolds)', async () => {
    const folds = new RefusalFolds();
    const refusal = (at: string, ip: string) => ({ ...(auditRecordLike as AuditRow), timestamp: at, client_ip: ip, count: 1 });
    const sent = Array.from({ length: 120 }, () => folds.add(refusal('2026-11-30T14:00:01.000Z', '192.0.2.1'))).flat();
    expect(sent.map((record) => record.count)).toEqual([1, 50, 50]);
    const next = folds.add(refusal('2026-11-30T14:01:00.000Z', '192.0.2.1'));
    expect(next.map((record) => [record.timestamp.slice(0, 16), record.count])).toEqual([
      ['2026-11-30T14:00', 19],
      ['2026-11-30T14:01', 1],
    ]);
  });
});

describe('secrets', () => {
  it('lists every secret-looking field of every provider as secret', () => {
    for (const provider of PROVIDERS) {
      const fields = [...Object.keys(provider.createFields), ...Object.keys(provider.updateFields)];
      for (const field of fields.filter((name) => /key|secret|token|password|credential/i.test(name))) {
        // Ids and names of keys are not secrets.
        if (/_id$|^aws_region$/.test(field)) continue;
        expect(SECRET_FIELDS.has(field), `${provider.id}.${field}`).toBe(true);
      }
    }
  });

  it('keeps a secret of every kind out of the whole log, in either spelling, at any depth', async () => {
    const secrets: Record<string, string> = {
      openai: 'sk-audit-openai-secret-1111111111111',
      azureKey: 'azure-audit-resource-key-2222222222',
      entraSecret: 'entra-audit-client-secret-33333333',
      awsAccessKeyId: 'fake-audit-access-key-id-4444',
      awsSecret: 'aws-audit-secret-access-key-5555555555',
      awsSession: 'aws-audit-session-token-6666666666666',
      bedrockKey: 'bedrock-audit-api-key-77777777777777',
      rotatedOpenai: 'sk-audit-rotated-secret-888888888888',
    };
    const openai = await createVirtualKey({ name: 'openai', key: secrets.openai });
    await postKey({ name: 'azure', provider: 'azure-openai', resource_name: 'res', deployment_config: [{ deployment_name: 'd', is_default: true, alias: 'gpt-4o' }], key: secrets.azureKey });
    await postKey({
      name: 'entra',
      provider: 'azure-openai',
      resourceName: 'res',
      deploymentConfig: [{ deployment_name: 'd', is_default: true, alias: 'gpt-4o' }],
      azureAuthMode: 'entra',
      azureEntraTenantId: 'contoso.onmicrosoft.com',
      azureEntraClientId: 'client',
      azureEntraClientSecret: secrets.entraSecret,
    });
    await postKey({ name: 'aws', provider: 'bedrock', aws_region: 'us-east-1', aws_access_key_id: secrets.awsAccessKeyId, aws_secret_access_key: secrets.awsSecret, aws_session_token: secrets.awsSession });
    await postKey({ name: 'bedrock key', provider: 'bedrock', aws_region: 'us-east-1', aws_auth_type: 'apiKey', key: secrets.bedrockKey });
    expect((await requestAs(ADMIN_API_KEY, 'PUT', `/v1/virtual-keys/${openai}`, { key: secrets.rotatedOpenai })).status).toBe(200);
    // Keygate's own API keys: the created and the rotated one are answered once and never logged.
    const apiKey = await createApiKey('organisation/service', { scopes: ['virtual_keys.list'] });
    const rotated = (await (await requestAs(ADMIN_API_KEY, 'POST', `/v1/api-keys/${apiKey.id}/rotate`, {})).json()) as { key: string };
    // Refusals record no header: not the wrong key, not the right one.
    await callKeygate('/v1/admin/workspaces', { headers: { authorization: 'Bearer kg-ak-audit-wrong-key-999999999999999999' } });
    // A credential sent as a query parameter, in any spelling, is masked as well.
    const spellings = ['API_KEY', 'ApiKey', 'api-key', 'x-portkey-api-key', 'Authorization', 'x-api-key', 'token', 'access_token', 'secret', 'password', 'Key'];
    const inQuery = spellings.map((name, index) => [name, `query-secret-${index}-abcdefghijklmnop`] as const);
    const queried = await callKeygate(`/v1/admin/workspaces?${new URLSearchParams(inQuery)}`, {
      method: 'POST',
      headers: { 'x-portkey-api-key': ADMIN_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'queried' }),
    });
    expect(queried.status).toBe(200);
    await callKeygate(`/v1/admin/workspaces?${new URLSearchParams(inQuery)}`, { headers: { 'x-portkey-api-key': 'kg-ak-wrong-one' } });
    secrets.queried = inQuery.map(([, value]) => value).join(',');

    const log = await wholeLogText();
    const everySecret = Object.values(secrets).flatMap((value) => value.split(','));
    for (const secret of [...everySecret, apiKey.key, rotated.key, ADMIN_API_KEY, 'kg-ak-audit-wrong-key-999999999999999999']) {
      expect(log, secret).not.toContain(secret);
      expect(log, secret).not.toContain(secret.slice(0, -4));
    }
    expect(log).toContain('********1111');
  });
});

describe('GET /v1/audit-logs', () => {
  it('filters, pages oldest first, and counts the whole match', async () => {
    const workspaceId = await createWorkspace('paged');
    for (let index = 0; index < 5; index++) await createVirtualKey({ name: `paged ${index}`, workspace_id: workspaceId });
    const all = await auditRecords({ workspace_id: workspaceId, resource_type: 'virtual_key' });
    expect(all).toHaveLength(5);
    expect(all.map((record) => JSON.parse(record.request_body).name)).toEqual(['paged 0', 'paged 1', 'paged 2', 'paged 3', 'paged 4']);
    const page = (await (await getAuditLogs({ workspace_id: workspaceId, action: 'create', resource_type: 'virtual_key', page_size: 2, current_page: 1 })).json()) as {
      total: number;
      records: AuditRow[];
    };
    expect(page.total).toBe(5);
    expect(page.records.map((record) => record.entry)).toEqual(all.slice(2, 4).map((record) => record.entry));
    const first = all[0]!;
    expect(await auditRecords({ request_id: first.request_id })).toEqual([first]);
    expect(await auditRecords({ start_time: first.timestamp, end_time: first.timestamp, workspace_id: workspaceId })).toEqual([first]);
    // A date alone is the whole day, at either end.
    const day = first.timestamp.slice(0, 10);
    expect(await auditRecords({ start_time: day, end_time: day, workspace_id: workspaceId, resource_type: 'virtual_key' })).toEqual(all);
    expect(await auditRecords({ method: 'DELETE', workspace_id: workspaceId })).toEqual([]);
    expect(await auditRecords({ organisation_id: await organisationId(), request_id: first.request_id })).toEqual([first]);
  });

  it.each([
    [{ start_time: '' }, 'start_time'],
    [{ end_time: 'yesterday' }, 'end_time'],
    [{ start_time: '2026-12-01T00:00:00Z', end_time: '2026-11-01T00:00:00Z' }, 'end_time'],
    [{ page_size: 101 }, 'page_size'],
    [{ current_page: -1 }, 'current_page'],
    [{ response_status_code: 'ok' }, 'response_status_code'],
    [{ action: 'explode' }, 'action'],
    [{ resource_type: 'x'.repeat(5000) }, 'resource_type'],
    [{ method: 'GET' }, 'method'],
  ])('answers 400 for %j', async (query, param) => {
    const body = await expectError(await getAuditLogs(query), 400, 'invalid_query');
    expect(body.error.message).toContain(param);
    expect(body.error.message.length).toBeLessThan(400);
  });

  it('needs start_time and end_time, and refuses another organisation and non-organisation keys', async () => {
    await expectError(await requestAs(ADMIN_API_KEY, 'GET', '/v1/audit-logs'), 400, 'invalid_query');
    await expectError(await getAuditLogs({ organisation_id: crypto.randomUUID() }), 403, 'organisation_forbidden');
    const workspaceKey = await createWorkspaceKey('ws_default', WORKSPACE_SCOPES);
    await expectError(await getAuditLogs({}, workspaceKey.key), 403, 'missing_scope');
    await expectError(await requestAs(workspaceKey.key, 'GET', '/v1/audit-logs/verify'), 403, 'missing_scope');
    const auditor = await createApiKey('organisation/service', { scopes: ['audit_logs.list'] });
    expect((await getAuditLogs({}, auditor.key)).status).toBe(200);
    expect((await requestAs(auditor.key, 'GET', '/v1/audit-logs/verify')).status).toBe(200);
    // A workspace key can't be given the scope.
    const refused = await requestAs(ADMIN_API_KEY, 'POST', '/v1/api-keys/workspace/service', { name: 'w', workspace_id: 'ws_default', scopes: ['audit_logs.list'] });
    expect(refused.status).toBe(400);
  });
});
