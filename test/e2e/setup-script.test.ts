// `npm run setup -- --deploy`, without a Cloudflare account: the dry run prints the exact commands
// and wrangler.toml and runs nothing; the real run is driven against a stand-in `wrangler` that
// answers as wrangler 4 does (text and JSON) and records every call and its stdin. The real
// wrangler against the real API is not tested here (no network).

import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { databaseIdIn, deployedUrlIn, jsonArrayIn, namespaceIdIn } from '../../scripts/lib/deploy-config.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const originalToml = await readFile(join(root, 'wrangler.toml'), 'utf8');
let project: string;
let readyServer: Server;
let readyUrl: string;

const DATABASE_ID = '5f0e8c1a-3b2d-4e6f-9a7b-1c2d3e4f5a6b';
const NAMESPACE_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

// A stand-in for node_modules/.bin/wrangler. Its state (resources, secrets, calls) lives in a JSON
// file, so a second setup run finds what the first one made.
const FAKE_WRANGLER = String.raw`
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const statePath = process.env.FAKE_WRANGLER_STATE;
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : { calls: [], databases: [], namespaces: [], secrets: {}, worker: false };
const args = process.argv.slice(2);
const stdin = args[0] === 'secret' && args[1] === 'put' ? readFileSync(0, 'utf8') : '';
state.calls.push({ args, stdin });
const save = () => writeFileSync(statePath, JSON.stringify(state));
const banner = ' ⛅️ wrangler 4.164.0\n───────────────────';
const out = (text) => process.stdout.write(text + '\n');
const command = args.join(' ');
if (command === 'whoami --json') out(JSON.stringify({ loggedIn: true, authType: 'User API Token' }));
else if (command === 'd1 list --json') out(JSON.stringify(state.databases, null, 2));
else if (args[0] === 'd1' && args[1] === 'create') {
  state.databases.push({ uuid: process.env.FAKE_DATABASE_ID, name: args[2], version: 'production' });
  out(banner + "\n✅ Successfully created DB '" + args[2] + "' in region WEUR\nCreated your new D1 database.\n\nTo access your new D1 Database in your Worker, add the following snippet to your configuration file:\n[[d1_databases]]\nbinding = \"" + args[2] + "\"\ndatabase_name = \"" + args[2] + "\"\ndatabase_id = \"" + process.env.FAKE_DATABASE_ID + "\"");
} else if (command === 'kv namespace list') out(JSON.stringify(state.namespaces, null, '  '));
else if (args[0] === 'kv' && args[2] === 'create') {
  state.namespaces.push({ id: process.env.FAKE_NAMESPACE_ID, title: args[3], supports_url_encoding: true });
  out(banner + '\nResource location: remote\n🌀 Creating namespace with title "' + args[3] + '"\n✨ Success!\nTo access your new KV Namespace in your Worker, add the following snippet to your configuration file:\n[[kv_namespaces]]\nbinding = "keygate_key_cache"\nid = "' + process.env.FAKE_NAMESPACE_ID + '"');
} else if (command === 'secret list') {
  if (!state.worker) { save(); process.stderr.write('✘ [ERROR] Worker "keygate" not found.\n\nIf this is a new Worker, run \x60wrangler deploy\x60 first to create it.\n'); process.exit(1); }
  out(JSON.stringify(Object.keys(state.secrets).map((name) => ({ name, type: 'secret_text' })), null, '  '));
} else if (args[0] === 'secret' && args[1] === 'put') {
  state.secrets[args[2]] = stdin;
  state.worker = true;
  out(banner + '\n🌀 Creating the secret for the Worker "keygate"\n✨ Success! Uploaded secret ' + args[2]);
} else if (command === 'd1 migrations apply DB --remote') out(banner + '\n✅ Applied 5 migrations.');
else if (command === 'deploy') {
  state.worker = true;
  out(banner + '\nTotal Upload: 250.00 KiB / gzip: 60.00 KiB\nUploaded keygate (3.21 sec)\nDeployed keygate triggers (0.40 sec)\n  ' + process.env.FAKE_DEPLOY_URL + '\nCurrent Version ID: 0a1b2c3d');
} else { save(); process.stderr.write('fake wrangler: unexpected ' + command + '\n'); process.exit(1); }
save();
`;

interface FakeState {
  calls: Array<{ args: string[]; stdin: string }>;
  secrets: Record<string, string>;
}

