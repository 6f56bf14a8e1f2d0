import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPaymentFlow,
  type Payment,
  type PaymentFlowOptions,
  type PaymentStore,
} from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { buildStkCallback } from '../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP } from '../fixtures/constants.js';
import { makeClient, startManualSimulator } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';
import { reportSkip, STORE_KINDS } from '../helpers/stores.js';

// Item 2 of the money-safety issue: fulfilment runs once with no crash, on every store. The lease is
// measured on the store's clock, renewed while onCompleted runs, and fenced.

let sim: Simulator;
beforeAll(async () => {
  sim = await startManualSimulator();
});
afterAll(() => sim.close());

const LEASE_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function instance(store: PaymentStore, options: Partial<PaymentFlowOptions> = {}) {
  return createPaymentFlow({
    // One retry for what is safe to repeat (OAuth, queries): PGlite's cold start blocks the event loop long
    // enough for a pooled keep-alive socket to go stale, and the first request on it is reset. STK push is
    // never resent either way.
    daraja: makeClient({ baseUrl: sim.url, maxRetries: 1 }),
    store,
    callbackUrl: FLOW_CALLBACK_URL,
    callbackSecret: CALLBACK_SECRET,
    queryBudget: false,
    statusQueryIntervalMs: 0,
    fulfilmentLeaseMs: LEASE_MS,
    logger: testLogger,
    onCompleted: () => {},
    ...options,
  });
}

/** A paid payment whose callback instance `a` is handling, with `onCompleted` still running. */
async function paidAndFulfilling(store: PaymentStore, slowMs: number) {
  const runs: Array<{ id: string; started: number; ended?: number }> = [];
  const onCompleted = async (p: Payment) => {
    const run: { id: string; started: number; ended?: number } = { id: p.id, started: Date.now() };
    runs.push(run);
    await sleep(slowMs); // three times the lease
    run.ended = Date.now();
  };
  const a = instance(store, { onCompleted });
  const sent = await a.initiate({
    ownerId: 'u-lease',
    amount: 120,
    phoneNumber: '0712345678',
    accountReference: 'LEASE',
  });
  expect(sent.outcome, String(sent.error)).toBe('sent');
  const { payment } = sent;
  const decided = sim.resolve(payment.checkoutRequestId!, { result: 'success', delivery: 'none' });
  const url = new URL(a.callbackUrlFor(payment.id));
  const callback = {
    body: buildStkCallback({
      checkoutRequestId: payment.checkoutRequestId!,
      amount: 120,
      phoneNumber: 254712345678,
      mpesaReceiptNumber: decided.receiptNumber!,
    }),
    url: url.pathname + url.search,
    remoteAddress: SAFARICOM_IP,
  };
  const ack = await a.handleCallback(callback);
  expect(ack).toMatchObject({ status: 200, outcome: 'applied' });
  return { a, payment, runs, onCompleted, callback, ack };
}

/** While the slow fulfilment runs, `b` does everything that could start it again. */
async function hammer(b: ReturnType<typeof instance>, payment: Payment, callback: object, untilMs: number) {
  let rounds = 0;
  while (Date.now() < untilMs) {
    await Promise.all([
      b.reconcile({ olderThanMs: 0 }),
      b.checkStatus(payment.id, { ownerId: payment.ownerId }),
      b.handleCallback(callback as never).then((r) => r.afterAck),
      b.retryFulfilment(payment.id).then(() => undefined),
    ]);
    rounds += 1;
    await sleep(LEASE_MS / 4);
  }
  return rounds;
}

for (const kind of STORE_KINDS) {
  if (kind.skip) {
    reportSkip(kind);
    continue;
  }
  describe(`fulfilment once, without crashes, on ${kind.name}`, () => {
    it('an onCompleted three times longer than its lease runs once', async () => {
      const store = await kind.make();
      const slow = LEASE_MS * 3;
      const { payment, runs, onCompleted, callback, ack } = await paidAndFulfilling(store, slow);
      const b = instance(store, { onCompleted });
      const rounds = await hammer(b, payment, callback, Date.now() + slow + LEASE_MS);
      await ack.afterAck;
      expect(rounds).toBeGreaterThan(3);
      expect(runs).toHaveLength(1);
      expect(runs[0]!.ended! - runs[0]!.started).toBeGreaterThanOrEqual(slow - 5);
      const stored = await store.get(payment.id);
      expect(stored?.fulfilledAt).toBeInstanceOf(Date);
      expect(stored?.fulfilmentAttempts).toBe(1);
    });

    it('reconcile never runs a claim after its lease: slow fulfilments, two reconcilers', async () => {
      const store = await kind.make();
      const runs: string[] = [];
      const onCompleted = async (p: Payment) => {
        runs.push(p.id);
        await sleep(LEASE_MS * 2.5);
      };
      // onCompleted fails once, so six paid payments wait for reconcile's retry.
      const failing = instance(store, {
        onCompleted: () => {
          throw new Error('down');
        },
        fulfilmentRetryDelayMs: 0,
      });
      for (let i = 0; i < 6; i++) {
        const { payment } = await failing.initiate({
          ownerId: `u-${i}`,
          amount: 130 + i,
          phoneNumber: '0712345678',
          accountReference: 'QUEUE',
        });
        const decided = sim.resolve(payment.checkoutRequestId!, { result: 'success', delivery: 'none' });
        const url = new URL(failing.callbackUrlFor(payment.id));
        const body = buildStkCallback({
          checkoutRequestId: payment.checkoutRequestId!,
          amount: 130 + i,
          phoneNumber: 254712345678,
          mpesaReceiptNumber: decided.receiptNumber!,
        });
        await (
          await failing.handleCallback({ body, url: url.pathname + url.search, remoteAddress: SAFARICOM_IP })
        ).afterAck;
      }
      await sleep(50);
      const a = instance(store, { onCompleted });
      const b = instance(store, { onCompleted });
      const first = a.reconcile({ olderThanMs: 60_000 });
      await sleep(LEASE_MS * 1.5);
      await Promise.all([first, b.reconcile({ olderThanMs: 60_000 })]);
      expect(runs.sort()).toEqual([...new Set(runs)].sort()); // each ran once
      expect(runs).toHaveLength(6);
    });

    it('an instance whose clock is 10 minutes ahead causes no second run', async () => {
      const store = await kind.make();
      const slow = LEASE_MS * 3;
      const { payment, runs, onCompleted, callback, ack } = await paidAndFulfilling(store, slow);
      const ahead = instance(store, { onCompleted, now: () => new Date(Date.now() + 10 * 60_000) });
      await hammer(ahead, payment, callback, Date.now() + slow + LEASE_MS);
      await ack.afterAck;
      expect(runs).toHaveLength(1);
      expect((await store.get(payment.id))?.fulfilmentAttempts).toBe(1);
    });
  });
}
