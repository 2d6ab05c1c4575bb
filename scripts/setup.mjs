#!/usr/bin/env node
// `npm run setup -- --deploy`: Keygate on your workers.dev subdomain in one command.
// 1. Checks you are logged in (`npx wrangler login`, or CLOUDFLARE_API_TOKEN when it is set).
// 2. Creates the D1 database and the KV namespace, or reuses ones of the same name, and writes
//    their ids into wrangler.toml.
// 3. Generates VAULT_KEY and ADMIN_API_KEY, puts them as Worker secrets (on wrangler's stdin, never
//    on a command line) and shows them once. An existing secret is never replaced: a new VAULT_KEY
//    would make every stored provider key unreadable.
// 4. Applies the D1 migrations to the remote database, deploys, and waits for GET /ready.
// Run it again after a failure: every step reuses what the previous run made.
//
// `--dry-run` prints the exact commands and the wrangler.toml it would write, and runs nothing.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseIdIn, deployedUrlIn, isPlaceholderId, jsonArrayIn, namespaceIdIn, readDeployConfig, withResourceIds } from './lib/deploy-config.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tomlPath = join(root, 'wrangler.toml');
const wranglerBin = join(root, 'node_modules', '.bin', 'wrangler');
const READY_TIMEOUT_MS = 120_000;

const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
if (!args.includes('--deploy') || args.some((arg) => !['--deploy', '--dry-run'].includes(arg))) {
  console.error('Usage: npm run setup -- --deploy [--dry-run]');
  console.error('  --deploy   create the D1 database and KV namespace, put the secrets, migrate, deploy');
  console.error('  --dry-run  print the commands and the wrangler.toml, and run nothing');
  process.exit(2);
}

function fail(message) {
  console.error(`\n✗ ${message}`);
  process.exit(1);
}

/** Runs wrangler in the project, `input` on its stdin; resolves with its exit code and output. */
function run(commandArgs, input) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [wranglerBin, ...commandArgs], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', (error) => resolve({ code: 1, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => {
      const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');
      resolve({ code: code ?? 1, stdout: plain(stdout), stderr: plain(stderr) });
    });
    child.stdin.end(input ?? '');
  });
}

/**
 * One wrangler command: printed as you would type it, then run (not in a dry run, where it
 * resolves with undefined). A failure stops the setup with wrangler's output unless `mayFail`.
 */
