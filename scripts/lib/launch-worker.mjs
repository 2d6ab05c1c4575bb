// Starts Keygate in Node for end-to-end tests and benchmarks, as close to production as a local
// run gets: the bundle is the one `wrangler deploy` would upload (not `wrangler dev`'s build), it
// runs in workerd through Miniflare, and D1 starts from the real migrations.
//
//   const keygate = await launchKeygate({ vars: { OPENAI_BASE_URL: `${fake.url}/v1` } });
//   // ... talk to keygate.url with keygate.adminApiKey ...
//   await keygate.close();
//
// Every launch is isolated: a fresh build directory, in-memory D1 and KV, and new random secrets.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Miniflare, supportedCompatibilityDate } from 'miniflare';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');

/** The `[vars]` table and top-level settings of wrangler.toml. Enough TOML for this one file. */
function parseWranglerToml(text) {
  const setting = (name) => new RegExp(`^${name}\\s*=\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  const compatibilityDate = setting('compatibility_date')?.replace(/^"|"$/g, '');
  if (!compatibilityDate) throw new Error('wrangler.toml has no compatibility_date');
  const flags = setting('compatibility_flags');
  const compatibilityFlags = flags ? [...flags.matchAll(/"([^"]+)"/g)].map((match) => match[1]) : [];
  // The [vars] section runs from its header to the next table header (or the end of the file).
  const section = /^\[vars\]\s*$([\s\S]*?)(?=^\s*\[|(?![\s\S]))/m.exec(text)?.[1] ?? '';
  const pairs = section.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/gm);
  const vars = Object.fromEntries([...pairs].map(([, name, value]) => [name, value]));
  return { compatibilityDate, compatibilityFlags, vars };
}

/**
 * The workerd processes this Node process has started (Linux only; none elsewhere), for the CPU
 * time a launch's runtime spends: benchmarks divide it by the requests served, which varies far
 * less from run to run than req/s on a machine shared with the load generator.
 */
async function workerdChildren() {
  const pids = new Set();
  for (const name of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (!stat.includes('(workerd)')) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === process.pid) pids.add(Number(name));
  }
  return pids;
}

/** CPU seconds (user and system) the new workerd process has used so far, or NaN if unknown. */
function cpuMeter(before, after) {
  const started = [...after].filter((pid) => !before.has(pid));
  if (started.length !== 1) return () => Promise.resolve(NaN);
  return async () => {
    const stat = await readFile(`/proc/${started[0]}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of the stat line, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
}

/**
 * Builds with `wrangler deploy --dry-run`, so what runs is exactly what would deploy. Exported
 * for tests that launch one bundle several times (`bundleDir`).
 */
export async function buildWorker(outdir, { minify = true, entry } = {}) {
  // node_modules/.bin/wrangler starts with `#!/usr/bin/env node`; putting this process's Node first
  // on PATH makes it run on the same (new enough) Node as the caller, whatever the system has.
  const env = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    WRANGLER_SEND_METRICS: 'false', // no network calls from a build
  };
  try {
    await promisify(execFile)(wrangler, ['deploy', '--dry-run', '--outdir', outdir, ...(minify ? [] : ['--minify=false']), ...(entry ? [entry] : [])], { cwd: root, env, maxBuffer: 16 << 20 });
  } catch (error) {
    throw new Error(`wrangler deploy --dry-run failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`);
  }
  // wrangler names the output after the entry module; launches look for index.js.
  if (entry) await rename(join(outdir, `${basename(entry).replace(/\.[cm]?[jt]s$/, '')}.js`), join(outdir, 'index.js'));
  return join(outdir, 'index.js');
}

/** Each migration file, in name order, one statement at a time (D1 runs one per prepare). */
async function applyMigrations(db) {
  const dir = join(root, 'migrations');
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()) {
    const sql = (await readFile(join(dir, file), 'utf8')).replace(/^\s*--.*$/gm, '');
    // Statements end with `;` at the end of a line; that keeps `;` inside string literals safe.
    for (const statement of sql.split(/;[ \t]*$/m).map((text) => text.trim()).filter(Boolean)) {
      await db.prepare(statement).run().catch((error) => {
        throw new Error(`migration ${file} failed at: ${statement.slice(0, 200)}\n${error.message}`);
      });
    }
  }
}

/**
 * workerd refuses to start a Worker dated later than the runtime itself. wrangler.toml's date is
 * kept within what the root `miniflare` supports; say clearly if the two drift apart.
 */
function checkCompatibilityDate(wanted) {
  if (wanted > supportedCompatibilityDate) {
    throw new Error(
      `wrangler.toml asks for compatibility_date ${wanted}, but the installed miniflare (workerd) supports ` +
        `up to ${supportedCompatibilityDate}: upgrade miniflare or lower the date.`,
    );
  }
  return wanted;
}

/**
 * wrangler.toml's [assets]: each file in public/ (the OpenAPI document) is answered at its path
 * without running Keygate, as Cloudflare's asset layer does. Miniflare routes those exact paths to
 * a small Worker of its own that hands them to the assets. Not `assets` on Keygate's Worker: that
 * puts Miniflare's asset router in front of every request, which added 0.5 to 1 ms to each here
 * and, after a response that left a POST body unread (a 401), sometimes reset the client's next
 * request on the same connection.
 */
