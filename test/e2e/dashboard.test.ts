// The dashboard in real Chromium (playwright-core, see browser.ts), against Keygate under
// Miniflare serving it as static assets. Every step goes through the page as a person would:
// controls are found by their accessible names, as a screen reader finds them.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser';
import { adminApiKey, adminClient, createKey, fakeUrl, hello, keygateUrl, openaiClient, providerKey, useKeygateWithFakeUpstream } from './harness';

useKeygateWithFakeUpstream();

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

interface Session {
  page: Page;
  /** Console errors, CSP violations included: a page that keeps to its own CSP logs none. */
  errors: string[];
  close(): Promise<void>;
}

async function open(): Promise<Session> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(keygateUrl());
  return { page, errors, close: () => context.close() };
}

async function signIn(key = adminApiKey(), firstTab = 'Virtual Keys'): Promise<Session> {
  const session = await open();
  await session.page.getByLabel('API key').fill(key);
  await session.page.getByRole('button', { name: 'Sign in' }).click();
  await session.page.getByRole('tab', { name: firstTab }).waitFor();
  return session;
}

async function apiKeyWith(scopes: string[], workspace = 'ws_default'): Promise<string> {
  const created = (await adminClient().apiKeys.create({ type: 'workspace', 'sub-type': 'service', name: 'dashboard test', workspace_id: workspace, scopes } as never)) as unknown as { key: string };
  return created.key;
}

describe('the page', () => {
  it('is served at / with a strict CSP and no framing, in at most 150 KiB gzipped', async () => {
    const response = await fetch(keygateUrl());
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const root = join(import.meta.dirname, '../../public');
    const files = ['index.html', ...(await readdir(join(root, 'dashboard'))).map((name) => join('dashboard', name))];
    const gzipped = (await Promise.all(files.map(async (file) => gzipSync(await readFile(join(root, file))).length))).reduce((a, b) => a + b, 0);
    expect(gzipped).toBeLessThanOrEqual(150 * 1024);
  });
});

