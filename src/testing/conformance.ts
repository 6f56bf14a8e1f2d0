import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { PaymentStatus } from '../core/payment-status.js';
import type { CallbackEvent, NewPayment, PaymentStore, PaymentTransition } from '../payments/types.js';

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
  /**
   * A short duration, in ms, the time-based tests use for leases and backoffs (they wait for it to
   * pass, on the store's own clock). Raise it for a store whose clock is far from this process's or whose
   * round trips are slow. @defaultValue 300
   */
  tickMs?: number;
}

const TERMINAL: Exclude<PaymentStatus, 'pending'>[] = ['completed', 'cancelled', 'failed', 'timeout'];
const uid = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const receipt = () =>
  uid('R')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 12)
    .toUpperCase();

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
    ...overrides,
  };
}

function transition(
  status: Exclude<PaymentStatus, 'pending'>,
  overrides: Partial<PaymentTransition> = {},
): PaymentTransition {
  return {
    status,
    final: true,
    resultCode:
      status === 'completed' ? '0' : status === 'cancelled' ? '1032' : status === 'timeout' ? '1037' : '1',
    resultDesc: `result ${status}`,
    mpesaReceiptNumber: status === 'completed' ? receipt() : null,
    merchantRequestId: null,
    checkoutRequestId: null,
    callback: { Body: { stkCallback: { ResultCode: status } } },
    settledBy: 'callback',
    ...overrides,
  };
}

const giveUp = (): PaymentTransition =>
  transition('timeout', {
    final: false,
    resultCode: null,
    resultDesc: 'Gave up',
    callback: null,
    settledBy: 'give-up',
  });

function event(overrides: Partial<CallbackEvent> = {}): CallbackEvent {
  return {
    id: uid('cbe'),
    receivedAt: new Date(),
    outcome: 'applied',
    reason: null,
    paymentId: null,
    checkoutRequestId: null,
    remoteAddress: '196.201.214.200',
    body: { Body: { stkCallback: { ResultCode: 0 } } },
    bodyBytes: 40,
    bodySha256: 'a'.repeat(64),
    ...overrides,
  };
}

async function completed(store: PaymentStore, overrides: Partial<PaymentTransition> = {}) {
  const { payment } = await store.create(newPayment());
  const r = await store.transition(payment.id, transition('completed', overrides));
  assert.equal(r.applied, true);
  return payment.id;
}

/**
 * Register the `PaymentStore` conformance suite: the behaviour every store must have for the payment
 * flow to be exactly-once and lose nothing: atomic compare-and-set out of `pending` (and the one allowed
 * correction of a give-up by a final success), unique receipts and checkout ids, receipt enrichment,
 * fenced fulfilment claims on the store's clock (a stale holder can neither complete nor release),
 * attempt caps, fair and disjoint reconciliation claims with backoff, idempotent creates, and an audit
 * log of callbacks that can be pruned of unauthenticated rejections only. Run it against your own store
 * before trusting it with money.
 *
 * Each test gets a fresh store from `makeStore`. Assertions use `node:assert`, so any runner works. The
 * time-based tests wait a few hundred milliseconds of real time (see {@link ConformanceOptions.tickMs}).
 *
 * @param name - The store's name in test output.
 * @param makeStore - Returns a fresh, empty, migrated store, on the real clock.
 * @param harness - `{ describe, it }` from your test runner.
 * @param options - Concurrency, timeouts and the time unit of the time-based tests.
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
  const tick = options.tickMs ?? 300;
  const test = (title: string, fn: (store: PaymentStore) => Promise<void>) =>
    harness.it(title, async () => fn(await makeStore()), timeout);

  harness.describe(`PaymentStore conformance: ${name}`, () => {
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
      for (const c of batches.flat())
        assert.equal(await store.completeFulfilment(c.payment.id, c.token), true);
    });

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
  });
}
