// The Chromium the dashboard's browser tests drive with playwright-core, found in this order: the
// CHROMIUM_PATH setting; Playwright's own browser cache; `chromium`, `chromium-browser` or
// `google-chrome` on PATH. Debian's `chromium` package works (`apt-get install -y chromium`; .ci/run
// installs it). No browser is downloaded.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

function onPath(name: string): string | null {
  try {
    return execFileSync('which', [name], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function playwrightCache(): string | null {
  try {
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export function chromiumPath(): string {
  const configured = process.env.CHROMIUM_PATH?.trim();
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH names ${configured}, which does not exist`);
    return configured;
  }
  const found = playwrightCache() ?? ['chromium', 'chromium-browser', 'google-chrome'].map(onPath).find((path) => path !== null);
  if (!found) {
    throw new Error('No Chromium for the dashboard tests: set CHROMIUM_PATH, or install one (Debian: apt-get install -y chromium).');
  }
  return found;
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}
