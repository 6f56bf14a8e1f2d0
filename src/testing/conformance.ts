import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { PaymentStatus } from '../payment-status.js';
import type { NewPayment, PaymentStore, PaymentTransition } from '../payments/types.js';

/** The test-runner functions the suite registers its tests with (vitest, jest, mocha or `node:test`). */
export interface TestHarness {
  /** Group tests, like vitest's `describe`. */
  describe(name: string, fn: () => void): void;
  /** Register one async test, like vitest's `it`. */
  it(name: string, fn: () => Promise<void>, timeoutMs?: number): void;
}

/** Options of {@link describePaymentStoreConformance}. */
export interface ConformanceOptions {
  /** How many concurrent operations the race tests start. @defaultValue 25 */
  concurrency?: number;
  /** Timeout of each test, in ms. @defaultValue 30000 */
  timeoutMs?: number;
}

const TERMINAL: Exclude<PaymentStatus, 'pending'>[] = ['completed', 'cancelled', 'failed', 'timeout'];
const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const uid = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`;

function newPayment(overrides: Partial<NewPayment> = {}): NewPayment {
  return {
    id: uid('pay'),
    ownerId: 'owner-1',
    amount: 500,
    phoneNumber: '254712345678',
    accountReference: 'PRO-42',
    transactionDesc: 'Payment',
    metadata: { plan: 'pro', nested: { months: 1 } },
    idempotencyKey: null,
    createdAt: T0,
    ...overrides,
  };
}

function transition(
  status: Exclude<PaymentStatus, 'pending'>,
  overrides: Partial<PaymentTransition> = {},
): PaymentTransition {
  return {
    status,
    resultCode:
      status === 'completed' ? '0' : status === 'cancelled' ? '1032' : status === 'timeout' ? '1037' : '1',
    resultDesc: `result ${status}`,
    mpesaReceiptNumber:
      status === 'completed'
        ? uid('R')
            .replace(/[^A-Za-z0-9]/g, '')
            .slice(0, 12)
            .toUpperCase()
        : null,
    merchantRequestId: null,
    checkoutRequestId: null,
    callback: { Body: { stkCallback: { ResultCode: status } } },
    settledBy: 'callback',
    at: at(60_000),
    ...overrides,
  };
}

async function completed(store: PaymentStore) {
  const { payment } = await store.create(newPayment());
  const r = await store.transition(payment.id, transition('completed'));
  assert.equal(r.applied, true);
  return payment.id;
}

/**
 * Register the `PaymentStore` conformance suite: the behaviour every store must have for the payment
 * flow to be exactly-once (atomic compare-and-set out of `pending`, unique receipts and checkout ids,
 * fulfilment claims that only one caller wins, disjoint reconciliation claims, idempotent creates, and an
 * audit log of callbacks). Run it against your own store before trusting it with money.
 *
 * Each test gets a fresh store from `makeStore`. Assertions use `node:assert`, so any runner works.
 *
 * @param name - The store's name in test output.
 * @param makeStore - Returns a fresh, empty, migrated store.
 * @param harness - `{ describe, it }` from your test runner.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { describePaymentStoreConformance } from 'daraja-sdk/testing';
 *
 * describePaymentStoreConformance('RedisPaymentStore', async () => new RedisPaymentStore(await freshRedis()), { describe, it });
 * ```
 */
