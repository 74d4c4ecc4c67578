// Chromium for the browser tests: Debian's /usr/bin/chromium (never a downloaded
// browser), driven by playwright-core, headless, each "device" with a fresh profile.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

/** The Chromium binary (override with CHROMIUM_PATH). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the binary exists; the suites skip, saying so, only when it does not. */
export const hasChromium = existsSync(CHROMIUM);

/** Why the suites skip without it. */
export const SKIP_REASON = `browser tests skipped: no Chromium binary at ${CHROMIUM} (Debian/Ubuntu: apt-get install chromium; or set CHROMIUM_PATH)`;

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Screenshots go here (gitignored). */
export const OUTPUT = fileURLToPath(new URL('../../../.test-output/browser/', import.meta.url));

/** A browser "device": its own Chromium with a fresh user-data-dir. */
export interface Device {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchDevice(): Promise<Device> {
  const dir = mkdtempSync(join(tmpdir(), 'session-policy-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(OUTPUT, { recursive: true });
  return join(OUTPUT, `${name}.png`);
}
