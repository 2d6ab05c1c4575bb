// Master-key rotation with no downtime, against the bundle as it deploys: steady gateway load,
// rotate (prepend a new key to VAULT_KEYS), re-seal to remaining 0, drop the old key, and not one
// request fails; and the audit chain still verifies with the new key alone.
//
// What this proves, and what it does not: a "deploy" here is a relaunch of Miniflare onto the same
// D1 (and, for the rotation, the same KV), with the load paused while the runtime restarts; a
// local runtime cannot roll a deploy out gradually as Cloudflare does. Between restarts the load
// never stops: the re-seal runs under it, with isolate and KV caches holding old envelopes. The
// old key is dropped onto an empty KV cache and fresh isolates, which is what the documented bound
// (docs/storage.md, "Master-key rotation") guarantees in production; the test does not wait it out.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../scripts/lib/fake-openai.mjs';
import { buildWorker, launchKeygate, type LaunchedKeygate } from '../../scripts/lib/launch-worker.mjs';

const ADMIN_API_KEY = `kg-admin-${randomBytes(24).toString('base64url')}`;
const OLD = randomBytes(32).toString('base64');
const NEW = randomBytes(32).toString('base64');
const KEYS = 12;
const CONCURRENCY = 4;

let fake: FakeOpenAI;
let workDir: string;
let keygate: LaunchedKeygate | undefined;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  workDir = await mkdtemp(join(tmpdir(), 'keygate-rotation-'));
  await buildWorker(join(workDir, 'bundle'));
});

afterAll(async () => {
  await keygate?.close();
  await fake?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** A deploy with `vaultKeys`: the same D1 throughout, and the KV directory named. */
async function deploy(vaultKeys: string, kv: string, migrate = false): Promise<LaunchedKeygate> {
  await keygate?.close();
  keygate = await launchKeygate({
    vars: { OPENAI_BASE_URL: `${fake.url}/v1`, ADMIN_API_KEY, VAULT_KEY: '', VAULT_KEYS: vaultKeys },
    bundleDir: join(workDir, 'bundle'),
    persist: { d1: join(workDir, 'd1'), kv: join(workDir, kv), durableObjects: join(workDir, 'durable-objects') },
    migrate,
  });
  return keygate;
}

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${keygate!.url}${path}`, {
    method,
    headers: { 'x-portkey-api-key': ADMIN_API_KEY, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

/** A few concurrent chat calls in a loop, each through one of `slugs`; every answer but 200 is a failure. */
function startLoad(slugs: string[]) {
  const failures: string[] = [];
  let succeeded = 0;
  let running = true;
  let next = 0;
  const worker = async () => {
    while (running) {
      const slug = slugs[next++ % slugs.length]!;
      try {
        const response = await fetch(`${keygate!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'x-portkey-virtual-key': slug, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }),
        });
        const text = await response.text();
        if (response.status === 200) succeeded++;
        else failures.push(`${slug}: ${response.status} ${text.slice(0, 200)}`);
      } catch (error) {
        failures.push(`${slug}: ${String(error)}`);
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  return {
    failures,
    succeeded: () => succeeded,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('rotates the master key under steady gateway load without one failed request', async () => {
  // Before: one key seals everything. The KV cache fills under load.
  await deploy(OLD, 'kv-before', true);
  const slugs: string[] = [];
  for (let index = 0; index < KEYS; index++) {
    const created = await admin('POST', '/v1/virtual-keys', { name: `load ${index}`, provider: 'openai', key: `sk-fake-${index}-0000000000000000` });
    slugs.push(created.data.slug);
  }
  const oldId = (await admin('GET', '/v1/admin/vault')).current_key_id;
  let load = startLoad(slugs);
  await pause(1_000);
  await load.stop();
  const failures = [...load.failures];
  let succeeded = load.succeeded();

  // Rotate: the new key first, the old one still in the ring; KV keeps the old envelopes it cached.
  await deploy(`${NEW},${OLD}`, 'kv-before');
  load = startLoad(slugs);
  await pause(500);
  const status = await admin('GET', '/v1/admin/vault');
  // Each key also produces the audit chain key of the records sealed under it.
  expect(status.keys).toEqual([
    { id: status.current_key_id, records: 1, in_ring: true, current: true },
    { id: oldId, records: KEYS + 1, in_ring: true, current: false },
  ]);
  // Re-seal in small batches while the load runs, until nothing is left.
  let answer = { remaining: KEYS, resealed: 0 };
  let calls = 0;
  while (answer.remaining > 0 && calls++ < 10) {
    answer = await admin('POST', '/v1/admin/vault/reseal', { limit: 5 });
    await pause(200);
  }
  expect(answer.remaining).toBe(0);
  const after = await admin('GET', '/v1/admin/vault');
  expect(after.keys.find((key: { id: string }) => key.id === oldId).records).toBe(0);
  await pause(500);
  await load.stop();
  failures.push(...load.failures);
  succeeded += load.succeeded();

  // After the bound: every cached copy has expired (a new KV directory) and the isolates are new.
  await deploy(NEW, 'kv-after');
  load = startLoad(slugs);
  await pause(1_000);
  await load.stop();
  failures.push(...load.failures);
  succeeded += load.succeeded();
  // The secrets, the new key's own audit chain key, and the old one's, sealed under the new key.
  expect((await admin('GET', '/v1/admin/vault')).keys).toEqual([{ id: after.current_key_id, records: KEYS + 2, in_ring: true, current: true }]);
  // Every audit record, of both keys, still verifies; the new key's era starts with a record.
  expect(await admin('GET', '/v1/audit-logs/verify')).toMatchObject({ valid: true, first_invalid: null, next_cursor: null });
  const rotations = await admin('GET', '/v1/audit-logs?start_time=2000-01-01&end_time=2100-01-01&resource_type=vault&action=rotate');
  expect(rotations.records.map((record: { resource_id: string }) => record.resource_id)).toEqual([after.current_key_id]);

  expect(failures).toEqual([]);
  expect(succeeded).toBeGreaterThan(3 * CONCURRENCY);
});
