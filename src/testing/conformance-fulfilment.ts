import assert from 'node:assert/strict';
import { sleep } from '../core/http/retry.js';
import { type ConformanceContext, completed, newPayment, transition } from './conformance-fixtures.js';

/**
 * Fulfilment claims: one winner among concurrent claims, completed payments only, leases measured on
 * the store clock, and fencing: a stale holder can neither renew, complete nor release.
 */
export function fulfilmentClaimTests({ test, concurrency: n, tickMs: tick }: ConformanceContext): void {
  test('lets exactly one of many concurrent fulfilment claims win, and fulfils once', async (store) => {
    const id = await completed(store);
    const claims = await Promise.all(
      Array.from({ length: n }, () => store.claimFulfilment(id, { leaseMs: 60_000 })),
    );
    const won = claims.filter((c) => c !== undefined);
    assert.equal(won.length, 1);
    assert.equal(won[0]!.payment.id, id);
    assert.equal(won[0]!.payment.fulfilmentAttempts, 1);
    assert.equal(
      await store.claimFulfilment(id, { leaseMs: 60_000 }),
      undefined,
      'an unexpired claim blocks others',
    );
    assert.equal(await store.completeFulfilment(id, won[0]!.token), true);
    assert.equal(await store.completeFulfilment(id, won[0]!.token), false, 'fulfilledAt is set once');
    const p = await store.get(id);
    assert.ok(p?.fulfilledAt instanceof Date);
    assert.equal(p?.fulfilmentAttempts, 1);
    assert.equal(await store.claimFulfilment(id, { leaseMs: 1 }), undefined, 'no claim after fulfilment');
  });

  test('only claims fulfilment of completed payments', async (store) => {
    for (const status of ['cancelled', 'failed', 'timeout'] as const) {
      const { payment } = await store.create(newPayment());
      await store.transition(payment.id, transition(status));
      assert.equal(await store.claimFulfilment(payment.id, { leaseMs: 1_000 }), undefined);
    }
    const pending = (await store.create(newPayment())).payment;
    assert.equal(await store.claimFulfilment(pending.id, { leaseMs: 1_000 }), undefined);
    assert.deepEqual(await store.claimDueFulfilments({ leaseMs: 1_000, limit: 10, maxAttempts: 5 }), []);
  });

  test('measures leases on the store clock: claimable again once a lease expires', async (store) => {
    const id = await completed(store);
    const first = await store.claimFulfilment(id, { leaseMs: tick });
    assert.ok(first);
    assert.equal(await store.claimFulfilment(id, { leaseMs: tick }), undefined, 'not while the lease runs');
    await sleep(tick * 1.5);
    const second = await store.claimFulfilment(id, { leaseMs: 60_000 });
    assert.ok(second, 'claimable once the lease has expired');
    assert.notEqual(second.token, first.token);
    assert.equal((await store.get(id))?.fulfilmentAttempts, 2);
  });

  test("refuses a stale holder's renew, complete and release", async (store) => {
    const id = await completed(store);
    const stale = await store.claimFulfilment(id, { leaseMs: tick });
    assert.ok(stale);
    await sleep(tick * 1.5);
    const current = await store.claimFulfilment(id, { leaseMs: 60_000 });
    assert.ok(current, 'another holder takes over after the lease');
    assert.equal(await store.renewFulfilment(id, stale.token, 60_000), false, 'stale renew refused');
    assert.equal(
      await store.releaseFulfilment(id, stale.token, { error: 'stale', retryAfterMs: 0 }),
      false,
      'stale release refused',
    );
    assert.equal(
      await store.claimFulfilment(id, { leaseMs: 60_000 }),
      undefined,
      "a stale release did not reopen the current holder's claim",
    );
    assert.equal(await store.completeFulfilment(id, stale.token), false, 'stale complete refused');
    assert.equal((await store.get(id))?.fulfilledAt, null);
    assert.equal(await store.completeFulfilment(id, 'not-a-token'), false, 'a forged token is refused');
    assert.equal(await store.completeFulfilment(id, current.token), true, 'the current holder completes');
  });
}

/**
 * Completions at once: a store may write them together (as `PostgresPaymentStore` does under load), but
 * each caller still learns about its own claim, and fencing holds for every one.
 */
