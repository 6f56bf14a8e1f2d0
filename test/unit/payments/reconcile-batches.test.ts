import { describe, expect, it } from 'vitest';
import { MemoryPaymentStore } from '../../../src/index.js';
import { RECONCILE_BATCH } from '../../../src/payments/flow/reconcile.js';
import { newPayment } from '../../../src/testing/conformance-fixtures.js';
import { makeFlow } from '../../helpers/flow.js';

/** A memory store that records the `limit` of every pending claim and how many it returned. */
class CountingStore extends MemoryPaymentStore {
  readonly claims: { limit: number; got: number }[] = [];

  override async claimDuePending(o: Parameters<MemoryPaymentStore['claimDuePending']>[0]) {
    const result = await super.claimDuePending(o);
    this.claims.push({ limit: o.limit, got: result.payments.length });
    return result;
  }
}

function countingStore() {
  const store = new CountingStore();
  return { store, inner: store, claims: store.claims };
}

describe('reconcile works through a big limit in bounded batches', () => {
  it(`claims at most ${RECONCILE_BATCH} pending payments at a time, checking each batch before the next`, async () => {
    const { store, inner, claims } = countingStore();
    for (let i = 0; i < 2 * RECONCILE_BATCH + 80; i++) await inner.create(newPayment());
    const { flow } = makeFlow({ store });
    const summary = await flow.reconcile({ olderThanMs: 0, limit: 2 * RECONCILE_BATCH + 50 });
    expect(claims.map((c) => c.limit)).toEqual([RECONCILE_BATCH, RECONCILE_BATCH, 50]);
    expect(summary.checked).toBe(2 * RECONCILE_BATCH + 50);
    // The 30 left over are still due for the next run.
    expect((await flow.reconcile({ olderThanMs: 0, limit: 10_000 })).checked).toBe(30);
  });

  it('stops at the first short batch: nothing more is due', async () => {
    const { store, inner, claims } = countingStore();
    for (let i = 0; i < 7; i++) await inner.create(newPayment());
    const { flow } = makeFlow({ store });
    expect((await flow.reconcile({ olderThanMs: 0, limit: 100_000 })).checked).toBe(7);
    expect(claims).toEqual([{ limit: RECONCILE_BATCH, got: 7 }]);
  });

  it('limit 0 claims nothing', async () => {
    const { store, inner, claims } = countingStore();
    await inner.create(newPayment());
    const { flow } = makeFlow({ store });
    expect((await flow.reconcile({ olderThanMs: 0, limit: 0 })).checked).toBe(0);
    expect(claims).toEqual([]);
  });
});