export function describePaymentStoreConformance(
  name: string,
  makeStore: () => PaymentStore | Promise<PaymentStore>,
  harness: TestHarness,
  options: ConformanceOptions = {},
): void {
  const n = options.concurrency ?? 25;
  const timeout = options.timeoutMs ?? 30_000;
  const test = (title: string, fn: (store: PaymentStore) => Promise<void>) =>
    harness.it(title, async () => fn(await makeStore()), timeout);

  harness.describe(`PaymentStore conformance: ${name}`, () => {
    test('creates a pending payment and reads every field back', async (store) => {
      const input = newPayment({
        idempotencyKey: uid('key'),
        createdAt: new Date('2026-03-04T05:06:07.089Z'),
      });
      const { created, payment } = await store.create(input);
      assert.equal(created, true);
      const read = await store.get(input.id);
      assert.ok(read, 'get returns the payment');
      for (const p of [payment, read]) {
        assert.equal(p.id, input.id);
        assert.equal(p.ownerId, input.ownerId);
        assert.equal(p.amount, 500);
        assert.equal(p.phoneNumber, '254712345678');
        assert.equal(p.accountReference, 'PRO-42');
        assert.equal(p.transactionDesc, 'Payment');
        assert.deepEqual(p.metadata, { plan: 'pro', nested: { months: 1 } });
        assert.equal(p.idempotencyKey, input.idempotencyKey);
        assert.equal(p.status, 'pending');
        assert.equal(p.createdAt.toISOString(), '2026-03-04T05:06:07.089Z');
        for (const k of [
          'merchantRequestId',
          'checkoutRequestId',
          'mpesaReceiptNumber',
          'resultCode',
          'resultDesc',
          'settledBy',
          'completedAt',
          'fulfilledAt',
          'lastFulfilmentError',
        ] as const) {
          assert.equal(p[k], null, `${k} starts null`);
        }
        assert.equal(p.fulfilmentAttempts, 0);
      }
      assert.equal(await store.get(uid('pay')), undefined);
      assert.equal(await store.getByCheckoutRequestId('ws_CO_unknown'), undefined);
    });

    test('rejects a second payment with the same id', async (store) => {
      const input = newPayment();
      await store.create(input);
      await assert.rejects(Promise.resolve().then(() => store.create({ ...input, amount: 9 })));
      assert.equal((await store.get(input.id))?.amount, 500);
    });

    test('returns the existing payment for a repeated idempotency key, even under concurrency', async (store) => {
      const key = uid('key');
      const results = await Promise.all(
        Array.from({ length: n }, () => store.create(newPayment({ idempotencyKey: key }))),
      );
      const created = results.filter((r) => r.created);
      assert.equal(created.length, 1, 'exactly one create wins');
      for (const r of results) assert.equal(r.payment.id, created[0]!.payment.id);
    });

    test('attaches checkout ids once and never overwrites them', async (store) => {
      const { payment } = await store.create(newPayment());
      const first = await store.attachCheckout(
        payment.id,
        { merchantRequestId: 'm-1', checkoutRequestId: 'ws_CO_A' },
        at(1),
      );
      assert.equal(first?.checkoutRequestId, 'ws_CO_A');
      assert.equal(first?.merchantRequestId, 'm-1');
      const second = await store.attachCheckout(
        payment.id,
        { merchantRequestId: 'm-2', checkoutRequestId: 'ws_CO_B' },
        at(2),
      );
      assert.equal(second?.checkoutRequestId, 'ws_CO_A');
      assert.equal(second?.merchantRequestId, 'm-1');
      assert.equal((await store.getByCheckoutRequestId('ws_CO_A'))?.id, payment.id);
      assert.equal(await store.getByCheckoutRequestId('ws_CO_B'), undefined);
    });

    test('keeps a CheckoutRequestID unique across payments', async (store) => {
      const a = (await store.create(newPayment())).payment;
      const b = (await store.create(newPayment())).payment;
      await store.attachCheckout(a.id, { merchantRequestId: 'm', checkoutRequestId: 'ws_CO_SAME' }, at(1));
      await store
        .attachCheckout(b.id, { merchantRequestId: 'm', checkoutRequestId: 'ws_CO_SAME' }, at(1))
        .catch(() => undefined);
      assert.equal((await store.get(b.id))?.checkoutRequestId, null);
      const linked = await store.transition(
        b.id,
        transition('completed', { checkoutRequestId: 'ws_CO_SAME' }),
      );
      assert.equal(linked.applied, false);
      assert.equal(linked.reason, 'duplicate_checkout');
      assert.equal((await store.get(b.id))?.status, 'pending');
    });

    test('transitions out of pending once, recording every field', async (store) => {
      const { payment } = await store.create(newPayment());
      const t = transition('completed', {
        checkoutRequestId: 'ws_CO_LINK',
        merchantRequestId: 'm-9',
        mpesaReceiptNumber: 'NLJ7RT61SV',
      });
      const r = await store.transition(payment.id, t);
      assert.equal(r.applied, true);
      const p = await store.get(payment.id);
      assert.equal(p?.status, 'completed');
      assert.equal(p?.resultCode, '0');
      assert.equal(p?.resultDesc, 'result completed');
      assert.equal(p?.mpesaReceiptNumber, 'NLJ7RT61SV');
      assert.equal(p?.checkoutRequestId, 'ws_CO_LINK', 'a callback linked by token supplies the checkout id');
      assert.equal(p?.merchantRequestId, 'm-9');
      assert.deepEqual(p?.callback, t.callback);
      assert.equal(p?.settledBy, 'callback');
      assert.equal(p?.completedAt?.toISOString(), t.at.toISOString());
      const again = await store.transition(payment.id, transition('failed'));
      assert.equal(again.applied, false);
      assert.equal(again.reason, 'not_pending');
      assert.equal(again.payment?.status, 'completed');
      assert.equal((await store.transition(uid('pay'), transition('failed'))).reason, 'not_found');
    });

    test('never overwrites a terminal status', async (store) => {
      for (const first of TERMINAL) {
        const { payment } = await store.create(newPayment());
        assert.equal((await store.transition(payment.id, transition(first))).applied, true);
        for (const next of TERMINAL) {
          const r = await store.transition(payment.id, transition(next));
          assert.equal(r.applied, false, `${first} → ${next} must not apply`);
        }
        assert.equal((await store.get(payment.id))?.status, first);
      }
    });

    test(`lets exactly one of ${n} racing transitions win`, async (store) => {
      const { payment } = await store.create(newPayment());
      const attempts = Array.from({ length: n }, (_, i) => transition(TERMINAL[i % TERMINAL.length]!));
      const results = await Promise.all(attempts.map((t) => store.transition(payment.id, t)));
      const winners = results.flatMap((r, i) => (r.applied ? [i] : []));
      assert.equal(winners.length, 1, 'exactly one transition applied');
      assert.equal((await store.get(payment.id))?.status, attempts[winners[0]!]!.status);
    });

    test('keeps receipt numbers unique across payments', async (store) => {
      const a = (await store.create(newPayment())).payment;
      const b = (await store.create(newPayment())).payment;
      assert.equal(
        (await store.transition(a.id, transition('completed', { mpesaReceiptNumber: 'SAMERCPT01' }))).applied,
        true,
      );
      const r = await store.transition(b.id, transition('completed', { mpesaReceiptNumber: 'SAMERCPT01' }));
      assert.equal(r.applied, false);
      assert.equal(r.reason, 'duplicate_receipt');
      assert.equal((await store.get(b.id))?.status, 'pending');
    });

    test('lets exactly one of many concurrent fulfilment claims win, and fulfils once', async (store) => {
      const id = await completed(store);
      const claims = await Promise.all(
        Array.from({ length: n }, () => store.claimFulfilment(id, at(1_000), at(61_000))),
      );
      assert.equal(claims.filter(Boolean).length, 1);
      assert.equal(
        await store.claimFulfilment(id, at(2_000), at(62_000)),
        undefined,
        'an unexpired claim blocks others',
      );
      assert.equal(await store.completeFulfilment(id, at(3_000)), true);
      assert.equal(await store.completeFulfilment(id, at(4_000)), false, 'fulfilledAt is set once');
      const p = await store.get(id);
      assert.equal(p?.fulfilledAt?.toISOString(), at(3_000).toISOString());
      assert.equal(p?.fulfilmentAttempts, 1);
      assert.equal(
        await store.claimFulfilment(id, at(999_999), at(1_999_999)),
        undefined,
        'no claim after fulfilment',
      );
    });

    test('only claims fulfilment of completed payments, and again after a claim expires', async (store) => {
      for (const status of ['cancelled', 'failed', 'timeout'] as const) {
        const { payment } = await store.create(newPayment());
        await store.transition(payment.id, transition(status));
        assert.equal(await store.claimFulfilment(payment.id, at(1), at(2)), undefined);
      }
      const pending = (await store.create(newPayment())).payment;
      assert.equal(await store.claimFulfilment(pending.id, at(1), at(2)), undefined);
      const id = await completed(store);
      assert.ok(await store.claimFulfilment(id, at(1_000), at(5_000)));
      assert.ok(
        await store.claimFulfilment(id, at(5_000), at(9_000)),
        'claimable once the lease has expired',
      );
      assert.equal((await store.get(id))?.fulfilmentAttempts, 2);
    });

    test('releases a failed fulfilment until its retry time, keeping the error', async (store) => {
      const id = await completed(store);
      assert.ok(await store.claimFulfilment(id, at(1_000), at(61_000)));
      await store.releaseFulfilment(id, 'subscription service down', at(31_000));
      assert.equal((await store.get(id))?.lastFulfilmentError, 'subscription service down');
      assert.equal(await store.claimFulfilment(id, at(30_000), at(90_000)), undefined, 'not before retryAt');
      assert.deepEqual(
        await store.claimDueFulfilments({ now: at(30_000), leaseUntil: at(90_000), limit: 10 }),
        [],
      );
      const due = await store.claimDueFulfilments({ now: at(31_000), leaseUntil: at(91_000), limit: 10 });
      assert.deepEqual(
        due.map((p) => p.id),
        [id],
      );
      assert.equal(await store.completeFulfilment(id, at(32_000)), true);
      assert.equal((await store.get(id))?.lastFulfilmentError, null);
    });

    test('hands out due pending payments to concurrent reconcilers without overlap', async (store) => {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++)
        ids.push((await store.create(newPayment({ createdAt: at(i * 1000) }))).payment.id);
      const young = (await store.create(newPayment({ createdAt: at(600_000) }))).payment.id;
      const done = (await store.create(newPayment({ createdAt: at(0) }))).payment.id;
      await store.transition(done, transition('cancelled'));
      const claims = await Promise.all(
        Array.from({ length: 6 }, () =>
          store.claimDuePending({
            createdBefore: at(300_000),
            now: at(300_000),
            nextCheckAt: at(330_000),
            limit: 5,
          }),
        ),
      );
      const claimed = claims.flat().map((p) => p.id);
      assert.equal(new Set(claimed).size, claimed.length, 'no payment claimed twice');
      assert.deepEqual([...claimed].sort(), [...ids].sort(), 'every due pending payment, and only those');
      for (const batch of claims) assert.ok(batch.length <= 5, 'limit respected');
      assert.ok(!claimed.includes(young) && !claimed.includes(done));
      assert.deepEqual(
        await store.claimDuePending({
          createdBefore: at(300_000),
          now: at(329_000),
          nextCheckAt: at(360_000),
          limit: 50,
        }),
        [],
      );
      const again = await store.claimDuePending({
        createdBefore: at(300_000),
        now: at(330_000),
        nextCheckAt: at(360_000),
        limit: 3,
      });
      assert.deepEqual(
        again.map((p) => p.id),
        ids.slice(0, 3),
        'due again at nextCheckAt, oldest first',
      );
    });

    test('hands out due fulfilments to concurrent reconcilers without overlap', async (store) => {
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push(await completed(store));
      const batches = await Promise.all(
        Array.from({ length: 5 }, () =>
          store.claimDueFulfilments({ now: at(1_000), leaseUntil: at(61_000), limit: 3 }),
        ),
      );
      const claimed = batches.flat().map((p) => p.id);
      assert.equal(new Set(claimed).size, claimed.length);
      assert.deepEqual([...claimed].sort(), [...ids].sort());
      for (const p of batches.flat()) assert.equal(p.fulfilmentAttempts, 1);
    });

    test('keeps every callback event, linked or not, in order', async (store) => {
      const { payment } = await store.create(newPayment());
      const hostile = JSON.parse(
        '{"odd":"nul \\u0000 and emoji 🙂","__proto__":{"polluted":true}}',
      ) as unknown;
      const bodies: unknown[] = [{ Body: { stkCallback: { ResultCode: 0 } } }, 'not json {', hostile];
      const events = bodies.map((body, i) => ({
        id: uid('cbe'),
        receivedAt: at(i * 1000),
        outcome: i === 0 ? ('applied' as const) : ('invalid' as const),
        reason: i === 0 ? null : 'invalid_body',
        paymentId: i === 0 ? payment.id : null,
        checkoutRequestId: i === 0 ? 'ws_CO_EV' : null,
        remoteAddress: '196.201.214.200',
        body,
      }));
      for (const e of events) await store.recordCallback(e);
      const all = await store.listCallbacks();
      assert.deepEqual(
        all.map((e) => e.id),
        events.map((e) => e.id),
      );
      assert.deepEqual(all[0], events[0]);
      assert.equal(all[1]?.body, 'not json {');
      assert.deepEqual(JSON.stringify(all[2]?.body), JSON.stringify(events[2]?.body));
      assert.deepEqual(
        (await store.listCallbacks({ paymentId: payment.id })).map((e) => e.id),
        [events[0]!.id],
      );
      assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched');
    });
  });
}