async function staticAssets(compatibilityDate) {
  const directory = join(root, 'public');
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  // _headers is the asset layer's configuration (the dashboard's CSP), never a file it serves.
  const paths = entries
    .filter((entry) => entry.isFile() && entry.name !== '_headers')
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)));
  return {
    name: 'static-assets',
    modules: true,
    // Miniflare's routes lead to a Worker's code, never to its asset router, hence this one line.
    script: 'export default { fetch: (request, env) => env.ASSETS.fetch(request) };',
    compatibilityDate,
    assets: { directory, binding: 'ASSETS' },
    // `/` is index.html (the dashboard), as Cloudflare serves it.
    routes: [...paths.map((path) => `*/${path.split(sep).join('/')}`), ...(paths.includes('index.html') ? ['*/'] : [])],
  };
}

/**
 * Builds and starts Keygate. `vars` override wrangler.toml's [vars] and may also set the secrets
 * ADMIN_API_KEY and VAULT_KEY (random ones are generated otherwise). `port: 0` picks a free port;
 * `inspectorPort` opens V8's inspector there (see scripts/profile.mjs); `ledgerInMemory` keeps
 * Durable Object storage on a memory-backed file system (/dev/shm) instead of local disk; `minify: false` builds readable code
 * (for profiles) instead of what deploys; `bundleDir` runs a bundle built before (by
 * `wrangler deploy --dry-run --outdir <dir>`) instead of building one, and leaves it in place;
 * `entry` builds another entry module than wrangler.toml's `main` (a benchmark's wrapper).
 *
 * A relaunch with new secrets (a deploy of a changed VAULT_KEYS, say) keeps its data with
 * `persist: { d1, kv, durableObjects? }`: directories for D1, KV and Durable Object storage that
 * outlive the launch (the caller removes them). A launch onto a D1 directory whose migrations are applied passes `migrate: false`; a new
 * `kv` directory starts with an empty cache, as if every cached entry had expired.
 */
export async function launchKeygate({ vars = {}, port = 0, inspectorPort, ledgerInMemory = false, minify = true, bundleDir, entry, persist, migrate = true } = {}) {
  const toml = parseWranglerToml(await readFile(join(root, 'wrangler.toml'), 'utf8'));
  const bindings = {
    ...toml.vars,
    ADMIN_API_KEY: `kg-admin-${randomBytes(24).toString('base64url')}`,
    VAULT_KEY: randomBytes(32).toString('base64'),
    ...vars,
  };

  const outdir = bundleDir ?? (await mkdtemp(join(tmpdir(), 'keygate-build-')));
  // Ledgers keep their rows in SQLite, which Miniflare's ephemeral Durable Objects lack: "in
  // memory" is SQLite files on a RAM-backed file system, so a durable write costs no disk commit.
  const memoryDir = ledgerInMemory ? await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'keygate-ledgers-')) : null;
  const removeBuild = async () => {
    if (memoryDir) await rm(memoryDir, { recursive: true, force: true });
    if (!bundleDir) await rm(outdir, { recursive: true, force: true });
  };
  let mf;
  try {
    const scriptPath = bundleDir ? join(bundleDir, 'index.js') : await buildWorker(outdir, { minify, entry });
    const compatibilityDate = checkCompatibilityDate(toml.compatibilityDate);
    const workerdBefore = await workerdChildren();
    mf = new Miniflare({
      host: '127.0.0.1',
      port,
      // Only `npm run profile` sets this: V8's inspector, for CPU profiles of the running Worker.
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
      // Persistence is one of Miniflare's shared options, not a Worker's.
      ...(persist ? { d1Persist: persist.d1, kvPersist: persist.kv, ...(persist.durableObjects ? { durableObjectsPersist: persist.durableObjects } : {}) } : {}),
      ...(memoryDir ? { durableObjectsPersist: memoryDir } : {}),
      workers: [
        {
          name: 'keygate',
          modules: true,
          scriptPath,
          // Module names are paths relative to modulesRoot (default: cwd); workerd rejects `..` in them.
          modulesRoot: outdir,
          compatibilityDate,
          compatibilityFlags: toml.compatibilityFlags,
          // Unpersisted storage unless `persist` names directories: every launch starts empty.
          kvNamespaces: ['KEY_CACHE'],
          d1Databases: ['DB'],
          durableObjects: { KEY_LEDGER: { className: 'KeyLedger', useSQLite: true }, AUDIT_CHAIN: { className: 'AuditChain', useSQLite: true } },
          bindings,
        },
        await staticAssets(compatibilityDate),
      ],
    });
    const url = await mf.ready;
    const cpuSeconds = cpuMeter(workerdBefore, await workerdChildren());
    if (migrate) await applyMigrations(await mf.getD1Database('DB'));
    return {
      url: url.origin,
      adminApiKey: bindings.ADMIN_API_KEY,
      /** CPU seconds the runtime (workerd) has used since launch; NaN where that can't be read. */
      cpuSeconds,
      /** The deployable bundle's size, gzipped, in bytes. */
      bundleGzipBytes: gzipSync(await readFile(scriptPath)).length,
      async close() {
        await mf.dispose();
        await removeBuild();
      },
    };
  } catch (error) {
    await mf?.dispose().catch(() => {});
    await removeBuild();
    throw error;
  }
}

/**
 * Starts a one-file ES module Worker (no bindings but plain vars) under the same runtime, for
 * comparisons such as the benchmark's floor: a Worker that does nothing but pass requests on.
 */
export async function launchScript({ script, vars = {}, port = 0, inspectorPort }) {
  const toml = parseWranglerToml(await readFile(join(root, 'wrangler.toml'), 'utf8'));
  const workerdBefore = await workerdChildren();
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: checkCompatibilityDate(toml.compatibilityDate),
    bindings: vars,
    port,
    host: '127.0.0.1',
    ...(inspectorPort === undefined ? {} : { inspectorPort }),
  });
  const url = await mf.ready;
  return { url: url.origin, cpuSeconds: cpuMeter(workerdBefore, await workerdChildren()), close: () => mf.dispose() };
}
