// GET /ready, for operators and load balancers (no API key): can this deployment serve requests?
// `/health` only says the Worker runs; this checks what every request needs:
// - vault: every key of VAULT_KEYS (or VAULT_KEY) imports, so a bad old key shows before it is needed;
// - database: D1 answers, with the migrations this code needs applied;
// - cache: KV answers.
// 200 `{status: "ready", checks}` or 503 `{status: "not_ready", checks}`, each failed check with
// why. The reasons name settings and commands, never a value: no secret can reach this answer.

import type { Context } from 'hono';
import { KeygateError } from '../errors';
import { failureFields, logEvent } from '../log';
import { masterKeyRing } from '../vault/master-key';
import type { AppEnv } from './context';

/**
 * The newest file in migrations/. The Worker cannot read that folder, so its name is written here;
 * test/readiness.test.ts fails when a new migration is added without updating it.
 */
export const LATEST_MIGRATION = '0009_usage_analytics.sql';

/** A key Keygate never writes (see src/store/kv-keys.ts): reading it only proves KV answers. */
const KV_PROBE_KEY = 'ready:probe';

/** A check that hangs must not hang the answer. */
const CHECK_TIMEOUT_MS = 5_000;

export interface CheckResult {
  ok: boolean;
  /** Why the check failed: what to fix, never a secret. */
  error?: string;
  /** The newest migration the database has, for the database check. */
  migration?: string;
}

async function checkVault(env: Env): Promise<CheckResult> {
  try {
    await masterKeyRing(env);
    return { ok: true };
  } catch (error) {
    // KeygateError messages name the setting, never its value.
    return { ok: false, error: error instanceof KeygateError ? error.message : 'VAULT_KEYS (or VAULT_KEY) could not be imported.' };
  }
}

async function checkDatabase(env: Env): Promise<CheckResult> {
  const row = await env.DB.prepare('SELECT name FROM d1_migrations ORDER BY name DESC LIMIT 1')
    .first<{ name: string }>()
    .catch((error: unknown) => {
      // No d1_migrations table: no migration was ever applied to this database.
      if (error instanceof Error && /no such table/i.test(error.message)) return null;
      throw error;
    });
  const newest = row?.name;
  // Migration names start with a zero-padded number, so they sort as they were numbered.
  if (newest !== undefined && newest >= LATEST_MIGRATION) return { ok: true, migration: newest };
  return {
    ok: false,
    ...(newest === undefined ? {} : { migration: newest }),
    error: `Migration ${LATEST_MIGRATION} is not applied${newest ? ` (the newest applied is ${newest})` : ''}: run \`wrangler d1 migrations apply DB --remote\`.`,
  };
}

async function checkCache(env: Env): Promise<CheckResult> {
  await env.KEY_CACHE.get(KV_PROBE_KEY);
  return { ok: true };
}

async function withinTime(name: string, check: Promise<CheckResult>): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `${name} did not answer within ${CHECK_TIMEOUT_MS / 1000} s.` }), CHECK_TIMEOUT_MS);
  });
  const failed = (error: unknown): CheckResult => ({ ok: false, error: `${name} failed: ${failureFields(error).message || 'no message'}` });
  try {
    return await Promise.race([check.catch(failed), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How long an isolate reuses its last answer. /ready needs no API key, so without this anyone
 * could make every call cost a D1 read and a KV read (and a log line while a check fails).
 */
export const READINESS_CACHE_MS = 5_000;

type Checks = Record<'vault' | 'database' | 'cache', CheckResult>;
// Per env object: the runtime keeps one per isolate, and a changed configuration is a new one.
const recentAnswers = new WeakMap<Env, { checks: Checks; at: number }>();

async function runChecks(c: Context<AppEnv>): Promise<Checks> {
  const [vault, database, cache] = await Promise.all([
    withinTime('VAULT_KEY', checkVault(c.env)),
    withinTime('D1 (DB)', checkDatabase(c.env)),
    withinTime('KV (KEY_CACHE)', checkCache(c.env)),
  ]);
  const checks = { vault, database, cache };
  const failed = Object.entries(checks).filter(([, result]) => !result.ok);
  if (failed.length > 0) {
    logEvent('warn', 'not_ready', { requestId: c.get('requestId'), failed: Object.fromEntries(failed.map(([name, result]) => [name, result.error])) });
  }
  return checks;
}

export async function readiness(c: Context<AppEnv>): Promise<Response> {
  const recent = recentAnswers.get(c.env);
  const now = Date.now();
  const checks = recent && now - recent.at < READINESS_CACHE_MS ? recent.checks : await runChecks(c);
  if (checks !== recent?.checks) recentAnswers.set(c.env, { checks, at: now });
  const ready = checks.vault.ok && checks.database.ok && checks.cache.ok;
  return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503, { 'cache-control': 'no-store' });
}