async function wrangler(commandArgs, { note, input, mayFail = false } = {}) {
  console.log(`$ npx wrangler ${commandArgs.join(' ')}${note ? `    # ${note}` : ''}`);
  if (dryRun) return undefined;
  const result = await run(commandArgs, input);
  if (result.code !== 0 && !mayFail) fail(`npx wrangler ${commandArgs.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result;
}

async function checkLogin() {
  console.log(
    process.env.CLOUDFLARE_API_TOKEN
      ? 'Authenticating with the API token in CLOUDFLARE_API_TOKEN.'
      : 'Authenticating with your `npx wrangler login` (or set CLOUDFLARE_API_TOKEN to use an API token).',
  );
  const whoami = await wrangler(['whoami', '--json'], { note: 'logged in?', mayFail: true });
  if (whoami && whoami.code !== 0) {
    fail('Not logged in to Cloudflare. Run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN to a token that may edit Workers scripts, D1 and Workers KV.');
  }
}

async function ensureDatabase({ databaseName, databaseId }) {
  if (!isPlaceholderId(databaseId)) {
    console.log(`D1: wrangler.toml already names database ${databaseId}; kept.`);
    return databaseId;
  }
  const list = await wrangler(['d1', 'list', '--json'], { note: `reuse a database named ${databaseName} if there is one` });
  const existing = list && jsonArrayIn(list.stdout).find((database) => database.name === databaseName);
  if (existing) return existing.uuid;
  const created = await wrangler(['d1', 'create', databaseName], { note: 'only when there is none' });
  if (!created) return `<the id \`wrangler d1 create ${databaseName}\` prints>`;
  const id = databaseIdIn(created.stdout) ?? jsonArrayIn((await wrangler(['d1', 'list', '--json'])).stdout).find((database) => database.name === databaseName)?.uuid;
  return id ?? fail(`wrangler d1 create printed no database id:\n${created.stdout}`);
}

async function ensureNamespace({ namespaceTitle, namespaceId }) {
  if (!isPlaceholderId(namespaceId)) {
    console.log(`KV: wrangler.toml already names namespace ${namespaceId}; kept.`);
    return namespaceId;
  }
  const list = await wrangler(['kv', 'namespace', 'list'], { note: `reuse a namespace titled ${namespaceTitle} if there is one` });
  const existing = list && jsonArrayIn(list.stdout).find((namespace) => namespace.title === namespaceTitle);
  if (existing) return existing.id;
  const created = await wrangler(['kv', 'namespace', 'create', namespaceTitle], { note: 'only when there is none' });
  if (!created) return `<the id \`wrangler kv namespace create ${namespaceTitle}\` prints>`;
  const id = namespaceIdIn(created.stdout) ?? jsonArrayIn((await wrangler(['kv', 'namespace', 'list'])).stdout).find((namespace) => namespace.title === namespaceTitle)?.id;
  return id ?? fail(`wrangler kv namespace create printed no namespace id:\n${created.stdout}`);
}

function writeConfig(toml, ids) {
  const updated = withResourceIds(toml, ids);
  if (dryRun) {
    console.log('\nwrangler.toml would then read:\n');
    console.log(updated);
  } else if (updated !== toml) {
    writeFileSync(tomlPath, updated);
    console.log('Wrote the database and namespace ids into wrangler.toml. Commit it: ids are not secret, and the next deploy needs them.');
  }
}

/** The names of the Worker's secrets; none before its first deploy. */
async function secretNames() {
  const list = await wrangler(['secret', 'list'], { note: 'an existing secret is kept, never replaced', mayFail: true });
  if (!list) return [];
  if (list.code !== 0) {
    if (/not found/i.test(`${list.stdout}${list.stderr}`)) return []; // no Worker yet
    fail(`npx wrangler secret list failed:\n${list.stdout}${list.stderr}`);
  }
  return jsonArrayIn(list.stdout).map((secret) => secret.name);
}

async function putSecrets() {
  const existing = await secretNames();
  const wanted = {
    VAULT_KEY: ['a new random 32-byte key, base64', () => randomBytes(32).toString('base64')],
    ADMIN_API_KEY: ['a new random admin key', () => `kg-admin-${randomBytes(24).toString('base64url')}`],
  };
  for (const [name, [description, generate]] of Object.entries(wanted)) {
    if (existing.includes(name)) {
      console.log(`${name} is already set: kept (Cloudflare never shows it again).`);
      continue;
    }
    const value = dryRun ? undefined : generate();
    await wrangler(['secret', 'put', name], { note: `value on stdin: ${description}`, input: value });
    // Shown right after its own put: a later step that fails must not take the only copy with it.
    if (value) showOnce(name, value);
  }
}

const KEEP_IT = {
  ADMIN_API_KEY: [
    'Keep it in your password manager or your secret store now: Cloudflare keeps it encrypted and',
    'never shows it again. It holds every scope; use it to give each app its own API key (see the',
    'README, "Give each app its own key"), then you can remove it.',
  ],
  VAULT_KEY: [
    'Keep a copy offline, apart from your data: without it the stored provider keys cannot be',
    'decrypted, and Cloudflare never shows it again.',
  ],
};

/** Prints a generated secret, once. Run setup in a terminal, not where its output is logged. */
function showOnce(name, value) {
  console.log(`\n  ${name === 'VAULT_KEY' ? 'The vault key' : 'Your admin API key'}, shown this once:\n`);
  console.log(`    ${name}=${value}\n`);
  for (const line of KEEP_IT[name]) console.log(`  ${line}`);
  console.log('');
}

async function deploy(workerName) {
  await wrangler(['d1', 'migrations', 'apply', 'DB', '--remote'], { note: 'the schema, before the code that needs it' });
  const deployed = await wrangler(['deploy']);
  if (!deployed) return `https://${workerName}.<your-subdomain>.workers.dev`;
  return deployedUrlIn(deployed.stdout) ?? fail(`wrangler deploy printed no URL:\n${deployed.stdout}`);
}

/** Polls GET /ready: a new workers.dev address can take a minute to answer. */
async function waitUntilReady(url) {
  console.log(`$ curl ${url}/ready`);
  if (dryRun) return;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      if (response.status === 200) {
        console.log(`\n✓ Keygate is ready at ${url}\n  ${body}\n  Point your SDK's baseURL at ${url}/v1.`);
        return;
      }
      last = `${response.status} ${body}`;
      if (response.status === 503) break; // Keygate answered: waiting will not fix what it says
    } catch (error) {
      last = error instanceof Error ? (error.cause?.code ?? error.message) : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
  fail(`${url}/ready did not answer ready: ${last}\nRun \`curl ${url}/ready\` again in a minute; it says which check fails.`);
}

const toml = readFileSync(tomlPath, 'utf8');
const config = readDeployConfig(toml);
console.log(dryRun ? 'Dry run: these are the commands `npm run setup -- --deploy` runs. Nothing is run or written.\n' : 'Setting up Keygate on Cloudflare.\n');
await checkLogin();
const databaseId = await ensureDatabase(config);
const namespaceId = await ensureNamespace(config);
writeConfig(toml, { databaseId, namespaceId });
await putSecrets();
await waitUntilReady(await deploy(config.workerName));
