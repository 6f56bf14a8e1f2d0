import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../examples/shared/running-app.js';
import { apiFor, DATABASES, QUICK_FRAMEWORKS, startExample } from '../helpers/example-apps.js';

// Hostile input never reaches PostgreSQL, and no error text of PostgreSQL reaches a client. Before this,
// a NUL byte in a payment id or an idempotency key was a 500, and Fastify sent PostgreSQL's message
// ("invalid byte sequence for encoding \"UTF8\": 0x00") to the browser.

const CONTROL_CHARACTERS = [
  ['NUL', '\u0000'],
  ['SOH', '\u0001'],
  ['tab', '\t'],
  ['line feed', '\n'],
  ['unit separator (U+001F)', '\u001f'],
  ['DEL (U+007F)', '\u007f'],
] as const;

/** Words of PostgreSQL's (and PGlite's) error messages that must never be in an answer. */
const DATABASE_TEXT =
  /invalid byte sequence|UTF8|0x00|syntax error|postgres|pglite|relation|violates|constraint|SQLSTATE|DatabaseError|column|stack/i;

for (const framework of QUICK_FRAMEWORKS) {
  for (const database of DATABASES) {
    const suite = `${framework.name} example on ${database.name}: hostile input`;
    if (database.skip) {
      describe(suite, () => {
        it.skip(`SKIPPED: ${database.skip}`, () => {});
      });
      continue;
    }
    describe(suite, () => {
      let app: RunningApp;
      let alice: ReturnType<typeof apiFor>;
      beforeAll(async () => {
        app = await startExample(framework, database.name);
        alice = apiFor(app, 'demo-token-alice');
      }, 60_000);
      afterAll(() => app?.close());

      const pushes = () => app.service.simulator!.transactions.length;
      const expectFieldError = (r: Awaited<ReturnType<typeof alice>>, field: string, hostile: string) => {
        expect(r.status, r.text).toBe(400);
        expect(r.headers.get('content-type')).toMatch(/^application\/json/);
        expect(r.body).toMatchObject({ error: 'validation', field });
        expect(r.body['message']).toMatch(new RegExp(`^${field}: `));
        expect(r.text).not.toMatch(DATABASE_TEXT);
        if (hostile.length > 4) expect(r.body['message']).not.toContain(hostile); // never echoed back
      };

      it.each(CONTROL_CHARACTERS)('a paymentId with %s is a 400 naming paymentId', async (_name, c) => {
        for (const id of [`pay_abc${c}def`, c, `pay_${c}`, `${c}pay_abcdef`]) {
          const r = await alice(`/api/subscription/check-payment?paymentId=${encodeURIComponent(id)}`);
          expectFieldError(r, 'paymentId', id);
        }
      });

      it('a paymentId not shaped like a payment id is a 400; a well-shaped unknown one is a 404', async () => {
        for (const id of [
          'abc',
          'pay_',
          `pay_${'a'.repeat(65)}`,
          "pay_x' OR '1'='1",
          'pay_abc/def',
          'pay_abc%',
          'PAY_abcdef',
        ]) {
          const r = await alice(`/api/subscription/check-payment?paymentId=${encodeURIComponent(id)}`);
          expectFieldError(r, 'paymentId', id);
        }
        const missing = await alice(`/api/subscription/check-payment?paymentId=pay_${'A'.repeat(22)}`);
        expect(missing).toMatchObject({ status: 404, body: { error: 'not_found' } });
        const repeated = await alice('/api/subscription/check-payment?paymentId=pay_a&paymentId=pay_b');
        expect(repeated.status).toBe(400);
      });

      it.each(CONTROL_CHARACTERS)(
        'an idempotencyKey with %s is a 400 naming idempotencyKey, and sends no prompt',
        async (_name, c) => {
          const before = pushes();
          for (const key of [`form-${c}-1`, c, `${c}form-2`]) {
            const r = await alice('/api/subscription/initiate-mpesa', {
              method: 'POST',
              body: { plan: 'pro', phoneNumber: '0712345678', idempotencyKey: key },
            });
            expectFieldError(r, 'idempotencyKey', key);
          }
          expect(pushes()).toBe(before);
        },
      );

      it.each(CONTROL_CHARACTERS)(
        'a phoneNumber with %s is a 400 naming phoneNumber, and sends no prompt',
        async (_name, c) => {
          const before = pushes();
          for (const phone of [`0712345678${c}`, `${c}0712345678`, `0712${c}345678`]) {
            const r = await alice('/api/subscription/initiate-mpesa', {
              method: 'POST',
              body: { plan: 'pro', phoneNumber: phone },
            });
            expectFieldError(r, 'phoneNumber', phone);
            expect(r.text).not.toContain('345678'); // not even part of the number
          }
          expect(pushes()).toBe(before);
        },
      );

      it('still takes a clean payment after all that', async () => {
        const r = await alice('/api/subscription/initiate-mpesa', {
          method: 'POST',
          body: { plan: 'basic', phoneNumber: '0712 345 678', idempotencyKey: 'clean-1' },
        });
        expect(r.status, r.text).toBe(202);
        await app.service.simulator!.idle();
        const check = await alice(`/api/subscription/check-payment?paymentId=${r.body['payment'].id}`);
        expect(check.status, check.text).toBe(200);
        expect(check.body['payment']).toMatchObject({ status: 'completed', activated: true });
      });
    });
  }
}
