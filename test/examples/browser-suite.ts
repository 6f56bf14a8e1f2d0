import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../examples/shared/running-app.js';
import { STK_RESULT_CODES } from '../../src/resources/stk/result-codes.js';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.js';
import { type FRAMEWORKS, START_TIMEOUT_MS, startExample } from '../helpers/example-apps.js';

// A person paying through the example page, in a real (headless) Chromium driven by playwright-core, on
// each framework that runs it: success, cancel, timeout, wrong PIN, a reload mid-payment, the network cut while the
// payment is pending, and "we could not confirm yet". What the page says is what a payer reads: never
// Daraja's own text nor a field name.
const root = resolve(import.meta.dirname, '../..');
const SHOTS = join(root, '.log-capture', 'browser');

// Every ResultDesc the simulator sends (its outcome table, its result texts and its push/query answers), and the catalogue's
// meanings: none may reach the page.
const simulatorTexts = [
  ...readFileSync(join(root, 'src/simulator/outcomes.ts'), 'utf8').matchAll(/desc: '([^']+)'/g),
  ...readFileSync(join(root, 'src/wire/stk.ts'), 'utf8').matchAll(/_ACCEPTED = '([^']+)'/g),
  ...readFileSync(join(root, 'src/simulator/result-texts.ts'), 'utf8').matchAll(/^ {2}'\d+': '([^']+)',$/gm),
].map((m) => m[1]!);
const RAW_TEXTS = [
  ...simulatorTexts,
  'The transaction is still under processing',
  'The transaction is being processed',
  ...Object.values(STK_RESULT_CODES).map((e) => e.meaning),
];
const FIELD_NAMES =
  /phoneNumber|PhoneNumber|ResultDesc|resultDesc|ResultCode|resultCode|Receipt null|undefined|\bnull\b/;

/**
 * The page's suite for one framework. Each framework runs it from its own test file, so that vitest runs
 * them in parallel (browser-express.test.ts, browser-fastify.test.ts, browser-nextjs.test.ts).
 */