describe('signing in', () => {
  it('keeps the key in sessionStorage only, and forgets it on sign out', async () => {
    const session = await signIn();
    const { page } = session;
    // A string, evaluated in the page: this file is type-checked for Node, without the DOM's types.
    const stored = (await page.evaluate('({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie })')) as {
      session: Record<string, string>;
      local: Record<string, string>;
      cookie: string;
    };
    expect(Object.values(stored.session)).toEqual([adminApiKey()]);
    expect(stored.local).toEqual({});
    expect(stored.cookie).toBe('');
    expect(page.url()).not.toContain(adminApiKey());
    for (const tab of ['Virtual Keys', 'API Keys', 'Workspaces', 'Analytics', 'Audit']) await expect(page.getByRole('tab', { name: tab }).isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(session.errors).toEqual([]);
    await session.close();
  });

  it('shows Keygate’s message for a wrong key, and stays signed out', async () => {
    const session = await open();
    await session.page.getByLabel('API key').fill('kg-ak-not-a-real-key-000000000000');
    await session.page.getByRole('button', { name: 'Sign in' }).click();
    await expect(session.page.getByRole('alert').textContent()).resolves.toMatch(/API key/i);
    expect(await session.page.evaluate('sessionStorage.length')).toBe(0);
    await session.close();
  });

  it('works from the keyboard alone: type, Enter, then arrow keys between tabs', async () => {
    const session = await open();
    const { page } = session;
    await page.keyboard.type(adminApiKey()); // the field has focus on load
    await page.keyboard.press('Enter');
    await page.getByRole('tab', { name: 'Virtual Keys', selected: true }).waitFor();
    // Signed in, the focus is on the first tab: no mouse, no code moving it.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Virtual Keys');
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'API Keys', selected: true }).waitFor();
    await page.keyboard.press('End');
    await page.getByRole('tab', { name: 'Audit', selected: true }).waitFor();
    await session.close();
  });

  it('shows only the tabs a key’s scopes reach, and a 403’s message', async () => {
    const session = await signIn(await apiKeyWith(['virtual_keys.list']));
    const { page } = session;
    expect(await page.getByRole('tab').allTextContents()).toEqual(['Virtual Keys']);
    await page.getByRole('button', { name: 'New virtual key' }).click();
    await page.getByLabel('Name').fill('not allowed');
    await page.getByLabel('API key').fill(providerKey('denied'));
    await page.getByRole('button', { name: 'Create' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('lacks the scope virtual_keys.create');
    await session.close();
  });
});

describe('the Virtual Keys tab', () => {
  it('creates an OpenAI key, shows it with its slug, snippet and masked secret, disables and deletes it', async () => {
    const session = await signIn();
    const { page } = session;
    const secret = providerKey('dashboard');
    await page.getByRole('button', { name: 'New virtual key' }).click();
    await page.getByLabel('Name').fill('dash-openai');
    await page.getByLabel('Provider').selectOption('openai');
    await page.getByLabel('API key').fill(secret);
    await page.getByLabel('Note').fill('from the dashboard');
    await page.getByRole('button', { name: 'Create' }).click();
    const card = page.getByRole('article', { name: 'Virtual key dash-openai' });
    await card.waitFor();
    const text = await card.textContent();
    expect(text).toContain(`********${secret.slice(-4)}`);
    expect(text).not.toContain(secret);
    expect(text).toContain('active');
    const slug = (await card.locator('code').first().textContent())!;
    expect(slug).toMatch(/^dash-openai-/);
    expect(await card.locator('pre').textContent()).toContain(`model: '@${slug}/gpt-4o-mini'`);
    await card.getByRole('button', { name: 'Disable' }).click();
    await card.getByText('disabled', { exact: true }).waitFor();
    // The redraw keeps the keyboard where it was: on the button that undoes it.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Enable');
    await page.keyboard.press('Enter');
    await card.getByText('active', { exact: true }).waitFor();
    // A confirmation answered from the keyboard: Escape cancels, and the key stays.
    await card.getByRole('button', { name: 'Delete' }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    expect(await card.isVisible()).toBe(true);
    await card.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await card.waitFor({ state: 'detached' });
    await expect(adminClient().virtualKeys.retrieve({ slug })).rejects.toMatchObject({ status: 404 });
    expect(session.errors).toEqual([]);
    await session.close();
  });

  it('creates Azure, Bedrock and Vertex keys with their own forms', async () => {
    const session = await signIn();
    const { page } = session;
    const create = async (name: string, provider: string, fill: () => Promise<void>) => {
      await page.getByRole('button', { name: 'New virtual key' }).click();
      await page.getByLabel('Name').fill(name);
      await page.getByLabel('Provider').selectOption(provider);
      await fill();
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByRole('article', { name: `Virtual key ${name}` }).waitFor();
    };
    await create('dash-azure', 'azure-openai', async () => {
      await page.getByLabel('Resource name').fill('my-resource');
      await page.getByLabel('Deployment name').fill('gpt4o-prod');
      await page.getByLabel('Alias').fill('gpt-4o');
      await page.getByLabel('API key').fill('azure-fake-key-0000000000000000000009');
    });
    await create('dash-bedrock', 'bedrock', async () => {
      await page.getByLabel('AWS region').fill('us-east-1');
      await page.getByLabel('AWS access key ID').fill('FAKEACCESSKEYDASH1');
      await page.getByLabel('AWS secret access key').fill('secret-for-FAKEACCESSKEYDASH1');
    });
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const kid = randomBytes(20).toString('hex');
    await fetch(`${fakeUrl()}/__fake/google/accounts`, { method: 'POST', body: JSON.stringify({ kid, client_email: 'dash@p-dash-1.iam.gserviceaccount.com', public_key: publicKey }) });
    await create('dash-vertex', 'vertex-ai', async () => {
      await page.getByLabel('Service account JSON').fill(JSON.stringify({ type: 'service_account', project_id: 'p-dash-1', private_key_id: kid, private_key: privateKey, client_email: 'dash@p-dash-1.iam.gserviceaccount.com' }));
    });
    const list = (await adminClient().virtualKeys.list()) as unknown as { data: Array<{ name: string; ai_provider_name: string }> };
    const made = Object.fromEntries(list.data.map((key) => [key.name, key.ai_provider_name]));
    expect(made).toMatchObject({ 'dash-azure': 'azure-openai', 'dash-bedrock': 'bedrock', 'dash-vertex': 'vertex-ai' });
    await session.close();
  });

  it('sets a budget and shows what calls spent as a bar; searches by name', async () => {
    const slug = await createKey(providerKey('budget'), 'dash-budget');
    const session = await signIn();
    const { page } = session;
    const card = page.getByRole('article', { name: 'Virtual key dash-budget' });
    await card.getByRole('button', { name: 'Limits' }).click();
    await card.getByLabel('Budget', { exact: true }).fill('1000');
    await card.getByLabel('Budget unit').selectOption('tokens');
    await card.getByRole('button', { name: 'Save limits' }).click();
    await card.getByLabel('Budget used: 0 of 1000 tokens').waitFor();
    await openaiClient(crypto.randomUUID()).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });
    // Each search reads the keys again; the usage row is written just after the call.
    await expect
      .poll(async () => {
        await page.getByLabel('Search').fill('');
        await page.getByLabel('Search').fill('dash-budg');
        await page.getByText(/^Page 1 of 1 \(1 keys\)$/).waitFor();
        return [await page.getByLabel('Budget used: 12 of 1000 tokens').count(), await page.getByRole('article').count()];
      })
      .toEqual([1, 1]);
    await session.close();
  });
});