async function setup(...flags: string[]): Promise<{ code: number; output: string }> {
  const env: Record<string, string | undefined> = { ...process.env, FAKE_WRANGLER_STATE: join(project, 'fake-wrangler.json'), FAKE_DATABASE_ID: DATABASE_ID, FAKE_NAMESPACE_ID: NAMESPACE_ID, FAKE_DEPLOY_URL: readyUrl };
  delete env.CLOUDFLARE_API_TOKEN;
  return promisify(execFile)(process.execPath, ['scripts/setup.mjs', ...flags], { cwd: project, env }).then(
    ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
}

const commandsIn = (output: string) => output.split('\n').filter((line) => line.startsWith('$ ')).map((line) => line.replace(/\s+#.*$/, ''));
const fakeState = async () => JSON.parse(await readFile(join(project, 'fake-wrangler.json'), 'utf8')) as FakeState;

beforeAll(async () => {
  readyServer = createServer((request, response) => {
    response.writeHead(request.url === '/ready' ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: 'ready', checks: { vault: { ok: true }, database: { ok: true }, cache: { ok: true } } }));
  });
  await new Promise<void>((done) => readyServer.listen(0, '127.0.0.1', done));
  readyUrl = `http://127.0.0.1:${(readyServer.address() as AddressInfo).port}`;
});

beforeEach(async () => {
  if (project) await rm(project, { recursive: true, force: true });
  project = await mkdtemp(join(tmpdir(), 'keygate-setup-'));
  for (const entry of ['package.json', 'wrangler.toml', 'scripts', 'migrations']) await cp(join(root, entry), join(project, entry), { recursive: true });
  await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
  await writeFile(join(project, 'node_modules', '.bin', 'wrangler'), FAKE_WRANGLER);
});

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
  await new Promise((done) => readyServer?.close(done));
});

describe('npm run setup -- --deploy --dry-run', () => {
  it('prints the exact commands and the wrangler.toml it would write, and runs nothing', async () => {
    const { code, output } = await setup('--deploy', '--dry-run');
    expect(code, output).toBe(0);
    expect(commandsIn(output)).toEqual([
      '$ npx wrangler whoami --json',
      '$ npx wrangler d1 list --json',
      '$ npx wrangler d1 create keygate',
      '$ npx wrangler kv namespace list',
      '$ npx wrangler kv namespace create keygate-key-cache',
      '$ npx wrangler secret list',
      '$ npx wrangler secret put VAULT_KEY',
      '$ npx wrangler secret put ADMIN_API_KEY',
      '$ npx wrangler d1 migrations apply DB --remote',
      '$ npx wrangler deploy',
      '$ curl https://keygate.<your-subdomain>.workers.dev/ready',
    ]);
    // The config it prints is today's wrangler.toml with the two ids filled in, nothing else.
    const expectedToml = originalToml
      .replace(/^database_id = "[^"]*"/m, 'database_id = "<the id `wrangler d1 create keygate` prints>"')
      .replace(/^id = "[^"]*"/m, 'id = "<the id `wrangler kv namespace create keygate-key-cache` prints>"');
    expect(expectedToml).not.toBe(originalToml);
    expect(output).toContain(`wrangler.toml would then read:\n\n${expectedToml}`);
    // Nothing ran and nothing was written; no secret was made up either.
    await expect(readFile(join(project, 'fake-wrangler.json'))).rejects.toThrow();
    expect(await readFile(join(project, 'wrangler.toml'), 'utf8')).toBe(originalToml);
    expect(output).not.toMatch(/ADMIN_API_KEY=|VAULT_KEY=/);
  });

  it('keeps the ids wrangler.toml already has', async () => {
    const configured = originalToml.replace(/^database_id = "[^"]*"/m, `database_id = "${DATABASE_ID}"`).replace(/^id = "[^"]*"/m, `id = "${NAMESPACE_ID}"`);
    await writeFile(join(project, 'wrangler.toml'), configured);
    const { code, output } = await setup('--deploy', '--dry-run');
    expect(code, output).toBe(0);
    expect(commandsIn(output)).not.toContain('$ npx wrangler d1 create keygate');
    expect(commandsIn(output)).not.toContain('$ npx wrangler kv namespace create keygate-key-cache');
    expect(output).toContain(`wrangler.toml would then read:\n\n${configured}`);
  });

  it('refuses to run without --deploy', async () => {
    const { code, output } = await setup('--dry-run');
    expect(code).toBe(2);
    expect(output).toContain('Usage: npm run setup -- --deploy [--dry-run]');
  });
});

