import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Two projects: behaviour tests inside workerd with real local D1 and KV, and Node-side
// end-to-end tests that drive the real `openai` and `portkey-ai` SDKs against a running Worker.
export default defineConfig(async () => {
  const migrations = await readD1Migrations('./migrations');
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  // Obviously fake test secrets; real ones never live in the repo.
                  ADMIN_API_KEY: 'kg-test-admin-key',
                  VAULT_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
                },
              },
            }),
          ],
          test: {
            name: 'workerd',
            include: ['test/*.test.ts'],
            globalSetup: ['./test/support/fake-upstream-setup.ts'],
            setupFiles: ['./test/support/apply-migrations.ts'],
          },
        },
        {
          test: {
            name: 'e2e',
            include: ['test/e2e/*.test.ts'],
            environment: 'node',
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
