import assert from 'node:assert/strict';
import { type ConformanceContext, newPayment, transition, uid } from './conformance-fixtures.js';

/**
 * Creation and idempotency: a `pending` payment stamped by the store with every field read back, a unique
 * id, and one payment per idempotency key however many creates race.
 */
export function creationTests({ test, concurrency: n }: ConformanceContext): void {
  test('creates a pending payment, stamped by the store, and reads every field back', async (store) => {
    const input = newPayment({ idempotencyKey: uid('key') });
    const before = Date.now();
    const { created, payment } = await store.create(input);
    const after = Date.now();
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
      assert.equal(p.final, false);
      // The store's clock stamps it; allow a minute of difference from this process's clock.
      assert.ok(Math.abs(p.createdAt.getTime() - (before + after) / 2) < 60_000, 'createdAt is about now');
      assert.equal(p.updatedAt.getTime(), p.createdAt.getTime());
      for (const k of [
        'correctedFrom',
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
      assert.equal(p.statusChecks, 0);
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
}

/**
 * Checkout ids: attached once, never overwritten, and unique across payments (also when a transition
 * brings one).
 */
export function checkoutTests({ test }: ConformanceContext): void {
  test('attaches checkout ids once and never overwrites them', async (store) => {
    const { payment } = await store.create(newPayment());
    const first = await store.attachCheckout(payment.id, {
      merchantRequestId: 'm-1',
      checkoutRequestId: 'ws_CO_A',
    });
    assert.equal(first?.checkoutRequestId, 'ws_CO_A');
    assert.equal(first?.merchantRequestId, 'm-1');
    const second = await store.attachCheckout(payment.id, {
      merchantRequestId: 'm-2',
      checkoutRequestId: 'ws_CO_B',
    });
    assert.equal(second?.checkoutRequestId, 'ws_CO_A');
    assert.equal(second?.merchantRequestId, 'm-1');
    assert.equal((await store.getByCheckoutRequestId('ws_CO_A'))?.id, payment.id);
    assert.equal(await store.getByCheckoutRequestId('ws_CO_B'), undefined);
    assert.equal(
      await store.attachCheckout(uid('pay'), { merchantRequestId: 'm', checkoutRequestId: 'x' }),
      undefined,
    );
  });

  test('keeps a CheckoutRequestID unique across payments', async (store) => {
    const a = (await store.create(newPayment())).payment;
    const b = (await store.create(newPayment())).payment;
    await store.attachCheckout(a.id, { merchantRequestId: 'm', checkoutRequestId: 'ws_CO_SAME' });
    await store
      .attachCheckout(b.id, { merchantRequestId: 'm', checkoutRequestId: 'ws_CO_SAME' })
      .catch(() => undefined);
    assert.equal((await store.get(b.id))?.checkoutRequestId, null);
    const linked = await store.transition(b.id, transition('completed', { checkoutRequestId: 'ws_CO_SAME' }));
    assert.equal(linked.applied, false);
    assert.equal(linked.reason, 'duplicate_checkout');
    assert.equal((await store.get(b.id))?.status, 'pending');
  });
}
