// Defect 11 of the hardening issue: `npm test` must not depend on the developer's own .dev.vars.
// In a copy of the project whose .dev.vars sets every optional secret the README lists (and
// shadows the vars), the workerd tests still see only their own bindings.

import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
let project: string;

const HOSTILE_DEV_VARS = [
  'ADMIN_API_KEY="kg-admin-from-dev-vars-000000000000000000"',
  'VAULT_KEY="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="',
  'AZURE_IDENTITY_TENANT_ID="tenant-from-dev-vars"',
  'AZURE_IDENTITY_CLIENT_ID="client-from-dev-vars"',
  'AZURE_IDENTITY_CLIENT_SECRET="fake-entra-secret-from-dev-vars"',
  'AWS_ACCESS_KEY_ID="AKIA-from-dev-vars"',
  'AWS_SECRET_ACCESS_KEY="secret-from-dev-vars"',
  'ALERT_WEBHOOK_URL="http://127.0.0.1:9/from-dev-vars"',
  'ALERT_WEBHOOK_SECRET="whsec-from-dev-vars"',
  'OPENAI_BASE_URL="http://127.0.0.1:9/from-dev-vars"',
  'UPSTREAM_TIMEOUT_MS="1-from-dev-vars"',
  'SOMETHING_ELSE="from-dev-vars"',
  '',
].join('\n');

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'keygate-own-bindings-'));
  for (const entry of ['package.json', 'wrangler.toml', 'tsconfig.json', 'vitest.config.ts', 'migrations', 'src', 'scripts', 'public', 'test']) {
    await cp(join(root, entry), join(project, entry), { recursive: true });
  }
  await symlink(join(root, 'node_modules'), join(project, 'node_modules'), 'dir');
  await writeFile(join(project, '.dev.vars'), HOSTILE_DEV_VARS, { mode: 0o600 });
});

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('npm test with a developer’s .dev.vars', () => {
  it('runs the workerd tests on their own bindings', { timeout: 120_000 }, async () => {
    // Not this run's own vitest variables: the inner run is a separate `vitest run`.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
    const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
    const run = await promisify(execFile)(process.execPath, [vitest, 'run', '--project', 'workerd', 'test/own-bindings.test.ts'], {
      cwd: project,
      env: { ...env, NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false' },
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
    expect(`${run.stdout}${run.stderr}`).toMatch(/Tests\s+2 passed/);
  });
});
