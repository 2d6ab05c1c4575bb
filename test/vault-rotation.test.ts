// Master-key rotation: VAULT_KEYS as a keyring, GET /v1/admin/vault, POST /v1/admin/vault/reseal
// and the Cron Trigger's scheduled run, against real local D1 and KV.

import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../src/index';
import { findSealedWithOtherKey, resealStatement } from '../src/store/virtual-key-seals';
import { createApiKey, requestAs } from './support/access';
import { ADMIN_API_KEY, callKeygate, chat, createVirtualKey, expectError, putKey, testEnv } from './support/keygate';

const keyOf = (first: number) => btoa(String.fromCharCode(...Array.from({ length: 32 }, (_value, index) => (first + index) % 256)));
// OLD is the tests' own VAULT_KEY (vitest.config.ts).
const OLD = keyOf(0);
const NEW = keyOf(32);
const NEWER = keyOf(64);
const FOREIGN = keyOf(96);
const ROTATED = { VAULT_KEYS: `${NEW},${OLD}` };

interface VaultStatus {
  current_key_id: string;
  keys: Array<{ id: string; records: number; in_ring: boolean; current: boolean }>;
}
interface ResealAnswer {
  resealed: number;
  skipped: number;
  unreadable: number;
  remaining: number;
  current_key_id: string;
}

function vaultRequest(method: string, path: string, overrides: Record<string, unknown>, body?: unknown): Promise<Response> {
  return callKeygate(
    `/v1/admin/vault${path}`,
    { method, headers: { 'x-portkey-api-key': ADMIN_API_KEY, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) },
    overrides,
  );
}

async function status(overrides: Record<string, unknown>): Promise<VaultStatus> {
  const response = await vaultRequest('GET', '', overrides);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as VaultStatus;
}

async function reseal(overrides: Record<string, unknown>, body?: unknown): Promise<ResealAnswer> {
  const response = await vaultRequest('POST', '/reseal', overrides, body);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as ResealAnswer;
}

async function chatThrough(slug: string, overrides: Record<string, unknown>): Promise<number> {
  return (await chat({ model: 'gpt-4o-mini' }, { 'x-portkey-virtual-key': slug }, overrides)).status;
}

/** Drops a foreign key's audit chain key, so the tests after one that used it start clean. */
async function forgetChainKey(keyId: string): Promise<void> {
  await env.DB.prepare('DELETE FROM audit_chain_keys WHERE key_id = ?1').bind(keyId).run();
}

async function idsOf(overrides: Record<string, unknown>): Promise<string> {
  return (await status(overrides)).current_key_id;
}

afterEach(() => vi.restoreAllMocks());

describe('VAULT_KEYS', () => {
  it('keeps the ids VAULT_KEY gives, and wins over VAULT_KEY when both are set', async () => {
    const oldId = await idsOf({});
    expect(oldId).toMatch(/^mk_[0-9a-f]{16}$/);
    expect(await idsOf({ VAULT_KEYS: OLD })).toBe(oldId);
    const newId = await idsOf({ VAULT_KEY: OLD, ...ROTATED });
    expect(newId).not.toBe(oldId);
    expect(await idsOf({ VAULT_KEY: '', VAULT_KEYS: ` ${NEW} , ${OLD} ` })).toBe(newId);
  });

  it.each([
    ['entry 2 is not base64', `${NEW},not-base64!`, 2],
    ['entry 1 is 16 bytes', `${btoa('sixteen bytes!!!')},${NEW}`, 1],
    ['entry 3 is empty', `${NEW},${OLD},`, 3],
  ])('fails closed when %s, naming the position and never a value', async (_label, keys, position) => {
    const response = await callKeygate('/ready', {}, { VAULT_KEYS: keys });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text).checks.vault.error).toContain(`VAULT_KEYS entry ${position} must be the standard base64 of 32 random bytes`);
    for (const value of keys.split(',')) if (value.length > 4) expect(text).not.toContain(value);
    await expectError(await postFailure(keys), 500, 'vault_key_invalid');
  });
});

async function postFailure(keys: string): Promise<Response> {
  return callKeygate(
    '/v1/virtual-keys',
    { method: 'POST', headers: { 'x-portkey-api-key': ADMIN_API_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'k', provider: 'openai', key: 'sk-x' }) },
    { VAULT_KEYS: keys },
  );
}

