import { isDarajaCallbackError } from '../../core/errors.js';
import { parseStkCallback, type StkCallbackResult } from '../../inbound/stk-callback.js';

import { comparePhone, fullPhone, ipMatches } from '../security.js';
import type { CallbackEvent, Payment } from '../types.js';
import { type CallbackInput, type FlowContext, PAYMENT_ID, type Processed } from './context.js';
import { afterSettled, confirmByQuery, enrich, fromCallback, type SuccessCallback } from './settle.js';
import { CALLBACK_URL_PARAMS } from './types.js';

/** Record the callback's audit row with its outcome, and say what was decided. */
type Done = (
  outcome: Processed['outcome'],
  reason: string | null,
  after?: () => Promise<unknown>,
) => Promise<Processed>;

/**
 * Process one authenticated callback with the store: parse it, link it to its payment, check it, settle
 * or reject it, and record its audit row (every path ends in `done`). Throws if the store fails.
 */
export async function processCallback(ctx: FlowContext, input: CallbackInput): Promise<Processed> {
  const event: CallbackEvent = {
    id: input.eventId,
    receivedAt: input.receivedAt,
    outcome: 'invalid',
    reason: null,
    paymentId: null,
    checkoutRequestId: null,
    remoteAddress: input.address,
    body: input.body,
    bodyBytes: input.fingerprint.bytes,
    bodySha256: input.fingerprint.sha256,
  };
  const done: Done = async (outcome, reason, after) => {
    event.outcome = outcome;
    event.reason = reason;
    await ctx.store.recordCallback(event);
    return { outcome, reason, paymentId: event.paymentId, ...(after ? { after } : {}) };
  };

  const query = input.query ?? new URL(input.url ?? '/', 'http://callback.invalid').searchParams;
  const hintedId = query.get(CALLBACK_URL_PARAMS.payment);
  let parsed: StkCallbackResult;
  try {
    parsed = parseStkCallback(input.body);
  } catch (error) {
    if (!isDarajaCallbackError(error)) throw error;
    // Token-verified: link it to its payment (if the store has it), so its audit trail shows it.
    if (ctx.verifyToken && hintedId && (await ctx.store.get(hintedId))) event.paymentId = hintedId;
    return done('invalid', `${error.reason}${error.path ? ` at ${error.path}` : ''}`);
  }
  event.checkoutRequestId = parsed.checkoutRequestId;

  // The common case in one step, when the store can: settle it, claim its fulfilment, keep its audit row.
  const once = await settleAtOnce(ctx, input, parsed, hintedId, event);
  if (once && 'outcome' in once) return once;

  // Link the callback to its payment (already read, if the store wrote nothing above).
  const payment = once ? once.payment : await findPayment(ctx, parsed.checkoutRequestId, hintedId);
  if (!payment) return done('unmatched', ctx.verifyToken ? 'unknown_payment' : 'unknown_checkout_request_id');
  event.paymentId = payment.id;
  if (ctx.verifyToken && ctx.allowedIps !== false && !ipMatches(ctx.allowedIps, input.address ?? undefined)) {
    ctx.log.warn(
      'a callback with a valid token came from an address not on allowedIps; rejected and kept. If it is Safaricom, add the address',
      { paymentId: payment.id, remoteAddress: input.address },
    );
    return done('rejected', input.address ? 'ip_not_allowed' : 'ip_unknown');
  }
  if (payment.checkoutRequestId !== null && payment.checkoutRequestId !== parsed.checkoutRequestId) {
    return done('rejected', 'checkout_request_id_mismatch');
  }
  if (parsed.status === 'pending') {
    // Not a final answer (4999, or a code we do not know): unknown is never failed.
    return done('unconfirmed', `not_final_result_code_${parsed.resultCode}`);
  }
  if (parsed.status !== 'completed') return recordFailure(ctx, payment, parsed, done);
  return recordSuccess(ctx, payment, parsed, done);
}

/**
 * The payment of a callback: by the id in its (token-verified) URL, or else by its CheckoutRequestID;
 * without tokens, the id in the URL is a hint only, which must agree with the CheckoutRequestID.
 */
async function findPayment(
  ctx: FlowContext,
  checkoutRequestId: string,
  hintedId: string | null,
): Promise<Payment | undefined> {
  if (ctx.verifyToken) return ctx.store.get(hintedId!);
  const payment = await ctx.store.getByCheckoutRequestId(checkoutRequestId);
  if (payment || !hintedId || !PAYMENT_ID.test(hintedId)) return payment;
  const hinted = await ctx.store.get(hintedId);
  return hinted?.checkoutRequestId === checkoutRequestId ? hinted : undefined;
}

/**
 * A final callback, with a store that has `settleCallback`: the checks that need the payment (its
 * CheckoutRequestID, amount and full phone number) go to the store with the transition, so an applied
 * callback or a duplicate takes one round trip. Returns what was decided, or else the payment as the
 * store read it (nothing written: the steps below decide), or `undefined` when this callback needs
 * them from the start (no such method, a masked or hashed phone, a query to confirm, an address to reject).
 */
