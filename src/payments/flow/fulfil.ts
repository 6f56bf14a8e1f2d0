import { sleep } from '../../core/http/retry.js';
import type { FulfilmentClaim, Payment } from '../types.js';
import { errorText, type FlowContext, type FulfilmentOutcome, HOUR, PAYMENT_ID } from './context.js';

/** Claim a completed payment's fulfilment and run it, unless someone else holds it or it is done. */
export async function fulfil(ctx: FlowContext, id: string): Promise<FulfilmentOutcome> {
  const claim = await ctx.store.claimFulfilment(id, {
    leaseMs: ctx.t.lease,
    maxAttempts: ctx.t.maxAttempts,
  });
  // Without a claim, someone else holds it, or it is done.
  return claim ? runFulfilment(ctx, claim) : 'skipped';
}

/** {@link PaymentFlow.retryFulfilment}: run a fulfilment now, even a parked one. */
export async function retryFulfilment(ctx: FlowContext, paymentId: string): Promise<Payment | undefined> {
  if (typeof paymentId !== 'string' || !PAYMENT_ID.test(paymentId)) return undefined;
  const claim = await ctx.store.claimFulfilment(paymentId, { leaseMs: ctx.t.lease });
  if (claim) await runFulfilment(ctx, claim, true);
  return ctx.store.get(paymentId);
}

/**
 * Run `onCompleted` under a claim: renew the lease while it runs, then record it with the claim's
 * token (a stale holder is refused by the store).
 */
export async function runFulfilment(
  ctx: FlowContext,
  claim: FulfilmentClaim,
  manual = false,
  claimedAt = performance.now(),
): Promise<FulfilmentOutcome> {
  const { payment, token } = claim;
  // A claim that aged (a stalled event loop, a slow store) may have expired and been taken over:
  // make sure it is still ours before the side effect.
  if (performance.now() - claimedAt > ctx.t.lease / 3) {
    const held = await ctx.store.renewFulfilment(payment.id, token, ctx.t.lease).catch(() => false);
    if (!held) {
      ctx.log.warn('a fulfilment claim expired before onCompleted started; not run here', {
        paymentId: payment.id,
      });
      return 'skipped';
    }
  }
  let lost = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const renewEvery = Math.max(50, Math.floor(ctx.t.lease / 3));
  const renew = () => {
    timer = setTimeout(async () => {
      try {
        const held = await ctx.store.renewFulfilment(payment.id, token, ctx.t.lease);
        // A renewal still in flight when onCompleted finished can land after the completion: not a loss.
        if (!held && !lost && !stopped) {
          lost = true;
          ctx.log.error('lost the fulfilment claim while onCompleted was running; another run may start', {
            paymentId: payment.id,
          });
        }
      } catch (error) {
        ctx.log.warn('could not renew the fulfilment lease; retrying', { paymentId: payment.id, error });
      }
      if (!stopped) renew();
    }, renewEvery);
    (timer as { unref?: () => void }).unref?.();
  };
  renew();
  try {
    await ctx.o.onCompleted(payment);
  } catch (error) {
    stopped = true;
    clearTimeout(timer);
    return fulfilmentFailed(ctx, claim, manual, error);
  }
  stopped = true;
  clearTimeout(timer);
  // The side effect happened: record it, retrying briefly through a store hiccup.
  for (let attempt = 0; ; attempt++) {
    try {
      const recorded = await ctx.store.completeFulfilment(payment.id, token);
      if (!recorded)
        ctx.log.error('onCompleted finished but its claim had been taken over: it may have run twice', {
          paymentId: payment.id,
        });
      break;
    } catch (error) {
      if (attempt >= 3) {
        ctx.log.error('onCompleted ran but could not be recorded; it runs again after the lease', {
          paymentId: payment.id,
          error,
        });
        return 'failed';
      }
      await sleep(200 * 4 ** attempt);
    }
  }
  ctx.log.info('payment fulfilled', { paymentId: payment.id });
  return 'fulfilled';
}

/** `onCompleted` threw: release the claim for a later retry with backoff, or park it after too many. */
async function fulfilmentFailed(
  ctx: FlowContext,
  { payment, token }: FulfilmentClaim,
  manual: boolean,
  error: unknown,
): Promise<FulfilmentOutcome> {
  const attempts = payment.fulfilmentAttempts;
  const retryAfterMs = Math.min(HOUR, ctx.t.retry * 2 ** Math.max(0, attempts - 1));
  const released = await ctx.store
    .releaseFulfilment(payment.id, token, { error: errorText(error), retryAfterMs })
    .catch(() => false);
  const parked = !manual && attempts >= ctx.t.maxAttempts;
  ctx.log.error(
    parked ? 'onCompleted failed too often; fulfilment parked' : 'onCompleted threw; reconcile will retry it',
    {
      paymentId: payment.id,
      attempts,
      error,
      retryAfterMs,
      released,
    },
  );
  if (parked && ctx.o.onFulfilmentParked) {
    try {
      await ctx.o.onFulfilmentParked((await ctx.store.get(payment.id)) ?? payment, errorText(error));
    } catch (hookError) {
      ctx.log.error('onFulfilmentParked threw', { paymentId: payment.id, error: hookError });
    }
  }
  return parked ? 'parked' : 'failed';
}