describe('rotation with mixed key ids', () => {
  it('opens secrets of every key in the ring, seals new ones with the first, and re-seals in resumable batches', async () => {
    const oldId = await idsOf({});
    const newId = await idsOf(ROTATED);
    const sealedOld = [await createVirtualKey({ name: 'old one' }), await createVirtualKey({ name: 'old two' }), await createVirtualKey({ name: 'old three' })];
    const sealedNew = await createVirtualKey({ name: 'new one' }, ROTATED);

    // Both kinds answer under the ring; the one sealed by the new key does not under the old key alone.
    for (const slug of [...sealedOld, sealedNew]) expect(await chatThrough(slug, ROTATED)).toBe(200);
    await expectError(await chat({ model: 'gpt-4o-mini' }, { 'x-portkey-virtual-key': sealedNew }), 500, 'virtual_key_unreadable');
    expect(await env.DB.prepare('SELECT secret_key_id FROM virtual_keys WHERE slug = ?1').bind(sealedNew).first('secret_key_id')).toBe(newId);

    // Each key also produces the audit chain key of the records made under it.
    expect(await status(ROTATED)).toEqual({
      current_key_id: newId,
      keys: [
        { id: newId, records: 2, in_ring: true, current: true },
        { id: oldId, records: 4, in_ring: true, current: false },
      ],
    });

    expect(await reseal(ROTATED, { limit: 2 })).toEqual({ resealed: 2, skipped: 0, unreadable: 0, remaining: 1, current_key_id: newId });
    // No body at all is the default limit.
    const response = await vaultRequest('POST', '/reseal', ROTATED);
    expect(await response.json()).toEqual({ resealed: 1, skipped: 0, unreadable: 0, remaining: 0, current_key_id: newId });
    expect(await reseal(ROTATED, {})).toEqual({ resealed: 0, skipped: 0, unreadable: 0, remaining: 0, current_key_id: newId });

    const after = await status(ROTATED);
    // Four secrets, its own audit chain key, and the old one now sealed under it.
    expect(after.keys).toEqual([
      { id: newId, records: 6, in_ring: true, current: true },
      { id: oldId, records: 0, in_ring: true, current: false },
    ]);
    // The old key can go: every secret opens with the new key alone.
    for (const slug of [...sealedOld, sealedNew]) expect(await chatThrough(slug, { VAULT_KEYS: NEW })).toBe(200);
    // Re-sealing kept the record's AAD and plaintext: the masks and updates still work.
    expect((await putKey(sealedOld[0]!, { name: 'renamed' }, { VAULT_KEYS: NEW })).status).toBe(200);
  });

  it('leaves a record sealed by a key outside the ring for the operator (remaining, in_ring: false), never answering 500', async () => {
    const foreignId = await idsOf({ VAULT_KEYS: FOREIGN });
    const stranded = await createVirtualKey({ name: 'foreign' }, { VAULT_KEYS: FOREIGN });
    const answer = await reseal(ROTATED);
    // The secret, and the audit chain key of the create's record: only the foreign key gives either.
    expect(answer).toMatchObject({ resealed: 0, unreadable: 0, remaining: 2 });
    const shown = await status(ROTATED);
    expect(shown.keys).toContainEqual({ id: foreignId, records: 2, in_ring: false, current: false });
    // A damaged envelope under a key of the ring is unreadable too.
    await env.DB.prepare("UPDATE virtual_keys SET secret_envelope = secret_envelope || 'AA' WHERE slug = ?1").bind(stranded).run();
    await env.DB.prepare('UPDATE virtual_keys SET secret_key_id = ?2 WHERE slug = ?1').bind(stranded, await idsOf({})).run();
    expect(await reseal(ROTATED)).toMatchObject({ resealed: 0, unreadable: 1, remaining: 2 });
    await env.DB.prepare('DELETE FROM virtual_keys WHERE slug = ?1').bind(stranded).run();
    await forgetChainKey(foreignId);
  });

  it('is never held back by records sealed outside the ring, however many sort first', async () => {
    const foreignSlugs: string[] = [];
    for (let index = 0; index < 12; index++) foreignSlugs.push(await createVirtualKey({ name: `foreign ${index}` }, { VAULT_KEYS: FOREIGN }));
    // They sort before every real id.
    await env.DB.prepare("UPDATE virtual_keys SET id = 'vk_0000' || substr('00' || rowid, -3) WHERE slug IN (SELECT value FROM json_each(?1))")
      .bind(JSON.stringify(foreignSlugs))
      .run();
    const slug = await createVirtualKey({ name: 'behind them' });
    const answer = await reseal(ROTATED, { limit: 1 });
    expect(answer.resealed).toBe(1);
    expect(await chatThrough(slug, { VAULT_KEYS: NEW })).toBe(200);
    await env.DB.prepare('DELETE FROM virtual_keys WHERE slug IN (SELECT value FROM json_each(?1))').bind(JSON.stringify(foreignSlugs)).run();
    await forgetChainKey(await idsOf({ VAULT_KEYS: FOREIGN }));
  });

  it('skips a record whose revision moved after it was read, and the next run re-seals it', async () => {
    const slug = await createVirtualKey({ name: 'racing' });
    const newId = await idsOf(ROTATED);
    const [read] = (await findSealedWithOtherKey(env.DB, [await idsOf({})], '', 100)).filter((row) => row.slug === slug);
    expect(read).toBeDefined();
    // An update lands between the read and the write.
    expect((await putKey(slug, { note: 'changed meanwhile' })).status).toBe(200);
    const [result] = await env.DB.batch([resealStatement(env.DB, read!, 'kg1.stale.envelope.value', newId)]);
    expect(result!.meta.changes).toBe(0);
    const row = await env.DB.prepare('SELECT note, secret_key_id FROM virtual_keys WHERE slug = ?1').bind(slug).first();
    expect(row).toEqual({ note: 'changed meanwhile', secret_key_id: await idsOf({}) });
    expect(await reseal(ROTATED)).toMatchObject({ resealed: 1, remaining: 0 });
    expect(await chatThrough(slug, { VAULT_KEYS: NEW })).toBe(200);
  });
});

