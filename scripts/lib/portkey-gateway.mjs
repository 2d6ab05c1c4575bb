// Starts Portkey's open-source gateway (the @portkey-ai/gateway npm package, Node) on a port, for
// side-by-side benchmarks. It is pointed at an upstream per request with x-portkey-custom-host.
//
// Only the benchmark needs it, so it is not a devDependency (every `npm install` would fetch it and
// its dependencies): the first `npm run bench` installs the pinned version into
// node_modules/.cache/bench-portkey, and later runs reuse it. `npm test` never loads this file.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The version the numbers in docs/benchmarks.md were measured against. */
export const PORTKEY_GATEWAY_VERSION = '1.15.2';
const cacheDir = join(root, 'node_modules', '.cache', 'bench-portkey');
const packageDir = join(cacheDir, 'node_modules', '@portkey-ai', 'gateway');

function installedVersion() {
  try {
    return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Installs @portkey-ai/gateway into the bench cache unless that version is there already. */
export function ensurePortkeyGateway() {
  if (installedVersion() === PORTKEY_GATEWAY_VERSION) return packageDir;
  const spec = `@portkey-ai/gateway@${PORTKEY_GATEWAY_VERSION}`;
  console.log(`The benchmark compares with Portkey's gateway: installing ${spec} into ${relative(root, cacheDir)} (once; not part of npm install).`);
  mkdirSync(cacheDir, { recursive: true });
  // Its own package.json makes the folder its own npm project: nothing in Keygate's changes.
  const manifest = join(cacheDir, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, `${JSON.stringify({ name: 'keygate-bench-portkey', private: true }, null, 2)}\n`);
  // The npm that runs `npm run bench` when there is one, else the one on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, prefixArgs] = npmCli?.endsWith('.js') ? [process.execPath, [npmCli]] : ['npm', []];
  const args = [...prefixArgs, 'install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', cacheDir, spec];
  console.log(`$ npm ${args.slice(prefixArgs.length).join(' ')}`);
  const install = spawnSync(command, args, { cwd: cacheDir, stdio: 'inherit', shell: process.platform === 'win32' && command === 'npm' });
  if (install.status !== 0 || installedVersion() !== PORTKEY_GATEWAY_VERSION) {
    throw new Error(`Could not install ${spec} for the benchmark (npm exited with ${install.status}). BENCH_TARGETS=floor,keygate runs without it.`);
  }
  return packageDir;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPortkeyGateway() {
  const gatewayDir = ensurePortkeyGateway();
  const port = await freePort();
  const child = spawn(process.execPath, [join(gatewayDir, 'build', 'start-server.js'), `--port=${port}`, '--headless'], {
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ready = await fetch(url).then((response) => response.ok, () => false);
    if (ready) return { url, close: async () => void child.kill('SIGTERM') };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGTERM');
  throw new Error('Portkey gateway did not start');
}
