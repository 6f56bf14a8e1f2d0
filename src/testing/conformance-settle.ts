import assert from 'node:assert/strict';
import type {
  CallbackSettlement,
  CallbackSettlementResult,
  Payment,
  PaymentStore,
  PaymentTransition,
} from '../payments/types.js';
import {
  type ConformanceContext,
  event,
  giveUp,
  newPayment,
  transition,
  uid,
} from './conformance-fixtures.js';

/**
 * The optional `settleCallback` does in one step what the calls one by one do: the same sequences of
 * callbacks, on two payments in the same starting state, one through `settleCallback` and one through
 * `get`, `transition`, `claimFulfilment` and `recordCallback`, end in the same outcomes and the same stored
 * state; racing settlements apply once and claim once. A store without the method passes trivially.
 */
export function settleCallbackTests({ test, concurrency: n }: ConformanceContext): void {
  test('settleCallback (if the store has it) stores what the calls one by one store', async (store) => {
    if (!store.settleCallback) return; // optional: the flow calls the methods one by one instead
    let seed = 13;
    const random = (k: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % k;
    };
    for (const start of STARTS) {
      for (let run = 0; run < 4; run++) {
        const sequence = Array.from({ length: 3 }, () => CALLBACKS[random(CALLBACKS.length)]!);
        const [a, b] = [await prepare(store, start), await prepare(store, start)];
        for (const callback of sequence) {
          const atOnce = await store.settleCallback(settlement(a, callback));
          const oneByOne = await settleOneByOne(store, settlement(b, callback));
          const where = `${start} then ${sequence.join(', ')} (at ${callback})`;
          assert.deepEqual(summary(atOnce, a), summary(oneByOne, b), where);
          assert.deepEqual(await stored(store, a), await stored(store, b), where);
        }
      }
    }
  });

  test(`settleCallback (if the store has it): of ${n} racing identical callbacks, one applies and claims`, async (store) => {
    if (!store.settleCallback) return;
    const p = await prepare(store, 'pending');
    const results = await Promise.all(
      Array.from({ length: n }, () => store.settleCallback!(settlement(p, 'success'))),
    );
    assert.equal(results.filter((r) => r.outcome === 'applied').length, 1, 'one applies');
    assert.equal(results.filter((r) => r.claim !== undefined).length, 1, 'one claim');
    for (const r of results) assert.ok(['applied', 'duplicate', 'not_settled'].includes(r.outcome));
    const events = await store.listCallbacks({ paymentId: p.id });
    const recorded = results.filter((r) => r.outcome === 'applied' || r.outcome === 'duplicate').length;
    assert.equal(events.length, recorded, 'an audit row for each settlement that wrote one, and only those');
    const after = await store.get(p.id);
    assert.equal(after?.fulfilmentAttempts, 1);
  });
}

/** The states a payment can be in when a callback arrives. */
const STARTS = ['pending', 'pending without checkout id', 'given up', 'completed without receipt', 'failed'];
/** The callbacks that can arrive: genuine, or failing one of the checks. */
const CALLBACKS = ['success', 'wrong amount', 'wrong phone', 'other checkout', 'cancelled', 'other receipt'];

interface Prepared {
  id: string;
  checkout: string;
  receipt: string;
}

async function prepare(store: PaymentStore, start: string): Promise<Prepared> {
  const { payment } = await store.create(newPayment());
  const p = { id: payment.id, checkout: uid('ws_CO'), receipt: uid('R').slice(0, 12).toUpperCase() };
  if (start !== 'pending without checkout id')
    await store.attachCheckout(p.id, { merchantRequestId: 'm-1', checkoutRequestId: p.checkout });
  if (start === 'given up') await store.transition(p.id, giveUp());
  if (start === 'completed without receipt')
    await store.transition(p.id, transition('completed', { mpesaReceiptNumber: null, settledBy: 'query' }));
  if (start === 'failed') await store.transition(p.id, transition('failed'));
  return p;
}

