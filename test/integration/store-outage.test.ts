import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CALLBACK_ACK,
  createPaymentFlow,
  type InitiateResponse,
  type Payment,
  type PaymentFlow,
  type PaymentFlowOptions,
} from '../../src/index.js';
import { FileCallbackJournal } from '../../src/journal/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { buildStkCallback } from '../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL } from '../fixtures/constants.js';
import { makeClient, startManualSimulator } from '../helpers/client.js';
import { captured, testLogger } from '../helpers/logger.js';
import {
  type DeliveredCallback,
  latencySummary,
  type ProxiedDatabase,
  proxiedDatabase,
  reconcileEvery,
  sleep,
  startCallbackRoute,
  waitUntil,
} from '../helpers/store-outage.js';
import { DATABASE_URL, reportSkip } from '../helpers/stores.js';

// Issue 8, item 4: the PostgreSQL server goes away (cut) or hangs (freeze) while Daraja delivers STK
// callbacks. A flow on PostgresPaymentStore, whose pool reaches the server through a TCP proxy, with a
// FileCallbackJournal and the simulator as Daraja: every callback is acknowledged in time over real HTTP
// (kept in the journal), and once the server is back the app's own reconcile timer applies them all,
// each payment completed with its receipt and fulfilled once.

const SKIP = DATABASE_URL
  ? undefined
  : 'DATABASE_URL is not set; .ci/run starts PostgreSQL and sets it. These tests cut and freeze the link to a PostgreSQL server.';

/** How often the app's reconcile timer runs. */
const RECONCILE_EVERY_MS = 500;
/** How long the app may take to apply everything once the server is back. */
const SETTLE_WITHIN_MS = 15_000;

/** Journal entries waiting in the folder (what FileCallbackJournal reads: `<time>-<id>.json`). */
async function journalFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d{13}-.+\.json$/.test(n));
}

let sim: Simulator;
let h: Harness | undefined;

interface Harness {
  db: ProxiedDatabase;
  flow: PaymentFlow;
  journalDir: string;
  fulfilments: Map<string, number>;
  route: Awaited<ReturnType<typeof startCallbackRoute>>;
  timer: ReturnType<typeof reconcileEvery>;
}

/** The app: a flow on the proxied store with a file journal, its HTTP callback route and its reconcile timer. */
async function startApp(overrides: Partial<PaymentFlowOptions> = {}): Promise<Harness> {
  const db = await proxiedDatabase(DATABASE_URL!);
  const journalDir = await mkdtemp(join(tmpdir(), 'daraja-outage-journal-'));
  const fulfilments = new Map<string, number>();
  const flow = createPaymentFlow({
    daraja: makeClient({ baseUrl: sim.url, maxRetries: 0 }),
    store: db.store,
    journal: new FileCallbackJournal(journalDir),
    callbackUrl: FLOW_CALLBACK_URL,
    callbackSecret: CALLBACK_SECRET,
    allowedIps: ['127.0.0.1'],
    queryBudget: false,
    onCompleted: (p) => {
      fulfilments.set(p.id, (fulfilments.get(p.id) ?? 0) + 1);
    },
    logger: testLogger,
    ...overrides,
  });
  const route = await startCallbackRoute(flow);
  const timer = reconcileEvery(flow, RECONCILE_EVERY_MS);
  h = { db, flow, journalDir, fulfilments, route, timer };
  return h;
}

async function stopApp(app: Harness): Promise<void> {
  await app.timer.stop();
  await app.db.proxy.restore().catch(() => undefined);
  await app.route.settled();
  await app.route.close();
  await app.db.close();
  await rm(app.journalDir, { recursive: true, force: true });
}

/** Initiate payments (store up), and have the simulator's customers pay them, with no callback sent. */
async function paidPayments(app: Harness, count: number, tag: string) {
  const results: InitiateResponse[] = [];
  for (let i = 0; i < count; i += 5) {
    // Five checkouts at a time, as customers come.
    const batch = Array.from({ length: Math.min(5, count - i) }, (_, k) =>
      app.flow.initiate({
        ownerId: `user-${tag}-${i + k}`,
        amount: 100 + i + k,
        phoneNumber: `07${String(11_000_000 + i + k)}`,
        accountReference: `${tag}-${i + k}`,
      }),
    );
    results.push(...(await Promise.all(batch)));
  }
  return results.map(({ outcome, payment }) => {
    expect(outcome).toBe('sent');
    expect(payment.checkoutRequestId).toMatch(/^ws_CO_/);
    const checkoutRequestId = payment.checkoutRequestId!;
    sim.resolve(checkoutRequestId, { result: 'success', delivery: 'none' });
    const tx = sim.transaction(checkoutRequestId)!;
    expect(tx.status).toBe('completed');
    expect(tx.receiptNumber).toMatch(/^[A-Z0-9]{10}$/);
    return { payment, tx, ...genuineCallback(app.flow, payment, checkoutRequestId) };
  });
}

