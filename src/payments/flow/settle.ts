import type { PaymentStatus } from '../../core/payment-status.js';
import { parseStkCallback, type StkCallbackResult } from '../../inbound/stk-callback.js';
import type { StkQueryResponse } from '../../resources/stk/stk.js';
import type { FulfilmentClaim, Payment, PaymentTransition, ReceiptEnrichment, SettledBy } from '../types.js';
import type { FlowContext, FulfilmentOutcome, Processed } from './context.js';
import { fulfil, runFulfilment } from './fulfil.js';
import { queryStatus } from './query.js';

/** A success callback, whose receipt settles or enriches a payment. */
export type SuccessCallback = Extract<StkCallbackResult, { status: 'completed' }>;

/** What a verified success callback brings to a payment already completed without it. */
function receiptOf(parsed: SuccessCallback): ReceiptEnrichment {
  return {
    mpesaReceiptNumber: parsed.mpesaReceiptNumber,
    callback: parsed.raw,
    merchantRequestId: parsed.merchantRequestId ?? null,
    checkoutRequestId: parsed.checkoutRequestId,
  };
}

export function fromCallback(parsed: Exclude<StkCallbackResult, { status: 'pending' }>): PaymentTransition {
  return {
    status: parsed.status,
    final: true,
    resultCode: parsed.resultCode,
    resultDesc: parsed.resultDesc,
    mpesaReceiptNumber: parsed.status === 'completed' ? parsed.mpesaReceiptNumber : null,
    merchantRequestId: parsed.merchantRequestId ?? null,
    checkoutRequestId: parsed.checkoutRequestId,
    callback: parsed.raw,
    settledBy: 'callback',
  };
}

/** The transition of a payment `reconcile` gives up on: `timeout`, still correctable by a success. */
export function giveUp(why: string): PaymentTransition {
  return {
    status: 'timeout',
    final: false,
    resultCode: null,
    resultDesc: `Gave up: ${why}`,
    mpesaReceiptNumber: null,
    merchantRequestId: null,
    checkoutRequestId: null,
    callback: null,
    settledBy: 'give-up',
  };
}

/**
 * Settle a payment from a final STK query answer. A success takes the receipt of a success callback
 * kept earlier as unconfirmed, if any. Returns the payment after the call.
 */
export async function settleFromQuery(
  ctx: FlowContext,
  paymentId: string,
  result: StkQueryResponse,
  by: SettledBy,
  resultDesc?: string,
): Promise<{ payment: Payment | undefined; applied: boolean; fulfilment: FulfilmentOutcome }> {
  let receipt: SuccessCallback | undefined;
  if (result.status === 'completed') receipt = await keptSuccess(ctx, paymentId, result.checkoutRequestId);
  const transition: PaymentTransition = receipt
    ? { ...fromCallback(receipt), settledBy: by }
    : {
        status: result.status as Exclude<PaymentStatus, 'pending'>,
        final: true,
        resultCode: result.resultCode ?? null,
        resultDesc: resultDesc ?? result.resultDesc,
        mpesaReceiptNumber: null,
        merchantRequestId: null,
        checkoutRequestId: null,
        callback: null,
        settledBy: by,
      };
  const settled = await ctx.store.transition(paymentId, transition);
  const fulfilment = settled.applied ? await afterSettled(ctx, settled.payment!) : 'skipped';
  if (!settled.applied && receipt) await attachKeptReceipt(ctx, settled.payment, receipt);
  return { payment: settled.payment, applied: settled.applied, fulfilment };
}

/** A payment completed meanwhile without its receipt (a racing query) gets the receipt we hold. */
export async function attachKeptReceipt(
  ctx: FlowContext,
  payment: Payment | undefined,
  parsed: SuccessCallback,
): Promise<void> {
  if (payment?.status !== 'completed' || payment.mpesaReceiptNumber !== null) return;
  await ctx.store.attachReceipt(payment.id, receiptOf(parsed));
}