describe('changing a virtual key', () => {
  it('edits the name, keeping the form and its text when Keygate refuses, and rotates the provider key', async () => {
    await createKey(providerKey('edit'), 'dash-edit');
    const session = await signIn();
    const { page } = session;
    const card = page.getByRole('article', { name: 'Virtual key dash-edit' });
    await card.getByRole('button', { name: 'Edit' }).click();
    await card.getByLabel('Name').fill('x'.repeat(201));
    await card.getByRole('button', { name: 'Save' }).click();
    await expect(card.getByRole('alert').textContent()).resolves.toMatch(/name: .*200/);
    expect(await card.getByLabel('Name').inputValue()).toBe('x'.repeat(201));
    await card.getByLabel('Name').fill('dash-edited');
    await card.getByRole('button', { name: 'Save' }).click();
    const renamed = page.getByRole('article', { name: 'Virtual key dash-edit' }).filter({ hasText: 'dash-edited' });
    await renamed.getByRole('button', { name: 'Rotate provider key' }).click();
    const rotated = providerKey('rotated');
    await renamed.getByLabel('API key').fill(rotated);
    await renamed.getByRole('button', { name: 'Rotate', exact: true }).click();
    await renamed.getByText(`********${rotated.slice(-4)}`).waitFor();
    await session.close();
  });

  it('moves the default to the deployment left when the default one is removed', async () => {
    const session = await signIn();
    const { page } = session;
    await page.getByRole('button', { name: 'New virtual key' }).click();
    await page.getByLabel('Name').fill('dash-azure-two');
    await page.getByLabel('Provider').selectOption('azure-openai');
    await page.getByLabel('Resource name').fill('my-resource');
    await page.getByRole('button', { name: 'Add deployment' }).click();
    await page.getByRole('group', { name: 'Deployment 2' }).getByLabel('Deployment name').fill('second');
    await page.getByRole('button', { name: 'Remove deployment 1' }).click();
    expect(await page.getByRole('group', { name: 'Deployment 1' }).getByLabel('Default').isChecked()).toBe(true);
    await page.getByLabel('API key').fill('azure-fake-key-0000000000000000000010');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('article', { name: 'Virtual key dash-azure-two' }).waitFor();
    // The snippet names the key's default deployment.
    expect(await page.getByRole('article', { name: 'Virtual key dash-azure-two' }).locator('pre').textContent()).toMatch(/\/second',/);
    await session.close();
  });
});

describe('the API Keys tab', () => {
  it('creates a key with picked scopes, shows it once, rotates it showing when the old one ends, and deletes it', async () => {
    const session = await signIn(adminApiKey(), 'API Keys');
    const { page } = session;
    await page.getByRole('tab', { name: 'API Keys' }).click();
    await page.getByRole('button', { name: 'New API key' }).click();
    await page.getByLabel('Name').fill('dash-app');
    await page.getByLabel('Type').selectOption('workspace/service');
    await page.getByLabel('Workspace ID').fill('ws_default');
    await page.getByRole('checkbox', { name: 'completions.write' }).check();
    await page.getByRole('checkbox', { name: 'analytics.view' }).check();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const shown = page.getByRole('alert');
    await expect(shown.textContent()).resolves.toContain('shown this once');
    const key = (await page.getByLabel('New API key', { exact: true }).textContent())!;
    expect(key).toMatch(/^kg-ak-/);
    const row = page.getByRole('row').filter({ hasText: 'dash-app' });
    expect(await row.textContent()).toContain('completions.write, analytics.view');
    expect(await row.textContent()).not.toContain(key);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByText(key).count()).toBe(0);
    await page.getByRole('button', { name: 'Rotate dash-app' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate' }).click();
    await page.getByRole('alert').filter({ hasText: /old key keeps working until .+ GMT/ }).waitFor();
    await page.getByRole('button', { name: 'Delete dash-app' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    await session.close();
  });
});

describe('the Workspaces tab', () => {
  it('creates and renames a workspace, and shows why a delete is refused', async () => {
    const session = await signIn(adminApiKey(), 'Workspaces');
    const { page } = session;
    await page.getByRole('tab', { name: 'Workspaces' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Dash team');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('button', { name: 'Rename Dash team' }).click();
    await page.getByLabel('New name').fill('Dash squad');
    await page.getByRole('button', { name: 'Save name' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Dash squad' });
    await row.waitFor();
    const id = (await row.locator('code').textContent())!;
    await adminClient().virtualKeys.create({ name: 'keeps-it', provider: 'openai', key: providerKey('ws'), workspace_id: id } as never);
    await page.getByRole('button', { name: 'Delete Dash squad' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/refused to delete Dash squad: .*virtual key/i);
    await session.close();
  });
});

describe('the Analytics and Audit tabs', () => {
  it('charts the calls made, with the top models', async () => {
    const slug = await createKey(providerKey('charts'), 'dash-charts');
    for (let call = 0; call < 2; call++) await openaiClient(crypto.randomUUID()).chat.completions.create({ model: `@${slug}/gpt-4o-mini`, messages: hello });
    const session = await signIn(adminApiKey(), 'Analytics');
    const { page } = session;
    await page.getByRole('tab', { name: 'Analytics' }).click();
    await page.getByRole('img', { name: /^Requests: \d+ requests$/ }).waitFor();
    const requests = await page.getByRole('img', { name: /^Requests:/ }).getAttribute('aria-label');
    expect(Number(/(\d+) requests/.exec(requests!)![1])).toBeGreaterThanOrEqual(2);
    await page.getByRole('img', { name: /^Latency \(ms\): average \d+ ms/ }).waitFor();
    await expect(page.getByRole('table', { name: 'Top models' }).textContent()).resolves.toContain('openai__gpt-4o-mini');
    await expect(page.getByRole('table', { name: 'Top virtual keys' }).textContent()).resolves.toContain(slug);
    await session.close();
  });

  it('lists audit records and shows the chain verified', async () => {
    const session = await signIn(adminApiKey(), 'Audit');
    const { page } = session;
    await page.getByRole('tab', { name: 'Audit' }).click();
    await page.getByText(/^Chain verified/).waitFor();
    await expect(page.getByRole('table').textContent()).resolves.toContain('POST /v1/virtual-keys');
    await page.getByLabel('Action').selectOption('delete');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect
      .poll(async () => {
        const rows = await page.getByRole('table').locator('tbody tr').allTextContents();
        return rows.length > 0 && rows.every((row) => row.includes('delete'));
      })
      .toBe(true);
    await session.close();
  });
});
