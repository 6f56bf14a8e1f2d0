import assert from 'node:assert/strict';
import { type ConformanceContext, event, newPayment } from './conformance-fixtures.js';

/**
 * The callback audit log: every event kept in order, once per id, whatever its body; pruning removes
 * only old, body-less rejections of unauthenticated callbacks, never payments.
 */
export function callbackLogTests({ test }: ConformanceContext): void {
  test('keeps every callback event, linked or not, in order, once per id', async (store) => {
    const { payment } = await store.create(newPayment());
    const hostile = JSON.parse('{"odd":"emoji 🙂","__proto__":{"polluted":true}}') as unknown;
    const bodies: unknown[] = [{ Body: { stkCallback: { ResultCode: 0 } } }, 'not json {', hostile, null];
    const base = Date.now();
    const events = bodies.map((body, i) =>
      event({
        receivedAt: new Date(base + i * 1000),
        outcome: i === 0 ? 'applied' : i === 3 ? 'rejected' : 'invalid',
        reason: i === 0 ? null : i === 3 ? 'bad_token' : 'invalid_body',
        paymentId: i === 0 ? payment.id : null,
        checkoutRequestId: i === 0 ? 'ws_CO_EV' : null,
        body,
        bodyBytes: i === 3 ? 65_536 : 20 + i,
        bodySha256: String(i).repeat(64),
      }),
    );
    for (const e of events) await store.recordCallback(e);
    await store.recordCallback({ ...events[0]!, outcome: 'duplicate' }); // a replay of the same event
    const all = await store.listCallbacks();
    assert.deepEqual(
      all.map((e) => e.id),
      events.map((e) => e.id),
      'recording an event id twice keeps the first',
    );
    assert.deepEqual(all[0], events[0]);
    assert.equal(all[1]?.body, 'not json {');
    assert.deepEqual(JSON.stringify(all[2]?.body), JSON.stringify(events[2]?.body));
    assert.equal(all[3]?.body, null, 'an unauthenticated rejection keeps no body');
    assert.equal(all[3]?.bodyBytes, 65_536);
    assert.equal(all[3]?.bodySha256, '3'.repeat(64));
    assert.deepEqual(
      (await store.listCallbacks({ paymentId: payment.id })).map((e) => e.id),
      [events[0]!.id],
    );
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched');
  });

  test('prunes only old, body-less rejections of unauthenticated callbacks', async (store) => {
    const { payment } = await store.create(newPayment());
    const old = new Date(Date.now() - 3_600_000);
    const junk = event({ receivedAt: old, outcome: 'rejected', reason: 'bad_token', body: null });
    const recentJunk = event({ outcome: 'rejected', reason: 'bad_token', body: null });
    const keptRejection = event({
      receivedAt: old,
      outcome: 'rejected',
      reason: 'amount_mismatch',
      paymentId: payment.id,
    });
    const keptInvalid = event({ receivedAt: old, outcome: 'invalid', reason: 'invalid_json', body: 'x' });
    for (const e of [junk, recentJunk, keptRejection, keptInvalid]) await store.recordCallback(e);
    assert.equal(await store.pruneRejectedCallbacks({ olderThanMs: 600_000 }), 1);
    assert.deepEqual(
      (await store.listCallbacks()).map((e) => e.id).sort(),
      [recentJunk, keptRejection, keptInvalid].map((e) => e.id).sort(),
    );
    assert.ok(await store.get(payment.id), 'payments are never deleted');
  });
}