describe('npm run setup -- --deploy, against a stand-in wrangler', () => {
  it('creates, configures, puts the secrets on stdin, shows them once, migrates, deploys and checks /ready', async () => {
    const { code, output } = await setup('--deploy');
    expect(code, output).toBe(0);

    const state = await fakeState();
    expect(state.calls.map(({ args }) => args.join(' '))).toEqual([
      'whoami --json',
      'd1 list --json',
      'd1 create keygate',
      'kv namespace list',
      'kv namespace create keygate-key-cache',
      'secret list',
      'secret put VAULT_KEY',
      'secret put ADMIN_API_KEY',
      'd1 migrations apply DB --remote',
      'deploy',
    ]);
    const toml = await readFile(join(project, 'wrangler.toml'), 'utf8');
    expect(toml).toContain(`database_id = "${DATABASE_ID}"`);
    expect(toml).toContain(`id = "${NAMESPACE_ID}"`);
    expect(toml.replace(DATABASE_ID, '').replace(NAMESPACE_ID, '')).toBe(originalToml.replace(/"0{8}-0{4}-0{4}-0{4}-0{12}"/, '""').replace(/"0{32}"/, '""'));

    // Secrets travel on stdin only, are well formed, and each is shown exactly once.
    const { VAULT_KEY: vaultKey, ADMIN_API_KEY: adminApiKey } = state.secrets;
    expect(Buffer.from(vaultKey!, 'base64')).toHaveLength(32);
    expect(adminApiKey).toMatch(/^kg-admin-[A-Za-z0-9_-]{32}$/);
    for (const secret of [vaultKey!, adminApiKey!]) {
      expect(output.split(secret)).toHaveLength(2);
      expect(JSON.stringify(state.calls.map(({ args }) => args))).not.toContain(secret);
    }
    expect(output).toContain('Keep it in your password manager or your secret store now');
    expect(output).toContain(`Keygate is ready at ${readyUrl}`);
  });

  it('reuses everything on a second run and never replaces a secret', async () => {
    expect((await setup('--deploy')).code).toBe(0);
    const first = await fakeState();
    const { code, output } = await setup('--deploy');
    expect(code, output).toBe(0);
    const second = (await fakeState()).calls.slice(first.calls.length).map(({ args }) => args.join(' '));
    expect(second).toEqual(['whoami --json', 'secret list', 'd1 migrations apply DB --remote', 'deploy']);
    expect((await fakeState()).secrets).toEqual(first.secrets);
    expect(output).toContain('VAULT_KEY is already set: kept');
    expect(output).not.toContain(first.secrets.ADMIN_API_KEY);
  });

  it('finds a database and namespace made before, by name, instead of creating them', async () => {
    const state = { calls: [], databases: [{ uuid: DATABASE_ID, name: 'keygate' }], namespaces: [{ id: NAMESPACE_ID, title: 'keygate-key-cache' }], secrets: {}, worker: false };
    await writeFile(join(project, 'fake-wrangler.json'), JSON.stringify(state));
    const { code, output } = await setup('--deploy');
    expect(code, output).toBe(0);
    expect((await fakeState()).calls.map(({ args }) => args.join(' '))).not.toContain('d1 create keygate');
    expect(await readFile(join(project, 'wrangler.toml'), 'utf8')).toContain(`database_id = "${DATABASE_ID}"`);
  });
});

describe('reading wrangler’s output', () => {
  it('finds the ids in the TOML and the JSON snippets, and a JSON list among other lines', () => {
    expect(databaseIdIn(`database_name = "keygate"\ndatabase_id = "${DATABASE_ID}"`)).toBe(DATABASE_ID);
    expect(databaseIdIn(`{\n  "d1_databases": [{ "binding": "DB", "database_name": "keygate", "database_id": "${DATABASE_ID}" }]\n}`)).toBe(DATABASE_ID);
    expect(namespaceIdIn(`binding = "KEY_CACHE"\nid = "${NAMESPACE_ID}"`)).toBe(NAMESPACE_ID);
    expect(namespaceIdIn(`{ "kv_namespaces": [{ "binding": "KEY_CACHE", "id": "${NAMESPACE_ID}" }] }`)).toBe(NAMESPACE_ID);
    expect(namespaceIdIn('✨ Success!')).toBeUndefined();
    expect(jsonArrayIn('▲ [WARNING] a newer wrangler is available\n[\n  { "uuid": "x", "name": "keygate" }\n]\n')).toEqual([{ uuid: 'x', name: 'keygate' }]);
    expect(() => jsonArrayIn('✘ [ERROR] Authentication error')).toThrow();
  });

  it('takes the workers.dev address of the deploy, not a docs link or a custom domain', () => {
    const output = [
      '▲ [WARNING] see https://developers.cloudflare.com/workers/ for more',
      'Uploaded keygate (3.21 sec)',
      'Deployed keygate triggers (0.40 sec)',
      '  https://gateway.example.com (custom domain)',
      '  https://keygate.acme.workers.dev',
      'Current Version ID: 0a1b',
    ].join('\n');
    expect(deployedUrlIn(output)).toBe('https://keygate.acme.workers.dev');
    expect(deployedUrlIn('Uploaded keygate\nNo deploy')).toBeUndefined();
  });
});