export function concurrentCompletionTests({ test, concurrency: n }: ConformanceContext): void {
  test('completes many payments at once, each by its own claim, refusing the stale ones among them', async (store) => {
    const ids = await Promise.all(Array.from({ length: n }, () => completed(store)));
    const claims = await Promise.all(ids.map((id) => store.claimFulfilment(id, { leaseMs: 60_000 })));
    const tokens = claims.map((c, i) => {
      assert.ok(c, `claim ${i}`);
      return c.token;
    });
    // Every third one completes with a forged token; the rest with their own, all at once, twice over.
    const forged = (i: number) => i % 3 === 2;
    const results = await Promise.all(
      ids.flatMap((id, i) => [
        store.completeFulfilment(id, forged(i) ? 'not-a-token' : tokens[i]!),
        store.completeFulfilment(id, forged(i) ? '999999' : tokens[i]!),
      ]),
    );
    for (const [i, id] of ids.entries()) {
      const [a, b] = [results[2 * i], results[2 * i + 1]];
      const p = await store.get(id);
      if (forged(i)) {
        assert.deepEqual([a, b], [false, false], `payment ${i}: a forged token completes nothing`);
        assert.equal(p?.fulfilledAt, null);
      } else {
        assert.deepEqual([a, b].sort(), [false, true], `payment ${i}: exactly one of two completes`);
        assert.ok(p?.fulfilledAt instanceof Date);
      }
    }
  });
}

/**
 * Fulfilment retries: a holder renews its lease, a failure is released until its retry time with its
 * error kept, and `maxAttempts` parks a payment (an explicit uncapped claim still takes it).
 */
export function fulfilmentRetryTests({ test, tickMs: tick }: ConformanceContext): void {
  test('renews a lease for its holder, so a slow fulfilment keeps its claim', async (store) => {
    const id = await completed(store);
    const claim = await store.claimFulfilment(id, { leaseMs: tick });
    assert.ok(claim);
    for (let i = 0; i < 4; i++) {
      await sleep(tick / 2);
      assert.equal(await store.renewFulfilment(id, claim.token, tick), true);
    }
    // Two full leases have passed since the claim; the renewals kept it.
    assert.equal(await store.claimFulfilment(id, { leaseMs: tick }), undefined);
    assert.deepEqual(await store.claimDueFulfilments({ leaseMs: tick, limit: 10, maxAttempts: 10 }), []);
    assert.equal(await store.completeFulfilment(id, claim.token), true);
    assert.equal(
      await store.renewFulfilment(id, claim.token, tick),
      false,
      'nothing to renew once fulfilled',
    );
  });

  test('releases a failed fulfilment until its retry time, keeping the error', async (store) => {
    const id = await completed(store);
    const claim = await store.claimFulfilment(id, { leaseMs: 60_000 });
    assert.ok(claim);
    assert.equal(
      await store.releaseFulfilment(id, claim.token, {
        error: 'subscription service down',
        retryAfterMs: tick,
      }),
      true,
    );
    assert.equal((await store.get(id))?.lastFulfilmentError, 'subscription service down');
    assert.equal(
      await store.claimFulfilment(id, { leaseMs: 60_000 }),
      undefined,
      'not before the retry time',
    );
    assert.deepEqual(await store.claimDueFulfilments({ leaseMs: 60_000, limit: 10, maxAttempts: 10 }), []);
    await sleep(tick * 1.5);
    const due = await store.claimDueFulfilments({ leaseMs: 60_000, limit: 10, maxAttempts: 10 });
    assert.deepEqual(
      due.map((c) => c.payment.id),
      [id],
    );
    assert.equal(await store.completeFulfilment(id, claim.token), false, 'the released claim is stale');
    assert.equal(await store.completeFulfilment(id, due[0]!.token), true);
    assert.equal((await store.get(id))?.lastFulfilmentError, null);
  });

  test('stops handing out a fulfilment after maxAttempts, unless claimed without a cap', async (store) => {
    const id = await completed(store);
    for (let i = 1; i <= 3; i++) {
      const claim = await store.claimFulfilment(id, { leaseMs: 60_000, maxAttempts: 3 });
      assert.ok(claim, `attempt ${i}`);
      await store.releaseFulfilment(id, claim.token, { error: `fail ${i}`, retryAfterMs: 0 });
    }
    assert.equal(await store.claimFulfilment(id, { leaseMs: 60_000, maxAttempts: 3 }), undefined, 'parked');
    assert.deepEqual(await store.claimDueFulfilments({ leaseMs: 60_000, limit: 10, maxAttempts: 3 }), []);
    const manual = await store.claimFulfilment(id, { leaseMs: 60_000 });
    assert.ok(manual, 'an explicit retry without a cap still claims it');
    assert.equal(manual.payment.fulfilmentAttempts, 4);
  });
}