function settlement(p: Prepared, callback: string): CallbackSettlement {
  const success = callback !== 'cancelled';
  const t: PaymentTransition = transition(success ? 'completed' : 'cancelled', {
    mpesaReceiptNumber: success
      ? callback === 'other receipt'
        ? `${p.receipt.slice(0, 10)}X`
        : p.receipt
      : null,
    checkoutRequestId: callback === 'other checkout' ? `${p.checkout}_other` : p.checkout,
  });
  return {
    find: { id: p.id },
    expect: {
      checkoutRequestId: t.checkoutRequestId!,
      amount: success ? (callback === 'wrong amount' ? 501 : 500) : null,
      phoneNumber: success ? (callback === 'wrong phone' ? '254700000000' : '254712345678') : null,
    },
    transition: t,
    claim: { leaseMs: 60_000, maxAttempts: 3 },
    event: event({ paymentId: null, checkoutRequestId: t.checkoutRequestId, outcome: 'invalid' }),
  };
}

/** What the flow does without `settleCallback`, with the same semantics, through the other methods. */
async function settleOneByOne(store: PaymentStore, s: CallbackSettlement): Promise<CallbackSettlementResult> {
  const found =
    'id' in s.find
      ? await store.get(s.find.id)
      : await store.getByCheckoutRequestId(s.find.checkoutRequestId);
  if (!found) return { outcome: 'not_found', payment: undefined };
  const { expect: e, transition: t } = s;
  const passes =
    (found.checkoutRequestId === null || found.checkoutRequestId === e.checkoutRequestId) &&
    (e.amount === null || found.amount === e.amount) &&
    (e.phoneNumber === null || found.phoneNumber === e.phoneNumber);
  if (
    passes &&
    found.final &&
    found.status === t.status &&
    found.mpesaReceiptNumber === t.mpesaReceiptNumber
  ) {
    await store.recordCallback({
      ...s.event,
      outcome: 'duplicate',
      reason: 'already_settled',
      paymentId: found.id,
    });
    return { outcome: 'duplicate', payment: found };
  }
  const settled = passes ? await store.transition(found.id, t) : undefined;
  if (!settled?.applied) return { outcome: 'not_settled', payment: found };
  const payment = settled.payment!;
  const claim = payment.status === 'completed' ? await store.claimFulfilment(found.id, s.claim) : undefined;
  const late = payment.correctedFrom !== null;
  await store.recordCallback({
    ...s.event,
    outcome: late ? 'late_success' : 'applied',
    reason: late ? `was_${payment.correctedFrom}` : null,
    paymentId: found.id,
  });
  return { outcome: late ? 'late_success' : 'applied', payment: claim?.payment ?? payment, claim };
}

/** A payment without what differs between two payments (ids, times, its own checkout id and receipt). */
function normalised(payment: Payment | undefined, p: Prepared) {
  if (!payment) return undefined;
  const { id: _id, createdAt: _c, updatedAt: _u, completedAt, fulfilledAt, ...rest } = payment;
  const own = (v: string | null) =>
    v
      ?.replace(p.checkout, '<checkout>')
      .replace(p.receipt, '<receipt>')
      .replace(p.receipt.slice(0, 10), '<other receipt>');
  return {
    ...rest,
    checkoutRequestId: own(rest.checkoutRequestId),
    mpesaReceiptNumber: own(rest.mpesaReceiptNumber),
    callback: JSON.stringify(rest.callback),
    completed: completedAt !== null,
    fulfilled: fulfilledAt !== null,
  };
}

function summary(r: CallbackSettlementResult, p: Prepared) {
  return { outcome: r.outcome, payment: normalised(r.payment, p), claimed: r.claim !== undefined };
}

async function stored(store: PaymentStore, p: Prepared) {
  const events = await store.listCallbacks({ paymentId: p.id });
  return {
    payment: normalised(await store.get(p.id), p),
    events: events.map(
      (e) => `${e.outcome}:${e.reason}:${e.checkoutRequestId?.replace(p.checkout, '<checkout>')}`,
    ),
  };
}