describe('access', () => {
  it('needs vault.manage, which only organisation keys can hold', async () => {
    const withScope = await createApiKey('organisation/service', { scopes: ['vault.manage'] });
    const without = await createApiKey('organisation/service', { scopes: ['virtual_keys.list'] });
    expect((await requestAs(withScope.key, 'GET', '/v1/admin/vault', undefined, ROTATED)).status).toBe(200);
    expect((await requestAs(withScope.key, 'POST', '/v1/admin/vault/reseal', { limit: 1 }, ROTATED)).status).toBe(200);
    await expectError(await requestAs(without.key, 'GET', '/v1/admin/vault', undefined, ROTATED), 403);
    await expectError(await requestAs(without.key, 'POST', '/v1/admin/vault/reseal', {}, ROTATED), 403);
    const refused = await requestAs(ADMIN_API_KEY, 'POST', '/v1/api-keys/workspace/service', { name: 'w', workspace_id: 'ws_default', scopes: ['vault.manage'] });
    expect(refused.status).toBe(400);
  });

  it.each([[{ limit: 0 }], [{ limit: 1001 }], [{ limit: 1.5 }], [{ limit: '5' }], [{ other: 1 }]])('refuses the body %j with 400', async (body) => {
    await expectError(await vaultRequest('POST', '/reseal', ROTATED, body), 400, 'invalid_body');
  });
});

describe('the Cron Trigger', () => {
  it('re-seals in batches from the scheduled handler and logs the outcome', async () => {
    const ring = { VAULT_KEYS: `${NEWER},${NEW},${OLD}` };
    const newerId = await idsOf(ring);
    await createVirtualKey({ name: 'cron old' });
    await createVirtualKey({ name: 'cron new' }, ROTATED);
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const context = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *', scheduledTime: Date.now() }), testEnv(ring), context);
    await waitOnExecutionContext(context);
    const lines = info.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ code: 'vault_reseal', remaining: 0, unreadable: 0, current_key_id: newerId }));
    const stale = await env.DB.prepare('SELECT COUNT(*) AS n FROM virtual_keys WHERE secret_key_id != ?1').bind(newerId).first('n');
    expect(stale).toBe(0);
    expect((await status(ring)).keys.filter((key) => key.records > 0).map((key) => key.id)).toEqual([newerId]);
  });
});
