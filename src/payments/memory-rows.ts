import type { Payment } from './types.js';

/** @internal A payment as {@link MemoryPaymentStore} keeps it: with its lease and recheck fields. */
export interface Row extends Payment {
  fulfilmentLeaseUntil: number | null;
  fulfilmentClaim: number;
  nextCheckAt: number | null;
}

/**
 * @internal
 * The most rows one synchronous step of the memory store claims or copies. A bigger request is served
 * in slices with the event loop free between them, so no call blocks it for long (at 100,000 payments a
 * slice takes a few milliseconds; see docs/benchmarks.md).
 */
export const MEMORY_SLICE = 1_000;

/** @internal Let the event loop run (timers and I/O) before the next slice. Web-standard: `setTimeout`. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

const copyDate = (d: Date | null) => (d === null ? null : new Date(d.getTime()));

/** @internal Deep-freeze a copy of a JSON value (iteratively), so stored copies can be shared with readers. */
export function frozenCopy<T>(value: T): T {
  const copy = structuredClone(value);
  const stack: unknown[] = [copy];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const child of Object.values(v)) stack.push(child);
  }
  return copy;
}

/** @internal What readers get: the payment without the store's lease fields. Nested JSON is frozen and shared. */
export function publicCopy(row: Row): Payment {
  const { fulfilmentLeaseUntil: _lease, fulfilmentClaim: _claim, nextCheckAt: _next, ...payment } = row;
  payment.createdAt = new Date(row.createdAt.getTime());
  payment.updatedAt = new Date(row.updatedAt.getTime());
  payment.completedAt = copyDate(row.completedAt);
  payment.fulfilledAt = copyDate(row.fulfilledAt);
  return payment;
}

/**
 * @internal
 * The `k` rows of `rows` that pass `due`, smallest `key` first: one pass with a bounded max-heap
 * (O(n log k)), so picking 100 of 100,000 costs a scan, not a sort of everything due.
 */
export function earliest(
  rows: Iterable<Row>,
  k: number,
  due: (row: Row) => boolean,
  key: (row: Row) => number,
): Row[] {
  const heap: { row: Row; key: number }[] = [];
  if (k <= 0) return [];
  const swap = (i: number, j: number) => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  const siftDown = (start: number) => {
    for (let i = start; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && heap[l]!.key > heap[top]!.key) top = l;
      if (r < heap.length && heap[r]!.key > heap[top]!.key) top = r;
      if (top === i) return;
      swap(i, top);
      i = top;
    }
  };
  for (const row of rows) {
    if (!due(row)) continue;
    const entry = { row, key: key(row) };
    if (heap.length < k) {
      heap.push(entry);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (heap[parent]!.key >= heap[i]!.key) break;
        swap(i, parent);
        i = parent;
      }
    } else if (entry.key < heap[0]!.key) {
      heap[0] = entry;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => a.key - b.key).map((e) => e.row);
}

/**
 * @internal
 * Run `step` (which claims up to `k` rows in one synchronous step) until `limit` rows are taken or a
 * step comes back short, at most {@link MEMORY_SLICE} per step, yielding to the event loop between.
 */
export async function sliced<T>(limit: number, step: (k: number) => T[]): Promise<T[]> {
  const taken: T[] = [];
  for (let left = Math.max(0, limit); left > 0; ) {
    if (taken.length > 0) await yieldToLoop();
    const want = Math.min(MEMORY_SLICE, left);
    const slice = step(want);
    for (const item of slice) taken.push(item);
    left -= slice.length;
    if (slice.length < want) break;
  }
  return taken;
}
