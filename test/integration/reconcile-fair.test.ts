import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPaymentFlow,
  MemoryPaymentStore,
  type Payment,
  type PaymentFlowOptions,
  SANDBOX_QUERY_BUDGET,
} from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL } from '../fixtures/constants.js';
import { makeClient, startManualSimulator } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';

// "Reconcile is fair and gentle", against the simulator over real HTTP: no head-of-line blocking, STK
// queries within a budget that keeps Daraja's SpikeArrest quiet, 429s backed off, failing fulfilments
// capped and parked.

let sim: Simulator;
beforeAll(async () => {
  sim = await startManualSimulator();
});
afterAll(() => sim.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function flowWith(options: Partial<PaymentFlowOptions> & { store?: MemoryPaymentStore } = {}) {
  const completed: Payment[] = [];
  const flow = createPaymentFlow({
    daraja: makeClient({ baseUrl: sim.url, maxRetries: 0 }),
    store: options.store ?? new MemoryPaymentStore(),
    callbackUrl: FLOW_CALLBACK_URL,
    callbackSecret: CALLBACK_SECRET,
    statusQueryIntervalMs: 0,
    logger: testLogger,
    onCompleted: (p) => void completed.push(p),
    ...options,
  });
  return { flow, completed };
}

const queriesSince = (from: number) => sim.requests.slice(from).filter((r) => r.operation === 'stk.query');

describe('reconcile is fair and gentle', () => {
  it('never lets 100 older payments that stay pending starve a newer one', async () => {
    let now = new Date('2026-09-01T08:00:00Z');
    const clock = () => now;
    const store = new MemoryPaymentStore({ now: clock });
    const { flow, completed } = flowWith({ store, now: clock, queryBudget: false });
    const old: Payment[] = [];
    for (let i = 0; i < 100; i++)
      old.push(
        (
          await flow.initiate({
            ownerId: `u${i}`,
            amount: 10,
            phoneNumber: '0712345678',
            accountReference: 'OLD',
          })
        ).payment,
      );
    now = new Date(now.getTime() + 120_000);
    // The first round checks the 100 old ones; Daraja keeps saying "being processed".
    expect((await flow.reconcile({ olderThanMs: 60_000, limit: 100 })).stillPending).toBe(100);
    const fresh = (
      await flow.initiate({ ownerId: 'new', amount: 11, phoneNumber: '0712345678', accountReference: 'NEW' })
    ).payment;
    sim.resolve(fresh.checkoutRequestId!, { result: 'success', delivery: 'none' });
    now = new Date(now.getTime() + 90_000); // the old ones are due again too (30 s backoff)
    const from = sim.requests.length;
    const round = await flow.reconcile({ olderThanMs: 60_000, limit: 10 });
    expect(round.checked).toBe(10);
    // The new payment (never checked) is among the ten most overdue, ahead of the old ones' rechecks.
    const queried = queriesSince(from).length;
    expect(queried).toBe(10);
    expect((await store.get(fresh.id))?.status).toBe('completed');
    expect(completed.map((p) => p.id)).toEqual([fresh.id]);
    // Nine of the old ones fill the rest of the round; the other 91 wait for the next.
    const checks = await Promise.all(old.map(async (p) => (await store.get(p.id))?.statusChecks));
    expect(checks.filter((n) => n === 2)).toHaveLength(9);
  });

  it('keeps STK queries within the budget: the simulator’s SpikeArrest never answers 429', async () => {
    // A fast sandbox: 5 queries per 500 ms, one at a time (100 ms apart), enforced by the simulator; the flow
    // keeps a margin (2 per 500 ms, 250 ms apart), or jitter could put two queries too close: on a loaded
    // machine (CI's Node 24 pass) 4 per 500 ms, 25 ms of margin, once met a 429.
    sim.setQuirks({ stkQueryRateLimit: { messagesPerPeriod: 5, periodMs: 500, burst: 1 } });
    try {
      const { flow } = flowWith({ queryBudget: { limit: 2, intervalMs: 500, burst: 1 } });
      const payments: Payment[] = [];
      for (let i = 0; i < 12; i++)
        payments.push(
          (
            await flow.initiate({
              ownerId: 'u',
              amount: 20 + i,
              phoneNumber: '0712345678',
              accountReference: 'BUD',
            })
          ).payment,
        );
      const from = sim.requests.length;
      // Customers polling while reconcile runs: more checks than the budget allows.
      const polling = (async () => {
        for (let i = 0; i < 30; i++) {
          await flow.checkStatus(payments[i % payments.length]!.id, { ownerId: 'u' });
          await sleep(20);
        }
      })();
      const started = Date.now();
      const summary = await flow.reconcile({ olderThanMs: 0, limit: 100, maxWaitMs: 1_200 });
      const took = Date.now() - started;
      await polling;
      const queries = queriesSince(from);
      expect(queries.length).toBeGreaterThan(3); // queries went out
      expect(queries.filter((q) => q.status === 429)).toEqual([]); // and none was refused
      expect(summary.checked).toBeGreaterThan(0);
      expect(summary.checked + summary.deferredByBudget).toBeLessThanOrEqual(12);
      expect(took).toBeLessThan(1_200 + 1_000); // it waited for budget only as long as allowed
    } finally {
      sim.setQuirks('documented');
    }
  });

  it('pauses queries for a minute after a 429, and the sandbox default allows one query at a time', async () => {
    expect(SANDBOX_QUERY_BUDGET).toEqual({ limit: 4, intervalMs: 60_000, burst: 1 }); // under the sandbox's 5
    // The simulator refuses every query after the first in each minute: the flow sends one, meets no 429.
    sim.setQuirks({ stkQueryRateLimit: true });
    try {
      const { flow } = flowWith({ queryBudget: SANDBOX_QUERY_BUDGET });
      const p = (
        await flow.initiate({ ownerId: 'u', amount: 40, phoneNumber: '0712345678', accountReference: 'SBX' })
      ).payment;
      const q = (
        await flow.initiate({ ownerId: 'u', amount: 41, phoneNumber: '0712345678', accountReference: 'SBX' })
      ).payment;
      const from = sim.requests.length;
      for (let i = 0; i < 5; i++) {
        await flow.checkStatus(p.id, { ownerId: 'u' });
        await flow.checkStatus(q.id, { ownerId: 'u' });
      }
      await flow.reconcile({ olderThanMs: 0, maxWaitMs: 200 });
      expect(queriesSince(from).length).toBe(1);
      expect(queriesSince(from).filter((r) => r.status === 429)).toEqual([]);
    } finally {
      sim.setQuirks('documented');
    }
    // Without a budget the flow meets the 429 once, then pauses instead of hammering.
    sim.setQuirks({ stkQueryRateLimit: true });
    try {
      const { flow } = flowWith({ queryBudget: { limit: 100, intervalMs: 1_000, burst: 100 } });
      const payments: Payment[] = [];
      for (let i = 0; i < 5; i++)
        payments.push(
          (
            await flow.initiate({
              ownerId: 'u',
              amount: 50 + i,
              phoneNumber: '0712345678',
              accountReference: 'RL',
            })
          ).payment,
        );
      const from = sim.requests.length;
      for (let i = 0; i < 3; i++) for (const p of payments) await flow.checkStatus(p.id, { ownerId: 'u' });
      const queries = queriesSince(from);
      expect(queries.filter((r) => r.status === 429).length).toBe(1); // one refusal, then a pause
      expect(queries.length).toBe(2);
    } finally {
      sim.setQuirks('documented');
    }
  });

  it('parks a fulfilment that keeps failing, tells the app once, and runs it again on request', async () => {
    let now = new Date('2026-09-01T08:00:00Z');
    const clock = () => now;
    const store = new MemoryPaymentStore({ now: clock });
    let broken = true;
    let runs = 0;
    const parked: Array<{ id: string; error: string }> = [];
    const { flow } = flowWith({
      store,
      now: clock,
      queryBudget: false,
      maxFulfilmentAttempts: 3,
      fulfilmentRetryDelayMs: 1_000,
      onCompleted: () => {
        runs += 1;
        if (broken) throw new Error('subscription service down');
      },
      onFulfilmentParked: (p, error) => void parked.push({ id: p.id, error }),
    });
    const { payment } = await flow.initiate({
      ownerId: 'u',
      amount: 60,
      phoneNumber: '0712345678',
      accountReference: 'PARK',
    });
    sim.resolve(payment.checkoutRequestId!, { result: 'success', delivery: 'none' });
    await flow.checkStatus(payment.id, { ownerId: 'u' }); // completed by query; attempt 1 fails
    let parkedCount = 0;
    for (let i = 0; i < 10; i++) {
      now = new Date(now.getTime() + 3_600_000);
      parkedCount += (await flow.reconcile()).parked;
    }
    expect(runs).toBe(3); // attempts capped, not retried forever
    expect(parkedCount).toBe(1);
    expect(parked).toEqual([{ id: payment.id, error: 'subscription service down' }]);
    expect(await store.get(payment.id)).toMatchObject({
      status: 'completed',
      fulfilledAt: null,
      fulfilmentAttempts: 3,
    });
    broken = false;
    expect((await flow.retryFulfilment(payment.id))?.fulfilledAt).toBeInstanceOf(Date);
    expect(runs).toBe(4);
  });
});
