import assert from 'node:assert/strict';
import {
  type ConformanceContext,
  completed,
  giveUp,
  newPayment,
  TERMINAL,
  transition,
  uid,
} from './conformance-fixtures.js';

/**
 * Transitions: one compare-and-set out of `pending` recording every field, final statuses never
 * overwritten, one winner among racing transitions, receipt numbers unique across payments.
 */
export function transitionTests({ test, concurrency: n }: ConformanceContext): void {
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
    assert.equal(p?.final, true);
    assert.equal(p?.correctedFrom, null);
    assert.equal(p?.resultCode, '0');
    assert.equal(p?.resultDesc, 'result completed');
    assert.equal(p?.mpesaReceiptNumber, 'NLJ7RT61SV');
    assert.equal(p?.checkoutRequestId, 'ws_CO_LINK', 'a callback linked by token supplies the checkout id');
    assert.equal(p?.merchantRequestId, 'm-9');
    assert.deepEqual(p?.callback, t.callback);
    assert.equal(p?.settledBy, 'callback');
    assert.ok(p?.completedAt instanceof Date);
    assert.ok(p!.completedAt!.getTime() >= p!.createdAt.getTime(), 'completedAt by the store clock');
    const again = await store.transition(payment.id, transition('failed'));
    assert.equal(again.applied, false);
    assert.equal(again.reason, 'not_pending');
    assert.equal(again.payment?.status, 'completed');
    assert.equal((await store.transition(uid('pay'), transition('failed'))).reason, 'not_found');
  });

  test('never overwrites a final status, not even with a final success', async (store) => {
    for (const first of TERMINAL) {
      const { payment } = await store.create(newPayment());
      assert.equal((await store.transition(payment.id, transition(first))).applied, true);
      for (const next of TERMINAL) {
        const r = await store.transition(payment.id, transition(next));
        assert.equal(r.applied, false, `${first} → ${next} must not apply`);
        assert.equal(r.reason, 'not_pending');
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
}

/**
 * Late successes: a final success corrects a give-up once (and records what it corrected); a receipt
 * is attached once to a completed payment that has none (the query settled it before the callback came).
 */
export function lateSuccessTests({ test, concurrency: n }: ConformanceContext): void {
  test('lets a final success correct a give-up once, recording what it corrected', async (store) => {
    const { payment } = await store.create(newPayment());
    const gaveUp = await store.transition(payment.id, giveUp());
    assert.equal(gaveUp.applied, true);
    assert.equal(gaveUp.payment?.final, false);
    assert.equal(gaveUp.payment?.settledBy, 'give-up');
    // Only a final success corrects it: not another give-up, not a final failure.
    assert.equal((await store.transition(payment.id, giveUp())).applied, false);
    for (const status of ['cancelled', 'failed', 'timeout'] as const)
      assert.equal((await store.transition(payment.id, transition(status))).applied, false, status);
    assert.equal(
      (await store.transition(payment.id, transition('completed', { final: false }))).applied,
      false,
      'a non-final success does not correct',
    );
    const racers = await Promise.all(
      Array.from({ length: n }, () => store.transition(payment.id, transition('completed'))),
    );
    assert.equal(racers.filter((r) => r.applied).length, 1, 'exactly one correction wins');
    const p = await store.get(payment.id);
    assert.equal(p?.status, 'completed');
    assert.equal(p?.final, true);
    assert.equal(p?.correctedFrom, 'timeout');
    assert.equal(p?.settledBy, 'callback');
    assert.ok(p?.mpesaReceiptNumber);
    assert.equal((await store.transition(payment.id, transition('failed'))).applied, false, 'now final');
  });

  test('attaches a receipt to a completed payment that has none, once, and nothing else', async (store) => {
    const id = await completed(store, { mpesaReceiptNumber: null, callback: null, settledBy: 'query' });
    const pending = (await store.create(newPayment())).payment;
    const enrichment = {
      mpesaReceiptNumber: 'ENRICH0001',
      callback: { Body: { stkCallback: { ResultCode: 0 } } },
      merchantRequestId: 'm-late',
      checkoutRequestId: 'ws_CO_LATE',
    };
    const notYet = await store.attachReceipt(pending.id, enrichment);
    assert.equal(notYet.applied, false);
    assert.equal(notYet.reason, 'not_completed');
    assert.equal((await store.attachReceipt(uid('pay'), enrichment)).reason, 'not_found');
    const racers = await Promise.all(
      Array.from({ length: Math.min(n, 10) }, (_, i) =>
        store.attachReceipt(id, {
          ...enrichment,
          mpesaReceiptNumber: `ENRICH${String(i).padStart(4, '0')}`,
        }),
      ),
    );
    assert.equal(racers.filter((r) => r.applied).length, 1, 'exactly one receipt is attached');
    const p = await store.get(id);
    assert.match(p?.mpesaReceiptNumber ?? '', /^ENRICH\d{4}$/);
    assert.deepEqual(p?.callback, enrichment.callback, 'the callback body is kept when there was none');
    assert.equal(p?.merchantRequestId, 'm-late');
    assert.equal(p?.status, 'completed');
    assert.equal(p?.settledBy, 'query', 'an enrichment is not a status change');
    const again = await store.attachReceipt(id, { ...enrichment, mpesaReceiptNumber: 'OTHER00001' });
    assert.equal(again.applied, false);
    assert.equal(again.reason, 'has_receipt');
    const other = await completed(store, { mpesaReceiptNumber: null });
    const taken = await store.attachReceipt(other, {
      ...enrichment,
      mpesaReceiptNumber: p!.mpesaReceiptNumber!,
    });
    assert.equal(taken.applied, false);
    assert.equal(taken.reason, 'duplicate_receipt');
  });
}
