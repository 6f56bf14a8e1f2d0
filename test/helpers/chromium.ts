import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** The Chromium the browser tests drive: `CHROMIUM_PATH`, or Debian's. `.ci/run` installs it. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Whether that Chromium is installed; the browser tests say they were skipped when it is not. */
export const hasChromium = existsSync(CHROMIUM);

/** A headless Chromium through playwright-core, quiet: no sandbox (containers), no GPU, no background traffic. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
