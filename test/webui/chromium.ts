// Test helper: Debian's Chromium driven by puppeteer-core (which never downloads a browser),
// headless, with a fresh profile removed afterwards; and the folder screenshots go to.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import type { Browser } from 'puppeteer-core';

/** Where Debian installs it (scripts/setup.mjs, test profile). */
export const CHROMIUM = '/usr/bin/chromium';
/** Repository root (test/dist/webui → ../../..). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Screenshots of the views: $MESHPUNCH_ARTIFACTS/webui, default .test-results/webui. */
export const ARTIFACTS = join(process.env.MESHPUNCH_ARTIFACTS ?? join(ROOT, '.test-results'), 'webui');

/** A running headless Chromium and its throwaway profile. */
export interface Chromium {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Launches Chromium, or returns undefined (after one line on stderr) when it is not installed
 * outside CI; under CI=true a missing browser is an error, never a skip.
 */
export async function launchChromium(): Promise<Chromium | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: scripts/setup.mjs installs Debian's chromium for the test profile`);
    process.stderr.write(`[webui] skipping: ${CHROMIUM} is not installed (apt-get install -y chromium)\n`);
    return undefined;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'meshpunch-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No sandbox (root in a container), no GPU, and nothing that phones home: the only traffic is the test's own loopback.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--no-default-browser-check', '--disable-default-apps', '--disable-extensions', '--metrics-recording-only',
      '--disable-domain-reliability', '--disable-client-side-phishing-detection', `--user-data-dir=${profile}`],
    // Pages of several tests at once: no protocol timeout shorter than a test's own bounds.
    protocolTimeout: 60_000,
  });
  return {
    browser,
    async close(): Promise<void> {
      // The browser's pid is ours (launch started it); close() ends it and waits.
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
