// `npm run dev` as a new user meets it: in a fresh copy of the project, the first run writes
// .dev.vars, applies the migrations and serves on the port given after `--`; the second run
// keeps .dev.vars exactly as it was. And as a process manager meets it: SIGTERM to npm alone
// stops every server it started.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
let project: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

interface DevRun {
  output: () => string;
  stop: () => Promise<void>;
}

/** `node scripts/dev.mjs -- ...args` in the copy, as `npm run dev -- ...args` runs it. */
async function startDev(port: number): Promise<DevRun> {
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['scripts/dev.mjs', '--port', String(port), '--ip', '127.0.0.1'], {
    cwd: project,
    detached: true,
    env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, WRANGLER_SEND_METRICS: 'false' },
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise((done) => child.on('exit', done));
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
    const healthy = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.ok, () => false);
    if (healthy) return { output: () => output, stop };
    await new Promise((done) => setTimeout(done, 250));
  }
  await stop();
  throw new Error(`npm run dev did not answer /health in time:\n${output}`);
}

/** The processes in process group `group`, with their command lines (Linux and macOS `ps`). */
async function processesInGroup(group: number): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pgid=,pid=,command=']);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pgid]) => Number(pgid) === group)
    .map(([, pid, ...command]) => `${pid} ${command.join(' ')}`);
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((done) => setTimeout(done, 250));
  }
  return condition();
}

const answers = (port: number) => fetch(`http://127.0.0.1:${port}/health`).then((response) => response.ok, () => false);

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'keygate-dev-'));
  for (const entry of ['package.json', 'wrangler.toml', 'tsconfig.json', 'migrations', 'src', 'scripts', 'public']) {
    await cp(join(root, entry), join(project, entry), { recursive: true });
  }
  await symlink(join(root, 'node_modules'), join(project, 'node_modules'), 'dir');
});

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('npm run dev', () => {
  it('sets everything up on the first run and keeps .dev.vars on the next', { timeout: 240_000 }, async () => {
    const firstPort = await freePort();
    const first = await startDev(firstPort);
    let devVars: string;
    let adminApiKey: string;
    try {
      devVars = await readFile(join(project, '.dev.vars'), 'utf8');
      adminApiKey = /^ADMIN_API_KEY="([^"]+)"$/m.exec(devVars)![1]!;
      const vaultKey = /^VAULT_KEY="([^"]+)"$/m.exec(devVars)![1]!;
      expect(Buffer.from(vaultKey, 'base64')).toHaveLength(32);
      expect(adminApiKey.length).toBeGreaterThanOrEqual(32);
      expect((await stat(join(project, '.dev.vars'))).mode & 0o777).toBe(0o600);
      expect(first.output()).toContain('Wrote');

      // The migrations were applied: the admin API can store a key with the generated admin key.
      const created = await fetch(`http://127.0.0.1:${firstPort}/v1/virtual-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminApiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'dev', provider: 'openai', key: 'sk-fake-dev-script-0000000001' }),
      });
      expect(created.status).toBe(200);
    } finally {
      await first.stop();
    }

    const secondPort = await freePort();
    const second = await startDev(secondPort);
    try {
      expect(await readFile(join(project, '.dev.vars'), 'utf8')).toBe(devVars);
      expect(second.output()).toContain('Using the existing');
      // Same admin key, same local database: the key stored by the first run is still there.
      const list = await fetch(`http://127.0.0.1:${secondPort}/v1/virtual-keys`, { headers: { authorization: `Bearer ${adminApiKey}` } });
      expect(((await list.json()) as { total: number }).total).toBe(1);
    } finally {
      await second.stop();
    }
  });

  it('stops every server when npm alone gets SIGTERM, as from a process manager', { timeout: 180_000 }, async () => {
    const port = await freePort();
    // npm itself, as `npm run dev` starts: npm, then `sh -c`, then scripts/dev.mjs, then wrangler
    // and its workerd. Its own process group, so the survivors can be found (and cleaned up).
    const npmCli = process.env.npm_execpath;
    const [command, args] = npmCli?.endsWith('.js') ? [process.execPath, [npmCli]] : ['npm', []];
    let output = '';
    const npm = spawn(command, [...args, 'run', 'dev', '--', '--port', String(port), '--ip', '127.0.0.1'], {
      cwd: project,
      detached: true,
      env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, WRANGLER_SEND_METRICS: 'false' },
    });
    npm.stdout!.on('data', (chunk) => (output += chunk));
    npm.stderr!.on('data', (chunk) => (output += chunk));
    const group = npm.pid!;
    try {
      expect(await until(() => answers(port), 90_000), `npm run dev did not answer /health:\n${output}`).toBe(true);
      expect((await processesInGroup(group)).some((line) => line.includes('workerd'))).toBe(true);

      process.kill(npm.pid!, 'SIGTERM');

      expect(await until(async () => !(await answers(port)), 20_000), 'the port still answers').toBe(true);
      await until(async () => (await processesInGroup(group)).length === 0, 20_000);
      expect(await processesInGroup(group), 'survivors').toEqual([]);
    } finally {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // nothing left, as it should be
      }
    }
  });
});
