// The audit chain: tamper evidence (each kind of edit someone with D1 write access could make),
// verification in pages, one chain under concurrent changes, no change without its record, budget
// events, and verification across master-key rotation. Real local D1 and Durable Objects.

import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { appendAuditRecord, systemRecord } from '../src/audit/audit-log';
import { SEALED_FIELDS } from '../src/audit/audit-record';
import { forgetChainKeys } from '../src/audit/chain-keys';
import { createApiKey, createWorkspace, requestAs } from './support/access';
import { auditRecords, storedRows, verifyAll, type AuditRow } from './support/audit';
import { ADMIN_API_KEY, adminRequest, callKeygate, chat, createVirtualKey, expectError, postKey, putKey, rowCount } from './support/keygate';

const organisationId = async () => (await env.DB.prepare('SELECT id FROM organisation').first<{ id: string }>())!.id;

const COLUMNS = ['entry', ...SEALED_FIELDS, 'prev_hash', 'hash'] as const;

async function writeRow(row: AuditRow): Promise<void> {
  const values = COLUMNS.map((column) => row[column]);
  await env.DB.prepare(`INSERT OR REPLACE INTO audit_log (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_c, index) => `?${index + 1}`).join(', ')})`)
    .bind(...values)
    .run();
}

/** Some admin changes, so the chain has records to tamper with. */
async function someChanges(count: number): Promise<void> {
  for (let index = 0; index < count; index++) await createVirtualKey({ name: `chained ${index}` });
}

/** Applies `tamper`, expects verification to fail with `reason` at `at` (a row, or null), and undoes it. */
async function expectDetected(tamper: () => Promise<void>, undo: () => Promise<void>, reason: string, at: AuditRow | null): Promise<void> {
  await tamper();
  try {
    const answer = await verifyAll();
    expect(answer.valid).toBe(false);
    // It names the row as it reads now: a changed request_id is shown changed.
    expect(answer.first_invalid).toMatchObject({ entry: at?.entry ?? null, reason });
  } finally {
    await undo();
  }
  expect((await verifyAll()).valid).toBe(true);
}

