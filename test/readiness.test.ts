// GET /ready: 200 only when the vault key imports, D1 has the latest migration and KV answers;
// otherwise 503 naming the failed check and why, without a secret. /health stays a liveness check.

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { LATEST_MIGRATION } from '../src/http/readiness';
import { callKeygate, testEnv } from './support/keygate';

interface ReadyBody {
  status: string;
  checks: Record<'vault' | 'database' | 'cache', { ok: boolean; error?: string; migration?: string }>;
}

async function ready(envOverrides: Record<string, unknown> = {}): Promise<{ response: Response; body: ReadyBody; text: string }> {
  const response = await callKeygate('/ready', {}, envOverrides);
  const text = await response.text();
  return { response, body: JSON.parse(text) as ReadyBody, text };
}

const migrations = (env as unknown as { TEST_MIGRATIONS: Array<{ name: string }> }).TEST_MIGRATIONS;

describe('GET /ready', () => {
  it('knows the newest migration in migrations/ (update LATEST_MIGRATION with each new one)', () => {
    expect(LATEST_MIGRATION).toBe(migrations.at(-1)!.name);
  });

  it('answers 200 without an API key when the vault key, D1 and KV are all fine', async () => {
    const { response, body } = await ready();
    expect(response.status).toBe(200);
    expect(body).toEqual({
      status: 'ready',
      checks: { vault: { ok: true }, database: { ok: true, migration: LATEST_MIGRATION }, cache: { ok: true } },
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers 503 with a broken VAULT_KEY, which /health does not notice, and never quotes the key', async () => {
    const brokenKey = 'c2hvcnQtYnV0LXNlY3JldC12YXVsdC1rZXk='; // base64, but not 32 bytes
    expect((await callKeygate('/health', {}, { VAULT_KEY: brokenKey })).status).toBe(200);

    const { response, body, text } = await ready({ VAULT_KEY: brokenKey });
    expect(response.status).toBe(503);
    expect(body.status).toBe('not_ready');
    expect(body.checks.vault.ok).toBe(false);
    expect(body.checks.vault.error).toContain('VAULT_KEY must be the standard base64 of 32 random bytes');
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.cache.ok).toBe(true);
    expect(text).not.toContain(brokenKey);
  });

  it('answers 503 without a VAULT_KEY', async () => {
    const { response, body } = await ready({ VAULT_KEY: '' });
    expect(response.status).toBe(503);
    expect(body.checks.vault).toEqual({ ok: false, error: expect.stringContaining('VAULT_KEY') });
  });

  it('answers 503 while the latest migration is not applied, saying which and how to apply it', async () => {
    const applied = await env.DB.prepare('SELECT id, name, applied_at FROM d1_migrations WHERE name = ?1').bind(LATEST_MIGRATION).first();
    expect(applied).not.toBeNull();
    await env.DB.prepare('DELETE FROM d1_migrations WHERE name = ?1').bind(LATEST_MIGRATION).run();
    try {
      const { response, body } = await ready();
      expect(response.status).toBe(503);
      expect(body.checks.database.ok).toBe(false);
      expect(body.checks.database.migration).toBe(migrations.at(-2)!.name);
      expect(body.checks.database.error).toContain(`Migration ${LATEST_MIGRATION} is not applied`);
      expect(body.checks.database.error).toContain('wrangler d1 migrations apply DB --remote');
    } finally {
      await env.DB.prepare('INSERT INTO d1_migrations (id, name, applied_at) VALUES (?1, ?2, ?3)').bind(applied!.id, applied!.name, applied!.applied_at).run();
    }
    expect((await ready()).response.status).toBe(200);
  });

  it('answers 503 when D1 has no migrations at all', async () => {
    const { response, body } = await ready({ DB: { prepare: () => ({ first: () => Promise.reject(new Error('D1_ERROR: no such table: d1_migrations: SQLITE_ERROR')) }) } });
    expect(response.status).toBe(503);
    expect(body.checks.database).toEqual({ ok: false, error: expect.stringContaining(`Migration ${LATEST_MIGRATION} is not applied: run`) });
  });

  it('answers 503 when D1 or KV fails, with the failure', async () => {
    const database = await ready({ DB: { prepare: () => ({ first: () => Promise.reject(new Error('D1_ERROR: Network connection lost.')) }) } });
    expect(database.response.status).toBe(503);
    expect(database.body.checks.database).toEqual({ ok: false, error: 'D1 (DB) failed: D1_ERROR: Network connection lost.' });

    const cache = await ready({ KEY_CACHE: { get: () => Promise.reject(new Error('KV GET failed: 503 Service Unavailable')) } });
    expect(cache.response.status).toBe(503);
    expect(cache.body.checks).toMatchObject({ vault: { ok: true }, database: { ok: true }, cache: { ok: false, error: 'KV (KEY_CACHE) failed: KV GET failed: 503 Service Unavailable' } });
  });
});

describe('GET /ready under load', () => {
  it('reuses its answer for a few seconds per isolate, so it can’t be used to load storage', async () => {
    const sameEnv = testEnv();
    const call = async () => {
      const context = createExecutionContext();
      const response = await worker.fetch(new Request('https://keygate.test/ready') as Parameters<typeof worker.fetch>[0], sameEnv, context);
      await waitOnExecutionContext(context);
      return response;
    };
    expect((await call()).status).toBe(200);
    // Storage breaks; within the cache's time the isolate answers from its last checks, reading nothing.
    let reads = 0;
    (sameEnv as { DB: unknown }).DB = new Proxy(sameEnv.DB, { get: () => { reads++; throw new Error('D1 is down'); } });
    expect((await call()).status).toBe(200);
    expect(reads).toBe(0);
  });
});
