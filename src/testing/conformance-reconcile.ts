import assert from 'node:assert/strict';
import { sleep } from '../core/http/retry.js';
import { type ConformanceContext, completed, newPayment, transition } from './conformance-fixtures.js';

/**
 * Reconcile claims of pending payments: disjoint batches for concurrent reconcilers, only due payments,
 * and a backoff per payment that never lets old payments starve new ones.
 */
export function duePendingTests({ test, tickMs: tick }: ConformanceContext): void {
  test('hands out due pending payments to concurrent reconcilers without overlap', async (store) => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await store.create(newPayment())).payment.id);
    const done = (await store.create(newPayment())).payment.id;
    await store.transition(done, transition('cancelled'));
    assert.deepEqual(
      (
        await store.claimDuePending({
          olderThanMs: 60_000,
          limit: 50,
          recheckMs: 60_000,
          maxRecheckMs: 60_000,
        })
      ).payments,
      [],
      'none is a minute old yet',
    );
    const claims = await Promise.all(
      Array.from({ length: 6 }, () =>
        store.claimDuePending({ olderThanMs: 0, limit: 5, recheckMs: 60_000, maxRecheckMs: 600_000 }),
      ),
    );
    const claimed = claims.flatMap((c) => c.payments.map((p) => p.id));
    assert.equal(new Set(claimed).size, claimed.length, 'no payment claimed twice');
    assert.deepEqual([...claimed].sort(), [...ids].sort(), 'every due pending payment, and only those');
    for (const batch of claims) {
      assert.ok(batch.payments.length <= 5, 'limit respected');
      assert.ok(batch.now instanceof Date);
      assert.ok(Math.abs(batch.now.getTime() - Date.now()) < 60_000, 'now is the store clock');
    }
    for (const p of claims.flatMap((c) => c.payments)) assert.equal(p.statusChecks, 1);
    assert.deepEqual(
      (await store.claimDuePending({ olderThanMs: 0, limit: 50, recheckMs: 60_000, maxRecheckMs: 60_000 }))
        .payments,
      [],
      'not due again before their next check',
    );
  });

  test('backs off each pending payment and never lets old ones starve new ones', async (store) => {
    const old: string[] = [];
    for (let i = 0; i < 5; i++) old.push((await store.create(newPayment())).payment.id);
    const opts = { olderThanMs: 0, limit: 5, recheckMs: tick, maxRecheckMs: tick * 2 };
    const first = await store.claimDuePending(opts);
    assert.deepEqual(first.payments.map((p) => p.id).sort(), [...old].sort());
    const fresh = (await store.create(newPayment())).payment.id;
    // The old ones stay pending and are not due yet: the new one is not stuck behind them.
    assert.deepEqual(
      (await store.claimDuePending(opts)).payments.map((p) => p.id),
      [fresh],
    );
    await sleep(tick * 1.5);
    // Due again after recheckMs (then 2× recheckMs, capped at maxRecheckMs), most overdue first.
    const second = await store.claimDuePending({ ...opts, limit: 10 });
    assert.deepEqual(second.payments.map((p) => p.id).sort(), [...old, fresh].sort());
    for (const p of second.payments) assert.equal(p.statusChecks, 2);
    await sleep(tick * 1.2);
    assert.deepEqual(
      (await store.claimDuePending({ ...opts, limit: 10 })).payments,
      [],
      'the second wait is twice as long',
    );
    await sleep(tick * 1.3);
    assert.equal((await store.claimDuePending({ ...opts, limit: 10 })).payments.length, 6);
  });
}

/**
 * Reconcile claims of due fulfilments: disjoint batches for concurrent reconcilers.
 */
export function dueFulfilmentTests({ test }: ConformanceContext): void {
  test('hands out due fulfilments to concurrent reconcilers without overlap', async (store) => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await completed(store));
    const batches = await Promise.all(
      Array.from({ length: 5 }, () =>
        store.claimDueFulfilments({ leaseMs: 60_000, limit: 3, maxAttempts: 5 }),
      ),
    );
    const claimed = batches.flat().map((c) => c.payment.id);
    assert.equal(new Set(claimed).size, claimed.length);
    assert.deepEqual([...claimed].sort(), [...ids].sort());
    for (const c of batches.flat()) assert.equal(c.payment.fulfilmentAttempts, 1);
    for (const c of batches.flat()) assert.equal(await store.completeFulfilment(c.payment.id, c.token), true);
  });
}