describe('tamper evidence', () => {
  it('is valid as written, and links each record to the one before', async () => {
    await someChanges(6);
    const rows = await storedRows();
    expect(rows.length).toBeGreaterThanOrEqual(6);
    expect(rows[0]!.prev_hash).toBe('0'.repeat(64));
    for (let index = 1; index < rows.length; index++) expect(rows[index]!.prev_hash).toBe(rows[index - 1]!.hash);
    expect(await verifyAll()).toMatchObject({ valid: true, checked: rows.length, first_invalid: null, next_cursor: null });
  });

  it.each(SEALED_FIELDS.map((field) => [field]))('finds a changed %s', async (field) => {
    const rows = await storedRows();
    const row = rows[2]!;
    const value = row[field];
    const changed = typeof value === 'number' ? value + 1 : value === null ? 'x' : `${value}x`;
    const set = (to: unknown) => env.DB.prepare(`UPDATE audit_log SET ${field} = ?2 WHERE entry = ?1`).bind(row.entry, to).run().then(() => undefined);
    // A key id that names no key can't be checked at all; any other change fails the MAC.
    await expectDetected(() => set(changed), () => set(value), field === 'key_id' ? 'unknown_key' : 'altered', row);
  });

  it('finds a changed hash, and a changed prev_hash', async () => {
    const [, , row, next] = await storedRows();
    const setHash = (to: string) => env.DB.prepare('UPDATE audit_log SET hash = ?2 WHERE entry = ?1').bind(row!.entry, to).run().then(() => undefined);
    // The record's MAC no longer matches, and the next record no longer links to it: the first is reported.
    await expectDetected(() => setHash('f'.repeat(64)), () => setHash(row!.hash), 'altered', row!);
    const setPrev = (to: string) => env.DB.prepare('UPDATE audit_log SET prev_hash = ?2 WHERE entry = ?1').bind(next!.entry, to).run().then(() => undefined);
    await expectDetected(() => setPrev('0'.repeat(64)), () => setPrev(next!.prev_hash!), 'broken_link', next!);
  });

  it('finds a deleted row, two swapped rows, and a cut-off tail', async () => {
    const rows = await storedRows();
    const [, one, two, three] = rows;
    const remove = (row: AuditRow) => env.DB.prepare('DELETE FROM audit_log WHERE entry = ?1').bind(row.entry).run().then(() => undefined);
    await expectDetected(() => remove(two!), () => writeRow(two!), 'broken_link', three!);
    const swap = async () => {
      await writeRow({ ...one!, ...two!, entry: one!.entry });
      await writeRow({ ...two!, ...one!, entry: two!.entry });
    };
    const unswap = async () => {
      await writeRow(one!);
      await writeRow(two!);
    };
    // The first of the two now holds the second's link.
    await expectDetected(swap, unswap, 'broken_link', one!);
    const last = rows[rows.length - 1]!;
    await expectDetected(() => remove(last), () => writeRow(last), 'truncated', null);
  });

  it('finds an inserted row, sealed-looking or not, at the end or once records follow it', async () => {
    const rows = await storedRows();
    const copy = rows[1]!;
    const remove = (entry: number) => env.DB.prepare('DELETE FROM audit_log WHERE entry = ?1').bind(entry).run();
    // A copy of a valid record (with an id of its own: ids are unique), placed after the newest.
    const forged = { ...copy, id: crypto.randomUUID(), entry: rows[rows.length - 1]!.entry + 1, request_id: 'forged' };
    await writeRow(forged);
    expect((await verifyAll()).first_invalid).toMatchObject({ entry: forged.entry, request_id: 'forged', reason: 'not_in_chain' });
    await someChanges(1);
    expect((await verifyAll()).first_invalid).toMatchObject({ request_id: 'forged', reason: 'broken_link' });
    await remove(forged.entry);
    expect((await verifyAll()).valid).toBe(true);

    // Unsealed, hoping the chain writer would seal it: it checks the record's own MAC first.
    const pending = { ...copy, id: crypto.randomUUID(), entry: forged.entry + 10_000, request_id: 'forged pending', prev_hash: null, hash: 'a'.repeat(64) };
    await writeRow(pending);
    expect((await verifyAll()).first_invalid).toMatchObject({ request_id: 'forged pending', reason: 'not_in_chain' });
    await someChanges(1);
    expect((await verifyAll()).first_invalid).toMatchObject({ request_id: 'forged pending', reason: 'unsealed' });
    await remove(pending.entry);
  });

  it('can’t be given a copy of a record waiting to be sealed', async () => {
    const record = await systemRecord(env, { resource_type: 'vault', action: 'reseal', resource_id: 'x', uri: '/test' });
    await appendAuditRecord(env, record); // committed, not sealed yet
    const [waiting] = (await env.DB.prepare('SELECT * FROM audit_log WHERE id = ?1').bind(record.id).all<AuditRow>()).results;
    expect(waiting!.prev_hash).toBeNull();
    // The same id twice is refused by the table; another id fails the record's own MAC.
    const { entry: _entry, ...columns } = waiting!;
    const insert = (row: Omit<AuditRow, 'entry'>) =>
      env.DB.prepare(`INSERT INTO audit_log (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map((_c, index) => `?${index + 1}`).join(', ')})`)
        .bind(...Object.values(row))
        .run();
    await expect(insert(columns)).rejects.toThrow(/UNIQUE/);
    await insert({ ...columns, id: crypto.randomUUID() });
    const answer = await verifyAll();
    expect(answer.first_invalid).toMatchObject({ request_id: record.request_id, reason: 'not_in_chain' });
    await env.DB.prepare('DELETE FROM audit_log WHERE request_id = ?1 AND id != ?2').bind(record.request_id, record.id).run();
    expect((await verifyAll()).valid).toBe(true);
  });
});

