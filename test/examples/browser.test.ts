import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../examples/shared/running-app.js';
import { FRAMEWORKS, startExample } from '../helpers/example-apps.js';

// A person subscribing through the web page, in a real (headless) Chromium driven by playwright-core.
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('the web page in Chromium', () => {
  let app: RunningApp;
  let browser: import('playwright-core').Browser;
  beforeAll(async () => {
    app = await startExample(FRAMEWORKS[0], 'PGlite', { simulatorCallbackDelayMs: 300 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
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
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('subscribes to a plan and watches the payment complete', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(app.url);
    await page.getByTestId('user').selectOption({ label: 'Bob' });
    await expect.poll(() => page.getByTestId('subscription-status').textContent()).toBe('none');
    await page.getByTestId('plan-pro').check();
    await page.getByTestId('phone').fill('0712 345 678');
    await page.getByTestId('subscribe').click();
    await page.locator('[data-testid=payment-status][data-status=completed]').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.getByTestId('payment-message').textContent(), { timeout: 10_000 })
      .toMatch(/Receipt [A-Z0-9]{10}\. Your subscription is active/);
    await expect
      .poll(() => page.getByTestId('subscription-status').textContent())
      .toMatch(/^active \(pro\) until /);
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows a cancelled payment and the field errors', async () => {
    const page = await browser.newPage();
    await page.goto(app.url);
    await page.getByTestId('phone').fill('0812 345 678');
    await page.getByTestId('subscribe').click();
    await expect
      .poll(() => page.getByTestId('error').textContent())
      .toMatch(/phoneNumber: .* is not a Kenyan mobile number/);
    await page.getByTestId('phone').fill('0712 345 601'); // the simulator's "customer cancels" rule
    await page.getByTestId('subscribe').click();
    await page.locator('[data-testid=payment-status][data-status=cancelled]').waitFor({ timeout: 20_000 });
  }, 60_000);
});

if (!hasChromium) {
  describe('the web page in Chromium', () => {
    it.skip(`SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`, () => {});
  });
}
