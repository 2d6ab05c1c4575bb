// The suite runs on its own bindings: nothing in a developer's .dev.vars reaches the tests.
// test/e2e/own-bindings.test.ts runs this file in a copy of the project whose .dev.vars sets every
// optional secret and shadows every var with a value marked `from-dev-vars`; without such a file
// (CI) it checks the same things.

import { env as workerEnv } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN_API_KEY } from './support/keygate';

const OPTIONAL_SECRETS = [
  'AZURE_IDENTITY_TENANT_ID',
  'AZURE_IDENTITY_CLIENT_ID',
  'AZURE_IDENTITY_CLIENT_SECRET',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'ALERT_WEBHOOK_URL',
  'ALERT_WEBHOOK_SECRET',
] as const satisfies ReadonlyArray<keyof Env>;

// Env with the optional secrets (src/optional-secrets.d.ts), which `wrangler types` cannot know.
const env = workerEnv as Env;

describe('the test bindings', () => {
  it('leave every optional secret unset', () => {
    for (const name of OPTIONAL_SECRETS) expect(env[name] ?? '', name).toBe('');
  });

  it('are the tests’ own secrets and wrangler.toml’s vars, never a developer file’s values', () => {
    expect(env.ADMIN_API_KEY).toBe(ADMIN_API_KEY);
    expect(env.UPSTREAM_TIMEOUT_MS).toMatch(/^\d+$/);
    for (const [name, value] of Object.entries(env)) {
      if (typeof value === 'string') expect(value, name).not.toContain('from-dev-vars');
    }
  });
});
