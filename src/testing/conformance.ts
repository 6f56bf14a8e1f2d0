import type { PaymentStore } from '../payments/types.js';
import { callbackLogTests } from './conformance-callbacks.js';
import { checkoutTests, creationTests } from './conformance-create.js';
import type { ConformanceContext } from './conformance-fixtures.js';
import {
  concurrentCompletionTests,
  fulfilmentClaimTests,
  fulfilmentRetryTests,
} from './conformance-fulfilment.js';
import { dueFulfilmentTests, duePendingTests } from './conformance-reconcile.js';
import { settleCallbackTests } from './conformance-settle.js';
import { lateSuccessTests, transitionTests } from './conformance-transitions.js';

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

/** The groups of guarantees, in the order they are registered (each group in its own file). */
const GROUPS: readonly ((ctx: ConformanceContext) => void)[] = [
  creationTests,
  checkoutTests,
  transitionTests,
  lateSuccessTests,
  fulfilmentClaimTests,
  concurrentCompletionTests,
  fulfilmentRetryTests,
  duePendingTests,
  dueFulfilmentTests,
  callbackLogTests,
  settleCallbackTests,
];

/**
 * Register the `PaymentStore` conformance suite: the behaviour every store must have for the payment
 * flow to be exactly-once and lose nothing: atomic compare-and-set out of `pending` (and the one allowed
 * correction of a give-up by a final success), unique receipts and checkout ids, receipt enrichment,
 * fenced fulfilment claims on the store's clock (a stale holder can neither complete nor release),
 * attempt caps, fair and disjoint reconciliation claims with backoff, idempotent creates, and an audit
 * log of callbacks that can be pruned of unauthenticated rejections only, and (for a store that has the
 * optional `settleCallback`) the same outcomes and stored state as the calls one by one. Run it against your own store
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
  const timeout = options.timeoutMs ?? 30_000;
  const ctx: ConformanceContext = {
    test: (title, fn) => harness.it(title, async () => fn(await makeStore()), timeout),
    concurrency: options.concurrency ?? 25,
    tickMs: options.tickMs ?? 300,
  };
  harness.describe(`PaymentStore conformance: ${name}`, () => {
    for (const group of GROUPS) group(ctx);
  });
}
