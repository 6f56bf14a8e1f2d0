// The memory store at 100,000 payments: the longest the event loop is blocked during each operation
// (monitorEventLoopDelay, 1 ms resolution), against the 50 ms the store promises to stay under.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MemoryPaymentStore } from '../dist/index.js';

const N = 100_000;
const BUDGET_MS = 50;

async function longestStall(fn) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await new Promise((r) => setTimeout(r, 5));
  await fn();
  await new Promise((r) => setTimeout(r, 5));
  h.disable();
  return h.max / 1e6;
}

export async function memoryStoreBench() {
  let t = Date.parse('2026-01-01T00:00:00Z');
  const store = new MemoryPaymentStore({ now: () => new Date(t) });
  for (let i = 0; i < N; i++) {
    await store.create({
      id: `p${i}`,
      ownerId: 'user-1',
      amount: 500,
      phoneNumber: '254712345678',
      accountReference: 'PRO-42',
      transactionDesc: 'Payment',
      metadata: { plan: 'pro' },
      idempotencyKey: null,
    });
    await store.attachCheckout(`p${i}`, { merchantRequestId: `m${i}`, checkoutRequestId: `ws_CO_${i}` });
  }
  for (let i = 0; i < N / 2; i++) {
    await store.transition(`p${i}`, {
      status: 'completed',
      final: true,
      resultCode: '0',
      resultDesc: 'ok',
      mpesaReceiptNumber: `R${String(i).padStart(9, '0')}`,
      merchantRequestId: null,
      checkoutRequestId: null,
      callback: null,
      settledBy: 'callback',
    });
    await store.recordCallback({
      id: `e${i}`,
      receivedAt: new Date(t),
      outcome: 'applied',
      reason: null,
      paymentId: `p${i}`,
      checkoutRequestId: `ws_CO_${i}`,
      remoteAddress: '196.201.214.200',
      body: { i },
      bodyBytes: 8,
      bodySha256: 'x'.repeat(64),
    });
  }
  t += 3_600_000;
  const pending = (limit) => () =>
    store.claimDuePending({ olderThanMs: 60_000, limit, recheckMs: 60_000, maxRecheckMs: 3_600_000 });
  const fulfilments = (limit) => () => store.claimDueFulfilments({ leaseMs: 60_000, limit, maxAttempts: 5 });
  const rows = [
    ['claimDuePending, limit 100', pending(100)],
    ['claimDuePending, limit 50,000', pending(50_000)],
    ['claimDueFulfilments, limit 4', fulfilments(4)],
    ['claimDueFulfilments, limit 50,000', fulfilments(50_000)],
    ['listCallbacks(), all 50,000', () => store.listCallbacks()],
    ['listCallbacks({ paymentId })', () => store.listCallbacks({ paymentId: 'p7' })],
    ['pruneRejectedCallbacks', () => store.pruneRejectedCallbacks({ olderThanMs: 1 })],
    ['get', () => store.get('p99999')],
  ];
  console.log(
    `\nMemoryPaymentStore at ${N.toLocaleString('en-US')} payments: longest event-loop stall per call`,
  );
  for (const [name, fn] of rows) {
    const ms = await longestStall(fn);
    console.log(
      `  ${name.padEnd(36)} ${ms.toFixed(1).padStart(6)} ms  (${(ms / BUDGET_MS).toFixed(2)}× the ${BUDGET_MS} ms budget)`,
    );
  }
}