describe('verification', () => {
  it('walks the chain in pages that add up to every record', async () => {
    await someChanges(3);
    const total = (await storedRows()).length;
    const paged = await verifyAll(2);
    expect(paged).toMatchObject({ valid: true, checked: total, first_invalid: null });
    expect(paged.pages).toBe(Math.ceil(total / 2));
  });

  it.each(['x', '12', `1:${'g'.repeat(64)}`, `${'9'.repeat(16)}:${'0'.repeat(64)}`])('refuses the cursor %s with 400', async (cursor) => {
    await expectError(await requestAs(ADMIN_API_KEY, 'GET', `/v1/audit-logs/verify?cursor=${encodeURIComponent(cursor)}`), 400, 'invalid_query');
  });

  it('keeps one chain under concurrent changes', async () => {
    const before = (await storedRows()).length;
    const statuses = await Promise.all(Array.from({ length: 20 }, (_value, index) => postKey({ name: `parallel ${index}`, provider: 'openai', key: 'sk-parallel-0000000000000000' })));
    expect(statuses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const rows = await storedRows();
    expect(rows.length - before).toBe(20);
    for (let index = 1; index < rows.length; index++) expect(rows[index]!.prev_hash).toBe(rows[index - 1]!.hash);
    expect((await verifyAll()).valid).toBe(true);
  });
});

describe('records of any text', () => {
  it('seals and verifies records whatever text a request carries, cut at any bound', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(Date.now() - 120_000));
    try {
      // Half an emoji left by the 500-character bound on the path, and on the 64-character address.
      const refusals = [
        `/v1/admin/workspaces/${'a'.repeat(478)}%F0%9F%98%80`,
        `/v1/admin/workspaces/${'a'.repeat(477)}%F0%9F%98%80?q=%F0%9F%98%80&%ED%A0%80=%FF`,
      ];
      for (const path of refusals) await callKeygate(path, { headers: { 'cf-connecting-ip': `${'9'.repeat(63)}\u00e9` } });
      await callKeygate('/v1/admin/workspaces', { headers: { 'x-portkey-api-key': 'kg-ak-wrong', 'cf-connecting-ip': '2001:db8::1' } });
    } finally {
      vi.useRealTimers();
    }
    await runDurableObjectAlarm(env.AUDIT_CHAIN.get(env.AUDIT_CHAIN.idFromName(await organisationId())));
    // Lone surrogates, emoji and long text in a body that is recorded.
    const name = `${'x'.repeat(95)}\ud83d`;
    const response = await adminRequest('POST', '/v1/admin/workspaces', { name: 'text', description: `\ud800 ${'🙂'.repeat(600)} \udfff`, defaults: { metadata: { [name]: '\u0000\u2028' } } });
    expect(response.status, await response.clone().text()).toBe(200);
    await someChanges(1);
    const rows = await storedRows();
    expect(rows.filter((row) => row.prev_hash === null)).toEqual([]);
    expect(await verifyAll()).toMatchObject({ valid: true, first_invalid: null });
  });
});

describe('no change without its record', () => {
  it('answers 503 and applies nothing when the record can’t be written', async () => {
    const slug = await createVirtualKey({ name: 'kept as it was' });
    const workspaceId = await createWorkspace('kept');
    const apiKey = await createApiKey('organisation/service', { scopes: ['virtual_keys.list'] });
    const keysBefore = await rowCount();
    const recordsBefore = (await storedRows()).length;
    await env.DB.prepare("CREATE TRIGGER audit_log_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log down'); END").run();
    try {
      await expectError(await postKey({ name: 'never', provider: 'openai', key: 'sk-never-000000000000000000' }), 503, 'audit_log_unavailable');
      await expectError(await putKey(slug, { name: 'never renamed' }), 503, 'audit_log_unavailable');
      await expectError(await adminRequest('DELETE', `/v1/virtual-keys/${slug}`), 503, 'audit_log_unavailable');
      await expectError(await adminRequest('POST', '/v1/admin/workspaces', { name: 'never' }), 503, 'audit_log_unavailable');
      await expectError(await adminRequest('DELETE', `/v1/admin/workspaces/${workspaceId}`), 503, 'audit_log_unavailable');
      await expectError(await adminRequest('POST', '/v1/api-keys/organisation/service', { name: 'never', scopes: ['virtual_keys.list'] }), 503, 'audit_log_unavailable');
      await expectError(await adminRequest('POST', `/v1/api-keys/${apiKey.id}/rotate`, {}), 503, 'audit_log_unavailable');
      await expectError(await adminRequest('DELETE', `/v1/api-keys/${apiKey.id}`), 503, 'audit_log_unavailable');
    } finally {
      await env.DB.prepare('DROP TRIGGER audit_log_down').run();
    }
    expect(await rowCount()).toBe(keysBefore);
    expect(((await (await adminRequest('GET', `/v1/virtual-keys/${slug}`)).json()) as { name: string }).name).toBe('kept as it was');
    expect((await adminRequest('GET', `/v1/admin/workspaces/${workspaceId}`)).status).toBe(200);
    // The key still works: it was neither rotated nor deleted.
    expect((await requestAs(apiKey.key, 'GET', '/v1/virtual-keys')).status).toBe(200);
    expect((await storedRows()).length).toBe(recordsBefore);
    expect((await verifyAll()).valid).toBe(true);
  });
});

describe('budget events', () => {
  it('records the alert and the exhaustion of a budget once per period, after the calls', async () => {
    const slug = await createVirtualKey({ name: 'budgeted', usage_limits: { credit_limit: 50, type: 'tokens', alert_threshold: 30 } });
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      const response = await chat({ model: `@${slug}/usage-17` });
      await response.text();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 412, 412, 412]);
    const events = await auditRecords({ resource_type: 'budget' });
    expect(events.map((event) => [event.action, event.resource_id, event.user_type, event.response_status_code])).toEqual([
      ['alert', slug, 'system', 200],
      ['exhausted', slug, 'system', 412],
    ]);
    expect(JSON.parse(events[1]!.request_body)).toMatchObject({ usage_limits: { type: 'tokens', credit_limit: 50 }, credit_limit: 50, spent: 51 });
  });
});