/** The success callback Daraja would send for a payment, from the simulator's record of it. */
function genuineCallback(flow: PaymentFlow, payment: Payment, checkoutRequestId: string) {
  const tx = sim.transaction(checkoutRequestId)!;
  const url = new URL(flow.callbackUrlFor(payment.id));
  return {
    path: url.pathname + url.search,
    body: buildStkCallback({
      checkoutRequestId: tx.checkoutRequestId,
      merchantRequestId: tx.merchantRequestId,
      amount: tx.amount,
      mpesaReceiptNumber: tx.receiptNumber!,
      phoneNumber: Number(tx.phoneNumber),
      transactionDate: tx.transactionDate!,
    }),
  };
}

/**
 * Every payment completed with its simulator receipt by its callback, and fulfilled exactly once. Each
 * callback leaves one audit row (recorded under the id it got on arrival), `applied`; after a freeze it
 * may read `duplicate`: a query held by the frozen link reaches the server on restore, so the callback's
 * first processing can still settle the payment while the journal replays it, and whichever of the two
 * records the (same) event first is kept.
 */
async function expectAppliedOnce(
  app: Harness,
  paid: ReadonlyArray<{ payment: Payment; tx: { receiptNumber?: string | undefined } }>,
  auditOutcomes: readonly string[] = ['applied'],
): Promise<Record<string, number>> {
  const audit: Record<string, number> = {};
  for (const { payment, tx } of paid) {
    const stored = await app.db.store.get(payment.id);
    expect(stored, payment.id).toMatchObject({
      status: 'completed',
      final: true,
      settledBy: 'callback',
      mpesaReceiptNumber: tx.receiptNumber,
      checkoutRequestId: payment.checkoutRequestId,
    });
    expect(stored?.fulfilledAt).toBeInstanceOf(Date);
    expect(stored?.fulfilmentAttempts).toBe(1);
    expect(app.fulfilments.get(payment.id), payment.id).toBe(1);
    const events = await app.db.store.listCallbacks({ paymentId: payment.id });
    expect(events).toHaveLength(1);
    expect(auditOutcomes).toContain(events[0]!.outcome);
    audit[events[0]!.outcome] = (audit[events[0]!.outcome] ?? 0) + 1;
  }
  expect(app.fulfilments.size).toBe(paid.length);
  return audit;
}

/** True once every payment is completed, has its receipt and is fulfilled (read through the proxy). */
async function allApplied(app: Harness, ids: readonly string[]): Promise<boolean> {
  const rows = await app.db.pool
    .query<{ n: string }>(
      `SELECT count(*) AS n FROM daraja_payments
        WHERE id = ANY($1) AND status = 'completed' AND mpesa_receipt_number IS NOT NULL
          AND fulfilled_at IS NOT NULL`,
      [ids],
    )
    .catch(() => undefined);
  return Number(rows?.rows[0]?.n ?? 0) === ids.length;
}

/** How the journal replays since log line `from` went, by outcome (from the flow's log). */
function replayOutcomes(from: number): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const line of captured.slice(from)) {
    const outcome = /journaled callback applied \{[^}]*"outcome":"(\w+)"/.exec(line)?.[1];
    if (outcome) tally[outcome] = (tally[outcome] ?? 0) + 1;
  }
  return tally;
}

function expectDeferredAck(d: DeliveredCallback) {
  expect(d.status).toBe(200);
  expect(d.body).toEqual(CALLBACK_ACK);
  expect(d.response.outcome).toBe('deferred');
  expect(d.response.reason).toBe('store_unavailable');
}