/** A success callback kept for this payment (unconfirmed, awaiting a query), whose receipt we can use. */
async function keptSuccess(ctx: FlowContext, paymentId: string, checkoutRequestId: string) {
  const events = await ctx.store.listCallbacks({ paymentId, limit: 100 });
  for (const event of events.reverse()) {
    if (event.outcome !== 'unconfirmed') continue;
    try {
      const parsed = parseStkCallback(event.body);
      if (parsed.status === 'completed' && parsed.checkoutRequestId === checkoutRequestId) return parsed;
    } catch {
      // not a usable body
    }
  }
  return undefined;
}

/**
 * Only the winner of a transition gets here: fulfil a completed payment (under `claim`, when the store
 * took it with the transition, at `claimedAt`), report a failed one.
 */
export async function afterSettled(
  ctx: FlowContext,
  payment: Payment,
  claim?: FulfilmentClaim,
  claimedAt?: number,
): Promise<FulfilmentOutcome> {
  ctx.lastQuery.delete(payment.id);
  if (payment.status === 'completed') {
    if (payment.correctedFrom !== null) {
      ctx.log.warn('late success: a payment the flow had given up on was paid', {
        paymentId: payment.id,
        correctedFrom: payment.correctedFrom,
      });
      await runHook(ctx, 'onLateSuccess', payment);
    }
    return claim ? runFulfilment(ctx, claim, false, claimedAt) : fulfil(ctx, payment.id);
  }
  await runHook(ctx, 'onFailed', payment);
  return 'skipped';
}

/** Run `onFailed` or `onLateSuccess`; an error is logged, never retried. */
async function runHook(
  ctx: FlowContext,
  name: 'onFailed' | 'onLateSuccess',
  payment: Payment,
): Promise<void> {
  const fn = ctx.o[name];
  if (!fn) return;
  try {
    await fn(payment);
  } catch (error) {
    ctx.log.error(`${name} threw; not retried`, { paymentId: payment.id, error });
  }
}

/** After a success callback was kept as unconfirmed: ask Daraja, and settle if it answers finally. */
export async function confirmByQuery(ctx: FlowContext, paymentId: string, parsed: SuccessCallback) {
  if (ctx.limiter && !(await ctx.limiter.take(30_000))) return; // reconcile confirms it later
  const result = await queryStatus(ctx, parsed.checkoutRequestId);
  if (!result?.final) return; // a non-final answer never overrules a success callback
  if (result.status === 'completed') {
    const settled = await ctx.store.transition(paymentId, fromCallback(parsed));
    if (settled.applied) await afterSettled(ctx, settled.payment!);
    else await attachKeptReceipt(ctx, settled.payment, parsed);
    return;
  }
  ctx.log.error('an STK query contradicts a success callback; Daraja’s query answer settles it', {
    paymentId,
    resultCode: result.resultCode,
  });
  await settleFromQuery(ctx, paymentId, result, 'query', 'STK query contradicted the success callback');
}

/** A completed payment without its receipt gets it from this success callback (or the callback is a duplicate or a mismatch). */
export async function enrich(
  ctx: FlowContext,
  payment: Payment,
  parsed: SuccessCallback,
  done: (outcome: Processed['outcome'], reason: string | null) => Promise<Processed>,
): Promise<Processed> {
  if (payment.mpesaReceiptNumber !== null) {
    return payment.mpesaReceiptNumber === parsed.mpesaReceiptNumber
      ? done('duplicate', 'already_settled')
      : done('rejected', 'receipt_mismatch');
  }
  const result = await ctx.store.attachReceipt(payment.id, receiptOf(parsed));
  if (result.applied) return done('enriched', 'receipt_attached');
  if (result.reason === 'has_receipt' && result.payment?.mpesaReceiptNumber === parsed.mpesaReceiptNumber)
    return done('duplicate', 'already_settled');
  return done('rejected', result.reason ?? 'not_enriched');
}
