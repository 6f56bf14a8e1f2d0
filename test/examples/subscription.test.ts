import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../examples/shared/running-app.js';
import { apiFor, DATABASES, FRAMEWORKS, START_TIMEOUT_MS, startExample } from '../helpers/example-apps.js';

// The subscription examples end to end over real HTTP: the app (Express, Fastify, Hono or Next.js) on a free port, the
// Daraja simulator in-process, PGlite or the PostgreSQL server. Outcomes follow the simulator's
// phone-number rule: …01 cancelled, …02 timeout, …05 no callback, …06 duplicate callbacks.

for (const framework of FRAMEWORKS) {
  for (const database of DATABASES) {
    const suite = `${framework.name} example on ${database.name}`;
    if (database.skip) {
      describe(suite, () => {
        it.skip(`SKIPPED: ${database.skip}`, () => {});
      });
      continue;
    }
    describe(suite, () => {
      let app: RunningApp;
      let alice: ReturnType<typeof apiFor>;
      let bob: ReturnType<typeof apiFor>;
      beforeAll(async () => {
        app = await startExample(framework, database.name);
        alice = apiFor(app, 'demo-token-alice');
        bob = apiFor(app, 'demo-token-bob');
      }, START_TIMEOUT_MS);
      afterAll(() => app?.close());

      const initiate = async (
        api: typeof alice,
        phoneNumber: string,
        plan = 'pro',
        extra: Record<string, unknown> = {},
      ) => {
        const r = await api('/api/subscription/initiate-mpesa', {
          method: 'POST',
          body: { plan, phoneNumber, ...extra },
        });
        expect(r.status, JSON.stringify(r.body)).toBe(202);
        return r.body['payment'] as { id: string; status: string };
      };
      const check = (api: typeof alice, id: string) => api(`/api/subscription/check-payment?paymentId=${id}`);
      // The callback is acknowledged before fulfilment runs: poll, as the page does, until activated.
      const checkUntilActivated = async (api: typeof alice, id: string) => {
        for (let i = 0; i < 100; i++) {
          const r = await check(api, id);
          if (r.body['payment']?.activated) return r;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return check(api, id);
      };
      const periodsOf = async (api: typeof alice, id: string) =>
        (
          (await api('/api/subscription')).body['subscription'].periods as Array<{ paymentId: string }>
        ).filter((p) => p.paymentId === id);

      it('serves the page and the plans', async () => {
        const page = await fetch(app.url);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('Subscribe with M-Pesa');
        const plans = await alice('/api/plans');
        expect(plans.body['plans'].map((p: { id: string }) => p.id)).toEqual(['basic', 'pro']);
        expect(plans.body['mode']).toEqual({
          daraja: 'simulator',
          store: database.name === 'PGlite' ? 'pglite' : 'postgres',
        });
      });

      it('initiate → simulator callback → check-payment completed → subscription active', async () => {
        expect((await alice('/api/subscription')).body['subscription'].status).toBe('none');
        const payment = await initiate(alice, '0712345678');
        expect(payment.status).toBe('pending');
        await app.service.simulator!.idle(); // the simulator has delivered its callback
        const r = await checkUntilActivated(alice, payment.id);
        expect(r.status).toBe(200);
        expect(r.body['payment']).toMatchObject({
          status: 'completed',
          settledBy: 'callback',
          activated: true,
          phoneNumber: '2547****5678',
        });
        expect(r.body['payment'].mpesaReceiptNumber).toMatch(/^[A-Z0-9]{10}$/);
        expect(r.body['payment']).not.toHaveProperty('checkoutRequestId');
        expect(r.body['subscription']).toMatchObject({ status: 'active', plan: 'pro' });
        expect(await periodsOf(alice, payment.id)).toHaveLength(1);
      });

      it.each([
        ['0712345601', 'cancelled', '1032', 'cancelled', 'Request cancelled by user'],
        ['0712345602', 'timeout', '1037', 'unreachable', 'DS timeout user cannot be reached'],
        ['0712345603', 'failed', '1', 'insufficient-funds', 'The balance is insufficient'],
        ['0712345604', 'failed', '2001', 'wrong-pin', 'The initiator information is invalid.'],
      ])('a payment from %s ends %s (%s) and activates nothing', async (phone, status, code, key, raw) => {
        const payment = await initiate(bob, phone, 'basic');
        await app.service.simulator!.idle();
        const r = await check(bob, payment.id);
        expect(r.body['payment']).toMatchObject({
          status,
          resultCode: code,
          activated: false,
          settledBy: 'callback',
          messageKey: key,
        });
        // The payer message, never Daraja's text (that goes to the server log).
        expect(r.body['payment'].message.title).not.toBe('');
        expect(r.text).not.toContain(raw);
        expect(r.body['payment']).not.toHaveProperty('resultDesc');
        expect(await periodsOf(bob, payment.id)).toHaveLength(0);
      });

      it("answers initiate with the payer message, not Daraja's CustomerMessage", async () => {
        const r = await alice('/api/subscription/initiate-mpesa', {
          method: 'POST',
          body: { plan: 'basic', phoneNumber: '0712345678' },
        });
        expect(r.status).toBe(202);
        expect(r.body).toMatchObject({
          messageKey: 'pending',
          message: 'Enter your M-Pesa PIN on the prompt on your phone to pay.',
        });
        expect(r.text).not.toContain('Success. Request accepted for processing');
        const bad = await alice('/api/subscription/initiate-mpesa', {
          method: 'POST',
          body: { plan: 'basic', phoneNumber: '0812345678' },
        });
        expect(bad.body).toMatchObject({
          error: 'validation',
          field: 'phoneNumber',
          messageKey: 'invalid-phone',
        });
        await app.service.simulator!.idle();
      });

      it('a payment settled by a status query has no receipt yet: "by SMS", never "null"', async () => {
        const payment = await initiate(alice, '0712345605'); // paid; the callback never comes
        await app.service.simulator!.idle();
        const r = await check(alice, payment.id);
        expect(r.body['payment']).toMatchObject({
          status: 'completed',
          settledBy: 'query',
          mpesaReceiptNumber: null,
          messageKey: 'completed',
          message: { title: 'Payment complete', text: 'Thank you. Your M-Pesa receipt will arrive by SMS.' },
        });
      });

      it('a lost callback is repaired by check-payment', async () => {
        const payment = await initiate(alice, '0712345605');
        await app.service.simulator!.idle();
        const r = await check(alice, payment.id);
        expect(r.body['payment']).toMatchObject({ status: 'completed', settledBy: 'query', activated: true });
        expect(await periodsOf(alice, payment.id)).toHaveLength(1);
      });

      it('a lost callback is repaired by reconcile', async () => {
        const payment = await initiate(alice, '0722000005');
        await app.service.simulator!.idle();
        await app.service.reconcile();
        const r = await check(alice, payment.id);
        expect(r.body['payment']).toMatchObject({
          status: 'completed',
          settledBy: 'reconcile',
          activated: true,
        });
        expect(await periodsOf(alice, payment.id)).toHaveLength(1);
      });

      it('duplicate callbacks extend the subscription once', async () => {
        const before = (await alice('/api/subscription')).body['subscription'].activeUntil as string;
        const payment = await initiate(alice, '0712345606');
        await app.service.simulator!.idle();
        const sim = app.service.simulator!;
        const deliveries = sim.callbacks.filter(
          (c) => c.transactionId === sim.transactions.at(-1)!.checkoutRequestId,
        );
        expect(deliveries.length).toBeGreaterThanOrEqual(2);
        expect(deliveries.every((d) => d.ok)).toBe(true);
        const r = await checkUntilActivated(alice, payment.id);
        expect(r.body['payment']).toMatchObject({ status: 'completed', activated: true });
        expect(await periodsOf(alice, payment.id)).toHaveLength(1);
        const after = r.body['subscription'].activeUntil as string;
        expect(Date.parse(after) - Date.parse(before)).toBe(30 * 86_400_000); // one period, not two
      });

      it('extends exactly once per completed payment overall', async () => {
        const { body } = await alice('/api/subscription');
        const ids = body['subscription'].periods.map((p: { paymentId: string }) => p.paymentId);
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of ids) expect((await check(alice, id)).body['payment'].status).toBe('completed');
      });

      it('never shows one user another user’s payment', async () => {
        const payment = await initiate(alice, '0712345678');
        expect((await check(bob, payment.id)).status).toBe(404);
        expect((await check(alice, 'pay_does_not_exist')).status).toBe(404);
        expect(
          (await alice(`/api/subscription/check-payment?paymentId=${payment.id}`, { token: null })).status,
        ).toBe(401);
        expect(
          (await alice('/api/subscription/initiate-mpesa', { method: 'POST', body: {}, token: 'forged' }))
            .status,
        ).toBe(401);
      });

      it('rejects bad input with the field to fix, before anything is sent', async () => {
        const sent = app.service.simulator!.transactions.length;
        const badPhone = await alice('/api/subscription/initiate-mpesa', {
          method: 'POST',
          body: { plan: 'pro', phoneNumber: '0812345678' },
        });
        expect(badPhone).toMatchObject({ status: 400, body: { error: 'validation', field: 'phoneNumber' } });
        expect(badPhone.body['message']).not.toContain('0812345678');
        const badPlan = await alice('/api/subscription/initiate-mpesa', {
          method: 'POST',
          body: { plan: 'gold', phoneNumber: '0712345678' },
        });
        expect(badPlan).toMatchObject({ status: 400, body: { field: 'plan' } });
        expect(app.service.simulator!.transactions.length).toBe(sent);
      });

      it('sends one prompt for a double-submitted checkout (same idempotency key)', async () => {
        const sent = app.service.simulator!.transactions.length;
        const body = { plan: 'basic', phoneNumber: '0712345678', idempotencyKey: 'form-1234' };
        const [a, b] = await Promise.all([
          alice('/api/subscription/initiate-mpesa', { method: 'POST', body }),
          alice('/api/subscription/initiate-mpesa', { method: 'POST', body }),
        ]);
        expect([a.status, b.status].sort()).toEqual([200, 202]);
        expect(a.body['payment'].id).toBe(b.body['payment'].id);
        expect(app.service.simulator!.transactions.length).toBe(sent + 1);
        // Bob's identical key is his own checkout.
        expect((await bob('/api/subscription/initiate-mpesa', { method: 'POST', body })).status).toBe(202);
        await app.service.simulator!.idle();
      });

      it('acknowledges a malformed or spoofed callback and changes nothing', async () => {
        for (const body of [
          '{not json',
          '',
          JSON.stringify({ Body: { stkCallback: { CheckoutRequestID: 'ws_CO_X', ResultCode: 0 } } }),
        ]) {
          const res = await fetch(`${app.url}/api/subscription/payment-callback?payment=pay_x&token=bad`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          expect(res.status).toBe(200);
          expect(await res.json()).toEqual({ ResultCode: 0, ResultDesc: 'Accepted' });
        }
        const big = await fetch(`${app.url}/api/subscription/payment-callback`, {
          method: 'POST',
          body: 'x'.repeat(70_000),
        });
        expect(big.status).toBe(413);
      });
    });
  }
}
