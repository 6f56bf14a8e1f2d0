import type { RequestOptions } from '../../core/http/transport.js';
import type { Payment, PaymentTransition } from '../types.js';
import { type FlowContext, type FulfilmentOutcome, MINUTE } from './context.js';
import { runFulfilment } from './fulfil.js';
import { queryStatus } from './query.js';
import { replay } from './replay.js';
import { afterSettled, giveUp, settleFromQuery } from './settle.js';
import type { ReconcileSummary } from './types.js';

/** Pending payments `reconcile` claims at once: a bigger `limit` is worked through in batches this size. */
export const RECONCILE_BATCH = 100;

/** Fulfilments `reconcile` runs (and so claims) at once. */
const FULFILMENT_CONCURRENCY = 4;

/** The options of {@link PaymentFlow.reconcile}. */
type ReconcileOptions = { olderThanMs?: number; limit?: number; maxWaitMs?: number };

/**
 * {@link PaymentFlow.reconcile}, in three phases: replay the journal; claim the due pending payments the
 * query budget allows and settle each by STK query (each with `requestOptions`; or give it up after the
 * horizon); run due fulfilments.
 */
export async function reconcile(
  ctx: FlowContext,
  options: ReconcileOptions = {},
  requestOptions?: RequestOptions,
): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    replayed: 0,
    checked: 0,
    settled: { completed: 0, cancelled: 0, failed: 0, timeout: 0 },
    stillPending: 0,
    gaveUp: 0,
    lateSuccesses: 0,
    fulfilled: 0,
    fulfilmentFailures: 0,
    parked: 0,
    queryErrors: 0,
    deferredByBudget: 0,
  };
  const count = (outcome: FulfilmentOutcome) => {
    if (outcome === 'fulfilled') summary.fulfilled += 1;
    else if (outcome !== 'skipped') summary.fulfilmentFailures += 1;
    if (outcome === 'parked') summary.parked += 1;
  };
  const replayed = await replay(ctx);
  summary.replayed = replayed.applied;
  summary.lateSuccesses += replayed.lateSuccesses;
  const limit = Math.max(0, options.limit ?? 100);
  const maxWaitMs = Math.max(0, options.maxWaitMs ?? 15_000);
  const take = ctx.limiter ? Math.min(limit, ctx.limiter.within(maxWaitMs)) : limit;
  const deadline = Date.now() + maxWaitMs;
  for (let left = take; left > 0; ) {
    // In batches whatever `limit` says: memory stays flat, each claim is short, and a payment is claimed
    // (its next check pushed back) only just before it is checked.
    const want = Math.min(RECONCILE_BATCH, left);
    const { now, payments } = await ctx.store.claimDuePending({
      olderThanMs: options.olderThanMs ?? MINUTE,
      limit: want,
      recheckMs: ctx.t.recheck,
      maxRecheckMs: ctx.t.maxRecheck,
    });
    const check = (payment: Payment) =>
      checkPending(ctx, payment, { now, deadline, requestOptions }, summary, count);
    await pool(payments, 4, check);
    left -= payments.length;
    if (payments.length < want || summary.deferredByBudget > 0) break;
  }

  // Claim only what runs now: a claim waiting in a queue would see its lease run out (nobody renews it)
  // and another instance take the payment over, while this one still runs it later.
  for (let remaining = limit; remaining > 0; ) {
    const claims = await ctx.store.claimDueFulfilments({
      leaseMs: ctx.t.lease,
      limit: Math.min(FULFILMENT_CONCURRENCY, remaining),
      maxAttempts: ctx.t.maxAttempts,
    });
    if (claims.length === 0) break;
    remaining -= claims.length;
    const claimedAt = performance.now();
    await Promise.all(claims.map(async (claim) => count(await runFulfilment(ctx, claim, false, claimedAt))));
  }
  // A run that changed nothing (the usual case every few seconds) is debug; anything it did is info.
  const changed =
    summary.replayed > 0 ||
    Object.values(summary.settled).some((n) => n > 0) ||
    summary.gaveUp > 0 ||
    summary.lateSuccesses > 0 ||
    summary.fulfilled > 0 ||
    summary.fulfilmentFailures > 0 ||
    summary.parked > 0 ||
    summary.queryErrors > 0;
  ctx.log[changed ? 'info' : 'debug']('reconcile finished', { ...summary });
  return summary;
}

/**
 * One claimed pending payment: query it (waiting for budget until `deadline`) and settle a final answer,
 * or give it up past its horizon; counted in `summary`.
 */
async function checkPending(
  ctx: FlowContext,
  payment: Payment,
  run: { now: Date; deadline: number; requestOptions: RequestOptions | undefined },
  summary: ReconcileSummary,
  count: (outcome: FulfilmentOutcome) => void,
): Promise<void> {
  const age = run.now.getTime() - payment.createdAt.getTime();
  let transition: PaymentTransition | undefined;
  if (payment.checkoutRequestId === null) {
    summary.checked += 1;
    if (age >= ctx.t.giveUpUnknown)
      transition = giveUp('no CheckoutRequestID (push outcome unknown) and no callback');
  } else {
    const waitLeft = run.deadline - Date.now();
    if (ctx.limiter && !(await ctx.limiter.take(Math.max(0, waitLeft)))) {
      summary.deferredByBudget += 1;
      return;
    }
    summary.checked += 1;
    const result = await queryStatus(ctx, payment.checkoutRequestId, true, run.requestOptions);
    if (result === undefined) summary.queryErrors += 1;
    if (result?.final) {
      const {
        payment: settled,
        applied,
        fulfilment,
      } = await settleFromQuery(ctx, payment.id, result, 'reconcile');
      if (applied && settled && settled.status !== 'pending') {
        summary.settled[settled.status] += 1;
        if (settled.correctedFrom !== null) summary.lateSuccesses += 1;
      }
      count(fulfilment);
      return;
    }
    if (age >= ctx.t.giveUp) transition = giveUp('Daraja still reports no final result');
  }
  if (!transition) {
    summary.stillPending += 1;
    return;
  }
  const settled = await ctx.store.transition(payment.id, transition);
  if (!settled.applied) return; // settled meanwhile by a callback or another instance
  summary.settled[transition.status] += 1;
  summary.gaveUp += 1;
  await afterSettled(ctx, settled.payment!);
}

/** Run `fn` over `items` with at most `size` in flight. */
async function pool<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