async function settleAtOnce(
  ctx: FlowContext,
  input: CallbackInput,
  parsed: StkCallbackResult,
  hintedId: string | null,
  event: CallbackEvent,
): Promise<Processed | { payment: Payment | undefined } | undefined> {
  const settle = ctx.store.settleCallback;
  if (!settle || parsed.status === 'pending') return undefined;
  if (ctx.verifyToken && ctx.allowedIps !== false && !ipMatches(ctx.allowedIps, input.address ?? undefined))
    return undefined;
  const success = parsed.status === 'completed';
  const checkPhone = success && ctx.o.verifyPhone !== false;
  const phoneNumber = checkPhone ? fullPhone(parsed.phoneNumberRaw) : null;
  if ((checkPhone && phoneNumber === null) || (success && ctx.o.confirmWithQuery === true)) return undefined;
  const result = await settle.call(ctx.store, {
    find: ctx.verifyToken ? { id: hintedId! } : { checkoutRequestId: parsed.checkoutRequestId },
    expect: {
      checkoutRequestId: parsed.checkoutRequestId,
      amount: success && ctx.o.verifyAmount !== false ? parsed.amount : null,
      phoneNumber,
    },
    transition: fromCallback(parsed),
    claim: { leaseMs: ctx.t.lease, maxAttempts: ctx.t.maxAttempts },
    event,
  });
  const { outcome, payment, claim } = result;
  if (outcome === 'not_found' && !ctx.verifyToken) return undefined; // the URL's hint may still find it
  if (outcome === 'not_found' || outcome === 'not_settled') return { payment };
  const paymentId = payment!.id;
  if (outcome === 'duplicate') return { outcome, reason: 'already_settled', paymentId };
  const claimedAt = performance.now();
  const reason = outcome === 'late_success' ? `was_${payment!.correctedFrom}` : null;
  return { outcome, reason, paymentId, after: () => afterSettled(ctx, payment!, claim, claimedAt) };
}

/** A final failure (cancelled, timeout, failed): settles a pending payment, never overrules a final one. */
async function recordFailure(
  ctx: FlowContext,
  payment: Payment,
  parsed: Exclude<StkCallbackResult, { status: 'pending' | 'completed' }>,
  done: Done,
): Promise<Processed> {
  let current = payment;
  if (current.status === 'pending') {
    const result = await ctx.store.transition(current.id, fromCallback(parsed));
    if (result.applied) return done('applied', null, () => afterSettled(ctx, result.payment!));
    if (result.reason === 'duplicate_checkout' || result.reason === 'duplicate_receipt')
      return done('rejected', result.reason);
    current = result.payment ?? current;
    if (current.status === 'pending') return done('rejected', result.reason ?? 'not_applied');
  }
  // A final failure for a payment the flow gave up on: it stays as it is (only a success corrects it).
  if (!current.final) return done('duplicate', 'already_given_up');
  if (current.status === parsed.status) return done('duplicate', 'already_settled');
  return done('rejected', `conflicts_with_${current.status}`);
}

/**
 * A success: the checks that do not need Daraja (a final result, amount, phone), then settle, enrich a
 * payment already completed, or keep it unconfirmed for a query after the answer.
 */
async function recordSuccess(
  ctx: FlowContext,
  payment: Payment,
  parsed: SuccessCallback,
  done: Done,
): Promise<Processed> {
  // A success: the checks that do not need Daraja.
  if (payment.status !== 'completed' && payment.final) {
    ctx.log.error('a success callback contradicts a final result', {
      paymentId: payment.id,
      status: payment.status,
      resultCode: payment.resultCode,
    });
    return done('rejected', `conflicts_with_${payment.status}`);
  }
  if (ctx.o.verifyAmount !== false && parsed.amount !== payment.amount) {
    return done('rejected', 'amount_mismatch');
  }
  let phone: 'match' | 'mismatch' | 'unverifiable' = 'match';
  if (ctx.o.verifyPhone !== false) phone = comparePhone(payment.phoneNumber, parsed.phoneNumberRaw);
  if (phone === 'mismatch') return done('rejected', 'phone_mismatch');
  const policy = ctx.o.unverifiablePhone ?? 'confirm';
  if (phone === 'unverifiable' && policy === 'reject') return done('rejected', 'phone_unverifiable');

  if (payment.status === 'completed') {
    // Already completed (by an STK query): this callback brings the receipt.
    return enrich(ctx, payment, parsed, done);
  }
  const needsQuery = ctx.o.confirmWithQuery === true || (phone === 'unverifiable' && policy === 'confirm');
  if (needsQuery) {
    // Kept first (durable, with its receipt), confirmed after the answer; reconcile finishes the job.
    const reason = ctx.o.confirmWithQuery ? 'awaiting_query_confirmation' : 'phone_unverifiable';
    const paymentId = payment.id;
    return done('unconfirmed', reason, () => confirmByQuery(ctx, paymentId, parsed));
  }
  const result = await ctx.store.transition(payment.id, fromCallback(parsed));
  if (result.applied) {
    const settled = result.payment!;
    return done(
      settled.correctedFrom ? 'late_success' : 'applied',
      settled.correctedFrom ? `was_${settled.correctedFrom}` : null,
      () => afterSettled(ctx, settled),
    );
  }
  if (result.reason === 'duplicate_receipt' || result.reason === 'duplicate_checkout') {
    return done('rejected', result.reason);
  }
  // Settled meanwhile (a racing query or callback): maybe this callback still brings the receipt.
  const now = result.payment;
  if (now?.status === 'completed') return enrich(ctx, now, parsed, done);
  return done('rejected', now ? `conflicts_with_${now.status}` : 'unknown_payment');
}
