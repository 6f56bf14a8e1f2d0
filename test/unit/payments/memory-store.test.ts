import { describe, expect, it } from 'vitest';
import { MemoryPaymentStore } from '../../../src/index.js';
import { earliest, MEMORY_SLICE, type Row } from '../../../src/payments/memory-rows.js';
import { event, newPayment, transition } from '../../../src/testing/conformance-fixtures.js';

const DAY = 86_400_000;

/** A store holding `n` pending payments created one second apart, `n` seconds… ago, on a movable clock. */
async function pendingStore(n: number) {
  const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
  const store = new MemoryPaymentStore({ now: () => new Date(clock.t) });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { payment } = await store.create(newPayment({ id: `p${String(i).padStart(5, '0')}` }));
    ids.push(payment.id);
    clock.t += 1_000;
  }
  clock.t += DAY;
  return { store, ids, clock };
}

const claimPending = (store: MemoryPaymentStore, limit: number) =>
  store.claimDuePending({ olderThanMs: 60_000, limit, recheckMs: 60_000, maxRecheckMs: DAY });

/** Resolves `true` when a timer queued just before `call` started ran before it settled: it let the loop run. */
async function letTheLoopRun(call: () => Promise<unknown>): Promise<boolean> {
  let settled = false;
  let timerRanFirst = false;
  setTimeout(() => {
    timerRanFirst = !settled;
  }, 0);
  await call().finally(() => {
    settled = true;
  });
  return timerRanFirst;
}

describe('MemoryPaymentStore at scale: big calls in slices, the event loop free between them', () => {
  it('claims more than one slice of due payments, each once, most overdue first, letting timers run', async () => {
    const n = MEMORY_SLICE * 2 + 500;
    const { store, ids } = await pendingStore(n);
    let claim!: ReturnType<typeof claimPending>;
    expect(await letTheLoopRun(() => (claim = claimPending(store, n - 100)))).toBe(true);
    const { payments } = await claim;
    expect(payments.map((p) => p.id)).toEqual(ids.slice(0, n - 100));
    // The rest are still due; the claimed ones are not (their next check is set).
    const again = await claimPending(store, n);
    expect(again.payments.map((p) => p.id)).toEqual(ids.slice(n - 100));
  });

  it('a small claim stays one synchronous step (no yield), so it costs no timer round', async () => {
    const { store } = await pendingStore(50);
    expect(await letTheLoopRun(() => claimPending(store, 10))).toBe(false);
  });

  it('two concurrent claims interleaving their slices never take the same payment', async () => {
    const n = MEMORY_SLICE * 3;
    const { store, ids } = await pendingStore(n);
    const [a, b] = await Promise.all([claimPending(store, n), claimPending(store, n)]);
    const taken = [...a.payments, ...b.payments].map((p) => p.id);
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken.sort()).toEqual(ids);
  });

  it('claims due fulfilments in slices too, each once across concurrent calls', async () => {
    const n = MEMORY_SLICE + 300;
    const { store, ids } = await pendingStore(n);
    for (const id of ids) await store.transition(id, transition('completed'));
    const options = { leaseMs: 60_000, limit: n, maxAttempts: 5 };
    const [a, b] = await Promise.all([
      store.claimDueFulfilments(options),
      store.claimDueFulfilments(options),
    ]);
    const taken = [...a, ...b].map((c) => c.payment.id);
    expect(new Set(taken).size).toBe(n);
    expect(await store.claimDueFulfilments(options)).toEqual([]);
  });

  it('a claim over several slices takes each payment once even when its recheck or lease is 0', async () => {
    const n = MEMORY_SLICE + 200;
    const { store } = await pendingStore(n);
    const pending = await store.claimDuePending({
      olderThanMs: 60_000,
      limit: n * 2,
      recheckMs: 0,
      maxRecheckMs: 0,
    });
    expect(new Set(pending.payments.map((p) => p.id)).size).toBe(n);
    expect(pending.payments).toHaveLength(n);
    for (const p of pending.payments) await store.transition(p.id, transition('completed'));
    const claims = await store.claimDueFulfilments({ leaseMs: 0, limit: n * 2, maxAttempts: 5 });
    expect(claims).toHaveLength(n);
    expect(new Set(claims.map((c) => c.payment.id)).size).toBe(n);
  });

  it('lists every kept callback in order, copied in slices', async () => {
    const store = new MemoryPaymentStore();
    const n = MEMORY_SLICE * 10 + 7;
    for (let i = 0; i < n; i++)
      await store.recordCallback(
        event({ id: `e${i}`, receivedAt: new Date(i), outcome: 'rejected', paymentId: null, body: null }),
      );
    let all!: ReturnType<typeof store.listCallbacks>;
    expect(await letTheLoopRun(() => (all = store.listCallbacks()))).toBe(true);
    const list = await all;
    expect(list.map((e) => e.id)).toEqual(Array.from({ length: n }, (_, i) => `e${i}`));
    expect((await store.listCallbacks({ limit: 3 })).map((e) => e.id)).toEqual(['e0', 'e1', 'e2']);
  });
});

describe('earliest(): the k smallest keys of what is due, without sorting everything', () => {
  const rows = (keys: number[]) => keys.map((k, i) => ({ id: `r${i}`, key: k }) as unknown as Row);
  const key = (r: Row) => (r as unknown as { key: number }).key;

  it('matches a full sort on random keys with ties, for every k', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 50; round++) {
      const list = rows(Array.from({ length: 1 + (random() % 60) }, () => random() % 20));
      const due = (r: Row) => key(r) % 3 !== 0;
      const sorted = list
        .filter(due)
        .map(key)
        .sort((a, b) => a - b);
      for (const k of [0, 1, 5, sorted.length, sorted.length + 3])
        expect(earliest(list, k, due, key).map(key)).toEqual(sorted.slice(0, k));
    }
  });
});
