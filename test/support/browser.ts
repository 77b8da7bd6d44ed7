import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { findOnPath, installCommand } from './debian-tools.js';

/** Where the browser tests put their screenshots (git-ignored). */
export const SCREENSHOTS = fileURLToPath(new URL('../.screenshots/', import.meta.url));

/** Chromium as the machine notes start it: no sandbox as root, and no background network traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Never skips: without Chromium the test fails with the command that installs it. */
export function chromiumPath(): string {
  const found = findOnPath('chromium');
  if (found === undefined) {
    throw new Error(
      `the browser tests need Debian's chromium, which is not on PATH. Install it with: ${installCommand(['chromium'], process.getuid?.() === 0)}`,
    );
  }
  return found;
}

/**
 * Launches headless Chromium with JavaScript off before the tests of the enclosing `describe`
 * and closes it after them. `dialogs` collects every dialog any page opened (there must be none).
 */
export function useHeadlessChromium(): { readonly context: () => BrowserContext; readonly dialogs: string[] } {
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  const dialogs: string[] = [];
  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), 'rg-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      args: CHROMIUM_ARGS,
      headless: true,
      javaScriptEnabled: false,
    });
    context.on('page', (p: Page) => p.on('dialog', (d) => dialogs.push(d.message())));
  });
  afterAll(async () => {
    await context?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
  });
  return {
    context: () => {
      if (context === undefined) throw new Error('Chromium is not started (use it inside a test)');
      return context;
    },
    dialogs,
  };
}

/** The texts of the cells of the first row of `section` that mentions `text`. */
export async function cells(page: Page, section: string, text: string): Promise<string[]> {
  return page.locator(`${section} tr`, { hasText: text }).first().locator('td').allTextContents();
}
