import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentFlow, type Payment, type PaymentFlow, type PaymentStore } from '../../src/index.js';
import { FileCallbackJournal } from '../../src/journal/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { buildStkCallback } from '../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP } from '../fixtures/constants.js';
import { makeClient, startManualSimulator } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';
import { reportSkip, STORE_KINDS } from '../helpers/stores.js';

// Item 2 of the payments issue: for each store, 100 identical success callbacks delivered concurrently
// through 2 flow instances sharing the store, racing checkStatus and reconcile (which query the
// simulator over real HTTP), end in exactly 1 completed transition and exactly 1 onCompleted call.

let sim: Simulator;
beforeAll(async () => {
  // Manual mode: each prompt stays open until the test resolves it.
  sim = await startManualSimulator();
});
afterAll(() => sim.close());

/** Wrap a store to count the transitions that applied (one by one, or within `settleCallback`). */
function counting(store: PaymentStore) {
  const applied: string[] = [];
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'settleCallback' && target.settleCallback) {
        return async (settlement: Parameters<NonNullable<PaymentStore['settleCallback']>>[0]) => {
          const result = await target.settleCallback!(settlement);
          if (result.outcome === 'applied' || result.outcome === 'late_success')
            applied.push(`${result.payment!.id}:${settlement.transition.status}`);
          return result;
        };
      }
      if (key !== 'transition') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<PaymentStore['transition']>) => {
        const result = await target.transition(...args);
        if (result.applied) applied.push(`${args[0]}:${args[1].status}`);
        return result;
      };
    },
  });
  return { store: wrapped, applied };
}

function instance(store: PaymentStore, fulfilled: Payment[], journalDir: string): PaymentFlow {
  return createPaymentFlow({
    // Under this burst a callback can wait for a pooled connection past the ack deadline: it is then
    // kept in the (shared, durable) journal and applied by the next reconcile.
    journal: new FileCallbackJournal(journalDir),
    // One retry for what is safe to repeat (OAuth, queries): a pooled socket gone stale while PGlite started
    // is reset on first use. STK push is never resent either way.
    daraja: makeClient({ baseUrl: sim.url, maxRetries: 1 }),
    store,
    callbackUrl: FLOW_CALLBACK_URL,
    callbackSecret: CALLBACK_SECRET,
    onCompleted: async (p) => {
      fulfilled.push(p);
      await new Promise((r) => setTimeout(r, 5)); // a fulfilment that takes a little while
    },
    statusQueryIntervalMs: 0,
    logger: testLogger,
  });
}

for (const kind of STORE_KINDS) {
  if (kind.skip) {
    reportSkip(kind);
    continue;
  }
  describe(`exactly once on ${kind.name}`, () => {
    it('100 duplicate callbacks through 2 instances, racing checkStatus and reconcile: 1 transition, 1 fulfilment', async () => {
      const { store, applied } = counting(await kind.make());
      const fulfilled: Payment[] = [];
      const journalDir = mkdtempSync(join(tmpdir(), 'daraja-journal-'));
      const a = instance(store, fulfilled, journalDir);
      const b = instance(store, fulfilled, journalDir);
      const payments: Payment[] = [];
      for (let i = 0; i < 3; i++) {
        payments.push(
          (
            await a.initiate({
              ownerId: `user-${i}`,
              amount: 100 + i,
              phoneNumber: '0712345678',
              accountReference: `RACE-${i}`,
            })
          ).payment,
        );
      }
      // Daraja's truth: paid. No callback from the simulator: the test delivers 100 copies itself.
      for (const p of payments) sim.resolve(p.checkoutRequestId!, { result: 'success', delivery: 'none' });

      const acks = [];
      const races: Promise<unknown>[] = [];
      for (const p of payments) {
        const url = new URL(a.callbackUrlFor(p.id));
        const body = buildStkCallback({
          checkoutRequestId: p.checkoutRequestId!,
          amount: p.amount,
          phoneNumber: 254712345678,
          mpesaReceiptNumber: `RCPT${p.amount}XYZ`,
        });
        for (let i = 0; i < 100; i++) {
          const flow = i % 2 === 0 ? a : b;
          acks.push(
            flow.handleCallback({ body, url: url.pathname + url.search, remoteAddress: SAFARICOM_IP }),
          );
          if (i % 10 === 0) races.push((i % 20 === 0 ? a : b).checkStatus(p.id, { ownerId: p.ownerId }));
        }
      }
      races.push(
        a.reconcile({ olderThanMs: 0 }),
        b.reconcile({ olderThanMs: 0 }),
        a.reconcile({ olderThanMs: 0 }),
      );
      const results = await Promise.all(acks);
      await Promise.all(races);
      await Promise.all(results.map((r) => r.afterAck));
      const deferred = results.filter((r) => r.outcome === 'deferred').length;
      if (deferred > 0)
        console.log(`  ${kind.name}: ${deferred} of 300 callbacks journaled under the burst, replayed`);
      await a.reconcile({ olderThanMs: 0 }); // replays whatever was journaled
      expect(readdirSync(journalDir)).toEqual([]);
      rmSync(journalDir, { recursive: true, force: true });

      expect(results).toHaveLength(300);
      for (const r of results) {
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ ResultCode: 0, ResultDesc: 'Accepted' });
        expect(['applied', 'duplicate', 'enriched', 'deferred']).toContain(r.outcome);
      }
      for (const p of payments) {
        expect(
          applied.filter((x) => x.startsWith(`${p.id}:`)),
          p.id,
        ).toEqual([`${p.id}:completed`]);
        expect(fulfilled.filter((f) => f.id === p.id)).toHaveLength(1);
        const stored = await store.get(p.id);
        expect(stored?.status).toBe('completed');
        expect(stored?.fulfilledAt).toBeInstanceOf(Date);
        expect(stored?.fulfilmentAttempts).toBe(1);
        const events = await store.listCallbacks({ paymentId: p.id });
        expect(events).toHaveLength(100);
        expect(events.filter((e) => e.outcome === 'applied').length).toBeLessThanOrEqual(1);
      }
    }, 60_000);
  });
}