export function browserSuite(framework: (typeof FRAMEWORKS)[number]): void {
  describe.skipIf(!hasChromium)(`the web page in Chromium (${framework.name})`, () => {
    let browser: Browser;
    beforeAll(async () => {
      expect(simulatorTexts).toContain('DS timeout user cannot be reached');
      expect(simulatorTexts).toContain('The initiator information is invalid.');
      expect(simulatorTexts).toContain('Success. Request accepted for processing');
      mkdirSync(SHOTS, { recursive: true });
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    describe(framework.name, () => {
      let app: RunningApp;
      const contexts: BrowserContext[] = [];
      beforeAll(async () => {
        app = await startExample(framework, 'PGlite', { simulatorCallbackDelayMs: 300 });
      }, START_TIMEOUT_MS);
      afterAll(async () => {
        for (const c of contexts) await c.close();
        await app?.close();
      });

      /** A fresh browser (its own storage), on the page, with page errors collected. */
      async function open(): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
        const context = await browser.newContext();
        contexts.push(context);
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(app.url);
        // The first page of a fresh server loads its routes' code (Next.js, under a busy suite: seconds).
        await expect
          .poll(() => page.getByTestId('subscription-status').textContent(), { timeout: 15_000 })
          .not.toBe('…');
        return { page, context, errors };
      }

      async function pay(page: Page, phone: string) {
        await page.getByTestId('phone').fill(phone);
        await page.getByTestId('subscribe').click();
      }

      const endState = (page: Page, status: string) =>
        page.locator(`[data-testid=payment-status][data-status=${status}]`).waitFor({ timeout: 20_000 });

      /** The end state: a screenshot on disk, and nothing raw on the page. */
      async function finish(page: Page, name: string, errors: string[]) {
        const file = join(SHOTS, `${framework.name.toLowerCase()}-${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        expect(statSync(file).size).toBeGreaterThan(0);
        // biome-ignore lint/performance/useDomNodeTextContent: what a payer sees (rendered text), not the script.
        const text = await page.locator('body').innerText();
        for (const raw of RAW_TEXTS) expect(text, `raw Daraja text on the page: ${raw}`).not.toContain(raw);
        expect(text).not.toMatch(FIELD_NAMES);
        expect(errors).toEqual([]);
        return text;
      }

      /** The open STK prompt of the last push (the simulator holds it in manual mode). */
      const lastCheckout = () => app.service.simulator!.transactions.at(-1)!.checkoutRequestId;

      it('success: paid, with the receipt, and the subscription active', async () => {
        const { page, errors } = await open();
        await page.getByTestId('user').selectOption({ label: 'Bob' });
        await page.getByTestId('plan-pro').check();
        await pay(page, '0712 345 678');
        await endState(page, 'completed');
        await expect.poll(() => page.getByTestId('payment-status').textContent()).toBe('Payment complete');
        await expect
          .poll(() => page.getByTestId('payment-message').textContent(), { timeout: 20_000 })
          .toMatch(/^Thank you\. Your M-Pesa receipt is [A-Z0-9]{10}\.$/);
        await expect
          .poll(() => page.getByTestId('activation').textContent())
          .toBe('Your subscription is active.');
        await expect
          .poll(() => page.getByTestId('subscription-status').textContent())
          .toMatch(/^active \(pro\) until /);
        await finish(page, 'success', errors);
      }, 60_000);

      it('a receipt that comes after a status query settled the payment: "by SMS", then the receipt', async () => {
        const { page, errors } = await open();
        app.service.simulator!.nextOutcome('late-callback'); // STK query shows it paid; the callback comes later
        await pay(page, '0712 345 678');
        await endState(page, 'completed');
        await expect
          .poll(() => page.getByTestId('payment-message').textContent(), { timeout: 10_000 })
          .toBe('Thank you. Your M-Pesa receipt will arrive by SMS.');
        await finish(page, 'receipt-pending', errors);
        await expect
          .poll(() => page.getByTestId('payment-message').textContent(), { timeout: 30_000 })
          .toMatch(/^Thank you\. Your M-Pesa receipt is [A-Z0-9]{10}\.$/);
        await finish(page, 'receipt-arrived', errors);
      }, 60_000);

      it.each([
        ['cancel', '0712 345 601', 'cancelled', 'Payment cancelled', 'Malipo yameghairiwa'],
        [
          'timeout',
          '0712 345 602',
          'timeout',
          'We could not reach your phone',
          'Hatukuweza kufikia simu yako',
        ],
        ['wrong-pin', '0712 345 604', 'failed', 'Wrong M-Pesa PIN', 'PIN ya M-Pesa si sahihi'],
      ])(
        '%s: the payer message, in English and Kiswahili',
        async (name, phone, status, title, swahili) => {
          const { page, errors } = await open();
          await pay(page, phone);
          await endState(page, status);
          await expect.poll(() => page.getByTestId('payment-status').textContent()).toBe(title);
          expect(await page.getByTestId('payment-message').textContent()).toMatch(/try again/i);
          await finish(page, name, errors);
          await page.getByTestId('lang-sw').click();
          await expect.poll(() => page.getByTestId('payment-status').textContent()).toBe(swahili);
          expect(await page.locator('html').getAttribute('lang')).toBe('sw');
          expect(await page.getByTestId('subscribe').textContent()).toBe('Lipa kwa M-Pesa');
          await finish(page, `${name}-sw`, errors);
        },
        60_000,
      );

      it('an invalid number: what to type, not a field name', async () => {
        const { page, errors } = await open();
        await pay(page, '0812 345 678');
        await expect
          .poll(() => page.getByTestId('error').textContent())
          .toBe('Enter a Kenyan M-Pesa number such as 0712 345 678.');
        await finish(page, 'invalid-phone', errors);
      }, 60_000);

      it('pending: a countdown instead of Daraja text; a reload resumes watching the payment', async () => {
        const { page, errors } = await open();
        app.service.simulator!.nextOutcome('manual');
        await pay(page, '0712 345 678');
        await expect
          .poll(() => page.getByTestId('payment-message').textContent())
          .toMatch(/^Enter your M-Pesa PIN\. The prompt stays open for about (1:00|0:[0-5]\d) more\.$/);
        expect(await page.getByTestId('payment-status').textContent()).toBe('Check your phone');
        const paymentId = await page.locator('#payment-id').textContent();
        await finish(page, 'pending', errors);

        await page.reload();
        await expect
          .poll(() => page.getByTestId('connection').textContent())
          .toBe('Welcome back. We are checking the payment you started.');
        expect(await page.locator('#payment-id').textContent()).toBe(paymentId);
        await expect
          .poll(() => page.getByTestId('payment-message').textContent())
          .toMatch(/The prompt stays open for about 0:\d\d more\./);
        app.service.simulator!.resolve(lastCheckout(), 'success');
        await endState(page, 'completed');
        await finish(page, 'resumed', errors);
      }, 60_000);

      it('the network cut while pending: the page says so, keeps trying, and recovers', async () => {
        const { page, context, errors } = await open();
        app.service.simulator!.nextOutcome('manual');
        await pay(page, '0712 345 678');
        await page.locator('[data-testid=payment-status][data-status=pending]').waitFor();
        await context.setOffline(true);
        await expect
          .poll(() => page.getByTestId('connection').textContent(), { timeout: 15_000 })
          .toBe(
            'No connection. We lost the connection to our server. We will keep trying; check your internet connection.',
          );
        await finish(page, 'offline', errors);
        app.service.simulator!.resolve(lastCheckout(), 'success'); // paid while the page was offline
        await context.setOffline(false);
        await endState(page, 'completed');
        await expect.poll(() => page.getByTestId('connection').textContent()).not.toMatch(/No connection/);
        await finish(page, 'back-online', errors);
      }, 60_000);

      it('the network down when paying: the page says so, retries, and the payment starts once', async () => {
        const { page, context, errors } = await open();
        const pushes = app.service.simulator!.transactions.length;
        await context.setOffline(true);
        await pay(page, '0712 345 678');
        await expect
          .poll(() => page.getByTestId('connection').textContent(), { timeout: 15_000 })
          .toMatch(/^No connection\. /);
        await finish(page, 'offline-paying', errors);
        await context.setOffline(false);
        await endState(page, 'completed');
        expect(app.service.simulator!.transactions.length).toBe(pushes + 1); // one prompt, not one per retry
        await finish(page, 'online-paid', errors);
      }, 60_000);

      it('no answer in time: "we could not confirm yet" and Check again', async () => {
        const { page, errors } = await open();
        // The server's timings, shortened for the test: a 1 s prompt, then 1 s of checking.
        await page.route('**/api/plans', async (route) => {
          const response = await route.fetch();
          const body = { ...(await response.json()), promptSeconds: 1, keepCheckingSeconds: 1 };
          await route.fulfill({ response, json: body });
        });
        await page.reload();
        app.service.simulator!.nextOutcome('manual');
        await pay(page, '0712 345 678');
        await expect
          .poll(() => page.getByTestId('payment-status').textContent(), { timeout: 20_000 })
          .toBe('We could not confirm your payment yet');
        await expect.poll(() => page.getByTestId('check-again').isVisible()).toBe(true);
        await finish(page, 'stopped-checking', errors);
        app.service.simulator!.resolve(lastCheckout(), 'success');
        await page.getByTestId('check-again').click();
        await endState(page, 'completed');
        expect(await page.getByTestId('check-again').isVisible()).toBe(false);
      }, 60_000);
    });
  });

  if (!hasChromium) {
    describe(`the web page in Chromium (${framework.name})`, () => {
      it.skip(`SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`, () => {});
    });
  }
}
