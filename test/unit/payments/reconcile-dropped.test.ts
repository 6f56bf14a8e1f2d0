import { describe, expect, it } from 'vitest';
import { MemoryPaymentStore, stkResultStatus } from '../../../src/index.js';
import { type QueryAnswer, useMsw } from '../../helpers/fake-daraja.js';
import { initiateParams, makeFlow, scriptedDaraja } from '../../helpers/flow.js';

const daraja = scriptedDaraja();
useMsw(...daraja.handlers);

describe('reconcile with every callback dropped', () => {
  it('brings 200 pending payments to the status Daraja reports, keeping "being processed" ones pending', async () => {
    let now = new Date('2026-07-01T09:00:00Z');
    const clock = () => now;
    const { flow, store, fulfilled, failed } = makeFlow({
      store: new MemoryPaymentStore({ now: clock }),
      now: clock,
    });
    const truth = new Map<string, QueryAnswer>();
    const answers: QueryAnswer[] = [0, 0, 0, 1032, 1037, 1, 2001, 'pending'];
    for (let i = 0; i < 200; i++) {
      const { payment } = await flow.initiate({ ...initiateParams, ownerId: `user-${i}`, amount: 10 + i });
      const answer = answers[i % answers.length]!;
      daraja.state.answers.set(payment.checkoutRequestId!, answer);
      truth.set(payment.id, answer);
    }
    now = new Date(now.getTime() + 5 * 60_000);
    const summary = await flow.reconcile({ olderThanMs: 60_000, limit: 500 });
    expect(summary.checked).toBe(200);
    expect(summary.stillPending).toBe(25);
    expect(summary.queryErrors).toBe(0);

    let completed = 0;
    for (const [id, answer] of truth) {
      const p = await store.get(id);
      const expected = answer === 'pending' ? 'pending' : stkResultStatus(answer);
      expect(p?.status, id).toBe(expected);
      if (expected === 'completed') {
        completed += 1;
        expect(p?.fulfilledAt).toBeInstanceOf(Date);
      }
      if (expected !== 'pending') expect(p?.resultCode).toBe(String(answer));
    }
    expect(completed).toBe(75);
    expect(summary.settled).toEqual({ completed: 75, cancelled: 25, timeout: 25, failed: 50 });
    expect(fulfilled).toHaveLength(75);
    expect(failed).toHaveLength(100);

    // Nothing is due again before the recheck interval; afterwards only the pending ones are queried.
    expect((await flow.reconcile({ olderThanMs: 60_000 })).checked).toBe(0);
    now = new Date(now.getTime() + 31_000);
    const queries = daraja.state.queryBodies.length;
    const again = await flow.reconcile({ olderThanMs: 60_000, limit: 500 });
    expect(again.checked).toBe(25);
    expect(daraja.state.queryBodies.length - queries).toBe(25);
    expect(fulfilled).toHaveLength(75);
  });
});
