/**
 * @module test/helpers/browser
 * A real browser for the console's tests: Debian's chromium, headless, driven by playwright-core, with
 * a fresh profile and nothing that reaches outside loopback (no sync, no component updates, no QUIC).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { REPO_ROOT } from './tools.js';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  context: BrowserContext;
  downloads: string;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'topicd-chromium-'));
  const downloads = join(profile, 'downloads');
  mkdirSync(downloads);
  const context = await chromium.launchPersistentContext(join(profile, 'user-data'), {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 }, acceptDownloads: true, downloadsPath: downloads,
  });
  return {
    context,
    downloads,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Where screenshots go: docs/console/ when TOPICD_CONSOLE_SCREENSHOTS=1 (`npm run screenshots`
 * regenerates the documentation's pictures), else a temp dir, so an ordinary test run still takes them
 * without rewriting files under version control.
 */
export function screenshotDir(): { dir: string; cleanup: () => void } {
  if (process.env.TOPICD_CONSOLE_SCREENSHOTS === '1') {
    const dir = join(REPO_ROOT, 'docs', 'console');
    mkdirSync(dir, { recursive: true });
    return { dir, cleanup: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'topicd-screens-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
