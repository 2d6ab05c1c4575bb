import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import type { Json } from 'miniflare';
import { defineConfig } from 'vitest/config';

// Two projects: behaviour tests inside workerd with real local D1 and KV, and Node-side
// end-to-end tests that drive the real `openai` and `portkey-ai` SDKs against a running Worker.
//
// A passing run prints vitest's report and nothing else; a failing test still shows its console
// output, its file and its line.

// wrangler's info lines ("Using secrets defined in .dev.vars") are not about the tests; its
// warnings and errors still print. A developer's own WRANGLER_LOG wins.
process.env.WRANGLER_LOG ??= 'warn';

const inRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig(async () => {
  const migrations = await readD1Migrations('./migrations');
  return {
    test: {
      // Console output of passing tests (the error lines they provoke on purpose) is dropped.
      silent: 'passed-only' as const,
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './wrangler.toml' },
              // workerd's info lines ("uncaught exception … Network connection lost" for every
              // subrequest that fails, even one the Worker catches) only come with --verbose.
              verbose: false,
              miniflare: {
                // vitest's runner asks whether node:inspector is open; without the module the
                // plugin prints a warning for every test file. Tests only: the test runner Worker
                // already gets nodejs_compat and more from the plugin.
                compatibilityFlags: ['enable_nodejs_inspector_module'],
                bindings: await ownBindings({
                  TEST_MIGRATIONS: migrations,
                  // Obviously fake test secrets; real ones never live in the repo.
                  ADMIN_API_KEY: 'kg-test-admin-key',
                  VAULT_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
                }),
              },
            }),
          ],
          test: {
            name: 'workerd',
            include: ['test/*.test.ts'],
            // Each file gets its own runtime and storage, and starts from an empty migrated database.
            isolate: true,
            globalSetup: ['./test/support/fake-upstream-setup.ts'],
            setupFiles: ['./test/support/apply-migrations.ts'],
          },
        },
        {
          test: {
            name: 'e2e',
            include: ['test/e2e/*.test.ts'],
            environment: 'node',
            isolate: true,
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});

/**
 * The workerd tests run on their own bindings only, whatever the developer's .dev.vars says.
 *
 * The plugin reads wrangler.toml as `wrangler dev` does, so wrangler loads .dev.vars (or, without
 * one, .env and .env.local) into the Worker's env, and the plugin has no switch to stop it. Its
 * `bindings` are laid over wrangler's, so every name those files set, and every optional secret of
 * src/optional-secrets.d.ts, is bound here as well: a wrangler.toml var to its wrangler.toml
 * value, anything else to '' (Keygate reads an empty setting as unset). The tests' own go on top.
 */
async function ownBindings(testBindings: Record<string, Json>): Promise<Record<string, Json>> {
  const optionalSecrets = [...readFileSync(inRoot('src/optional-secrets.d.ts'), 'utf8').matchAll(/^\s*([A-Z][A-Z0-9_]*)\?:/gm)].map((match) => match[1]!);
  const developerNames = ['.dev.vars', '.env', '.env.local']
    .map(inRoot)
    .filter((path) => existsSync(path))
    .flatMap((path) => Object.keys(parseEnv(readFileSync(path, 'utf8'))));
  // wrangler parses wrangler.toml; only needed (and imported, which takes a second) when a
  // developer file could shadow one of its vars.
  const vars: Record<string, Json> =
    developerNames.length > 0 ? { ...(await import('wrangler')).unstable_readConfig({ config: inRoot('wrangler.toml') }).vars } as Record<string, Json> : {};
  const bindings: Record<string, Json> = {};
  for (const name of [...optionalSecrets, ...developerNames]) bindings[name] = vars[name] ?? '';
  return { ...bindings, ...testBindings };
}