if (SKIP) {
  reportSkip({ name: 'Callbacks through a PostgreSQL outage', skip: SKIP, make: () => Promise.reject() });
} else {
  beforeAll(async () => {
    sim = await startManualSimulator();
  });
  afterEach(async () => {
    if (h) await stopApp(h);
    h = undefined;
  });
  afterAll(() => sim?.close());

  describe('Callbacks through a PostgreSQL outage (PostgresPaymentStore through a TCP proxy)', () => {
    it('a 10 s outage: 30 success callbacks acked within 1 s each (journaled), then all applied once by the reconcile timer', async () => {
      const app = await startApp(); // the default ackDeadlineMs (3000)
      const paid = await paidPayments(app, 30, 'OUT');
      expect(app.db.proxy.connections).toBeGreaterThan(0); // the pool holds live connections to lose

      await app.db.proxy.cut();
      const cutAt = performance.now();
      const OUTAGE_MS = 10_000;
      const spacing = (OUTAGE_MS - 500) / paid.length;
      const deliveries = await Promise.all(
        paid.map(async (p, i) => {
          await sleep(cutAt + i * spacing - performance.now());
          return { ...(await app.route.deliver(p.path, p.body)), at: performance.now() - cutAt };
        }),
      );
      await sleep(cutAt + OUTAGE_MS - performance.now());
      expect(app.db.proxy.state).toBe('cut');

      for (const d of deliveries) {
        expectDeferredAck(d);
        expect(d.ms).toBeLessThan(1_000);
      }
      // Spread over the outage, every answer given while the server was unreachable.
      expect(Math.max(...deliveries.map((d) => d.at))).toBeGreaterThan(OUTAGE_MS - 1_500);
      expect(Math.max(...deliveries.map((d) => d.at))).toBeLessThan(OUTAGE_MS);
      // Nothing reached the server; all 30 wait in the journal, on disk.
      const files = await journalFiles(app.journalDir);
      expect(files).toHaveLength(30);
      const entries = await Promise.all(
        files.map(async (f) => JSON.parse(await readFile(join(app.journalDir, f), 'utf8'))),
      );
      expect(entries.every((e) => e.kind === 'callback')).toBe(true);
      const ids = paid.map((p) => p.payment.id);
      expect(
        await app.db.direct("SELECT id FROM daraja_payments WHERE id = ANY($1) AND status <> 'pending'", [
          ids,
        ]),
      ).toEqual([]);
      expect(await app.db.direct('SELECT id FROM daraja_callback_events')).toEqual([]);
      expect(app.timer.state.failures).toBeGreaterThan(0); // the timer kept trying during the outage
      expect(app.fulfilments.size).toBe(0);

      // The server is back. No manual step: the app's reconcile timer replays the journal.
      const logFrom = captured.length;
      await app.db.proxy.restore();
      const settleMs = await waitUntil(
        async () => (await allApplied(app, ids)) && (await journalFiles(app.journalDir)).length === 0,
        SETTLE_WITHIN_MS,
        '30 of 30 payments completed, fulfilled and the journal empty',
      );
      await expectAppliedOnce(app, paid);
      expect(app.timer.state.replayed).toBe(30);
      expect(replayOutcomes(logFrom)).toEqual({ applied: 30 });
      expect(await readdir(app.journalDir)).toEqual([]);

      const acks = latencySummary(deliveries.map((d) => d.ms));
      console.log(
        `[store-outage] cut, 10 s: ${acks.n} callbacks over HTTP, ack max ${acks.max} ms, p50 ${acks.p50} ms; ` +
          `30/30 completed and fulfilled ${Math.round(settleMs)} ms after restore ` +
          `(reconcile every ${RECONCILE_EVERY_MS} ms; ${app.db.poolErrors.length} pool connection errors during the cut)`,
      );
    }, 60_000);

    it('a frozen server (connections open, no bytes): acks still within the deadline, applied once after restore', async () => {
      const ACK_DEADLINE_MS = 1_500;
      const app = await startApp({ ackDeadlineMs: ACK_DEADLINE_MS });
      const paid = await paidPayments(app, 10, 'FRZ');
      // Several idle pooled connections, so frozen callbacks meet both a hung query and a hung connect.
      await Promise.all(paid.map((p) => app.db.store.get(p.payment.id)));
      expect(app.db.proxy.connections).toBeGreaterThan(1);

      await app.db.proxy.freeze();
      const frozenAt = performance.now();
      const deliveries = await Promise.all(
        paid.map(async (p, i) => {
          await sleep(frozenAt + i * 300 - performance.now());
          return app.route.deliver(p.path, p.body);
        }),
      );
      expect(app.db.proxy.state).toBe('frozen');
      for (const d of deliveries) {
        expectDeferredAck(d);
        expect(d.ms).toBeLessThan(ACK_DEADLINE_MS + 500);
      }
      expect(await journalFiles(app.journalDir)).toHaveLength(10);
      const ids = paid.map((p) => p.payment.id);
      expect(
        await app.db.direct("SELECT id FROM daraja_payments WHERE id = ANY($1) AND status <> 'pending'", [
          ids,
        ]),
      ).toEqual([]);
      expect(app.fulfilments.size).toBe(0);

      const logFrom = captured.length;
      await app.db.proxy.restore();
      const settleMs = await waitUntil(
        async () => (await allApplied(app, ids)) && (await journalFiles(app.journalDir)).length === 0,
        SETTLE_WITHIN_MS,
        '10 of 10 payments completed, fulfilled and the journal empty',
      );
      const audit = await expectAppliedOnce(app, paid, ['applied', 'duplicate']);
      expect(await readdir(app.journalDir)).toEqual([]);
      // The pool works normally again: no query hangs on a connection left over from the freeze.
      const started = performance.now();
      await Promise.all(Array.from({ length: 12 }, () => app.db.pool.query('SELECT 1')));
      expect(performance.now() - started).toBeLessThan(1_000);

      const acks = latencySummary(deliveries.map((d) => d.ms));
      console.log(
        `[store-outage] freeze: ${acks.n} callbacks over HTTP, ack max ${acks.max} ms, p50 ${acks.p50} ms ` +
          `(ackDeadlineMs ${ACK_DEADLINE_MS}); 10/10 completed and fulfilled ${Math.round(settleMs)} ms after restore; ` +
          `journal replays by outcome ${JSON.stringify(replayOutcomes(logFrom))}, audit rows ${JSON.stringify(audit)}; ` +
          `longest reconcile run ${Math.round(app.timer.state.longestRunMs)} ms`,
      );
    }, 60_000);

    it('the server goes away while the push answer is on its way: its CheckoutRequestID is attached from the journal', async () => {
      const app = await startApp();
      const pushesBefore = sim.transactions.length;
      sim.delayResponses(1_500, 1); // Daraja takes 1.5 s to answer the next push
      const initiating = app.flow.initiate({
        ownerId: 'user-push',
        amount: 250,
        phoneNumber: '0711000099',
        accountReference: 'PUSH-1',
      });
      // The push reached Daraja, so the payment record was written: now the server goes away.
      await waitUntil(() => sim.transactions.length === pushesBefore + 1, 1_000, 'the push to reach Daraja');
      const [row] = await app.db.direct<{ id: string; checkout_request_id: string | null }>(
        "SELECT id, checkout_request_id FROM daraja_payments WHERE account_reference = 'PUSH-1'",
      );
      expect(row).toMatchObject({ checkout_request_id: null });
      await app.db.proxy.cut();

      const { outcome, payment } = await initiating;
      expect(outcome).toBe('sent');
      expect(payment.id).toBe(row!.id);
      const checkoutRequestId = sim.transactions.at(-1)!.checkoutRequestId;
      expect(payment.checkoutRequestId).toBe(checkoutRequestId);
      // Not in the store (down), but in the journal.
      const files = await journalFiles(app.journalDir);
      expect(files).toHaveLength(1);
      expect(JSON.parse(await readFile(join(app.journalDir, files[0]!), 'utf8'))).toMatchObject({
        kind: 'checkout',
        paymentId: payment.id,
        checkoutRequestId,
      });
      expect(
        await app.db.direct('SELECT checkout_request_id FROM daraja_payments WHERE id = $1', [payment.id]),
      ).toEqual([{ checkout_request_id: null }]);

      await sleep(1_000);
      await app.db.proxy.restore();
      // The reconcile timer replays the push answer: the payment is linked before any callback.
      await waitUntil(
        async () => (await app.db.store.get(payment.id).catch(() => undefined))?.checkoutRequestId !== null,
        SETTLE_WITHIN_MS,
        'the CheckoutRequestID attached from the journal',
      );
      const linked = await app.db.store.get(payment.id);
      expect(linked).toMatchObject({ status: 'pending', checkoutRequestId });
      expect(await app.db.store.listCallbacks({ paymentId: payment.id })).toEqual([]);
      await waitUntil(
        async () => (await journalFiles(app.journalDir)).length === 0,
        SETTLE_WITHIN_MS,
        'the journal to be empty',
      );

      sim.resolve(checkoutRequestId, { result: 'success', delivery: 'none' });
      const callback = genuineCallback(app.flow, linked!, checkoutRequestId);
      const delivered = await app.route.deliver(callback.path, callback.body);
      expect(delivered.status).toBe(200);
      expect(delivered.response.outcome).toBe('applied');
      await app.route.settled();
      await expectAppliedOnce(app, [{ payment: linked!, tx: sim.transaction(checkoutRequestId)! }]);
      expect(await readdir(app.journalDir)).toEqual([]);
    }, 60_000);
  });
}