const keyOf = (first: number) => btoa(String.fromCharCode(...Array.from({ length: 32 }, (_value, index) => (first + index) % 256)));

describe('master-key rotation', () => {
  const OLD = keyOf(0); // the tests' own VAULT_KEY
  const NEW = keyOf(32);

  it('verifies records of both keys while both are in the ring, and after a re-seal with the new key alone', async () => {
    await someChanges(2);
    await createVirtualKey({ name: 'under the new key' }, { VAULT_KEYS: `${NEW},${OLD}` });
    const rows = await storedRows();
    expect(new Set(rows.map((row) => row.key_id)).size).toBe(2);
    const rotation = rows.filter((row) => row.resource_type === 'vault' && row.action === 'rotate');
    expect(rotation).toHaveLength(1);
    expect(rotation[0]!.resource_id).toBe(rotation[0]!.key_id);
    expect((await verifyAll(1000, { VAULT_KEYS: `${NEW},${OLD}` })).valid).toBe(true);

    // Without the old key and before a re-seal, older records can't be checked: said, not hidden.
    forgetChainKeys();
    expect((await verifyAll(1000, { VAULT_KEYS: NEW })).first_invalid?.reason).toBe('unknown_key');
    forgetChainKeys();
    expect((await requestAs(ADMIN_API_KEY, 'POST', '/v1/admin/vault/reseal', {}, { VAULT_KEYS: `${NEW},${OLD}` })).status).toBe(200);
    forgetChainKeys();
    expect((await verifyAll(1000, { VAULT_KEYS: NEW })).valid).toBe(true);
    // The old chain key's re-seal is recorded, naming the key it is now sealed by.
    const oldKeyId = rows[0]!.key_id;
    const [resealed] = await auditRecords({ resource_type: 'vault', action: 'reseal', resource_id: oldKeyId });
    expect(JSON.parse(resealed!.request_body)).toEqual({ sealed_by: rotation[0]!.key_id });
  });

  it('records a re-seal once per secret re-sealed, even when two re-seals race', async () => {
    const ring = { VAULT_KEYS: `${keyOf(64)},${keyOf(0)}` };
    const slugs = [await createVirtualKey({ name: 'race one' }), await createVirtualKey({ name: 'race two' })];
    const reseals = () => auditRecords({ resource_type: 'virtual_key', action: 'reseal' });
    const before = (await reseals()).length;
    const answers = await Promise.all([1, 2].map(() => requestAs(ADMIN_API_KEY, 'POST', '/v1/admin/vault/reseal', {}, ring)));
    const counts = (await Promise.all(answers.map((answer) => answer.json()))) as Array<{ resealed: number; skipped: number }>;
    const resealed = counts.reduce((sum, answer) => sum + answer.resealed, 0);
    // Every secret sealed by the old key, these two among them, is re-sealed once, and recorded once.
    const records = (await reseals()).slice(before);
    expect(records).toHaveLength(resealed);
    expect(new Set(records.map((record) => record.resource_id)).size).toBe(resealed);
    for (const slug of slugs) expect(records.filter((record) => record.resource_id === slug)).toHaveLength(1);
    forgetChainKeys();
  });

  it('keeps a new master key and the record that starts its era together', async () => {
    const ring = { VAULT_KEYS: `${keyOf(96)},${keyOf(0)}` };
    await env.DB.prepare("CREATE TRIGGER no_rotate BEFORE INSERT ON audit_log WHEN NEW.action = 'rotate' BEGIN SELECT RAISE(ABORT, 'down'); END").run();
    try {
      await createVirtualKey({ name: 'first under a new key' }, ring);
    } finally {
      await env.DB.prepare('DROP TRIGGER no_rotate').run();
    }
    await createVirtualKey({ name: 'second under it' }, ring);
    const newKeyId = (await storedRows()).at(-1)!.key_id;
    expect((await auditRecords({ resource_type: 'vault', action: 'rotate', resource_id: newKeyId })).length).toBe(1);
    // Nothing was left out of the chain while the record could not be written.
    expect((await storedRows()).filter((row) => row.prev_hash === null)).toEqual([]);
    forgetChainKeys();
  });
});
