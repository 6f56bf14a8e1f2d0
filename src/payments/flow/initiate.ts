import {
  DarajaValidationError,
  isDarajaApiError,
  isDarajaConfigError,
  isDarajaError,
  isDarajaUnknownOutcomeError,
  isDarajaValidationError,
} from '../../core/errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import { toBase64Url } from '../../core/utils/bytes.js';
import { validateText } from '../../core/utils/validate.js';
import { normalizeStkFields } from '../../resources/stk/fields.js';
import type { JournalEntry } from '../journal.js';
import { callbackToken } from '../security.js';
import type { Payment } from '../types.js';
import { errorText, type FlowContext, TIMED_OUT, withDeadline } from './context.js';
import { afterSettled } from './settle.js';
import { CALLBACK_URL_PARAMS, type InitiateParams, type InitiateResponse } from './types.js';
import { warnSchema } from './warnings.js';

/** {@link PaymentFlow.callbackUrlFor}: the callback URL with the payment's id and token. */
export function callbackUrlFor(ctx: FlowContext, paymentId: string): string {
  const url = new URL(ctx.o.callbackUrl);
  url.searchParams.set(CALLBACK_URL_PARAMS.payment, paymentId);
  if (ctx.verifyToken)
    url.searchParams.set(CALLBACK_URL_PARAMS.token, callbackToken(ctx.secrets[0]!, paymentId));
  return url.toString();
}

/**
 * {@link PaymentFlow.initiate}: check the input, write the `pending` payment (or find the one with this
 * idempotency key), send the push (with `requestOptions`), and record its answer: sent, unknown (never
 * resent) or rejected.
 */
export async function initiate(
  ctx: FlowContext,
  params: InitiateParams,
  requestOptions?: RequestOptions,
): Promise<InitiateResponse> {
  if (typeof params !== 'object' || params === null) {
    throw new DarajaValidationError('params', 'pass { ownerId, amount, phoneNumber, accountReference }.');
  }
  const ownerId = validateText('ownerId', params.ownerId, 200, true);
  const { phoneNumber, amount, accountReference, transactionDesc } = normalizeStkFields(params);
  const metadata = validateMetadata(params.metadata);
  const idempotencyKey =
    params.idempotencyKey === undefined
      ? null
      : validateText('idempotencyKey', params.idempotencyKey, 200, true);

  const id = `pay_${toBase64Url(crypto.getRandomValues(new Uint8Array(16)))}`;
  const { created, payment } = await ctx.store.create({
    id,
    ownerId,
    amount,
    phoneNumber,
    accountReference,
    transactionDesc,
    metadata,
    idempotencyKey,
  });
  if (!created) {
    ctx.log.info('initiate: existing payment for this idempotency key; nothing sent', {
      paymentId: payment.id,
    });
    return { outcome: 'existing', payment };
  }

  try {
    const response = await ctx.o.daraja.stk.push(
      {
        phoneNumber,
        amount,
        accountReference,
        transactionDesc,
        callbackUrl: callbackUrlFor(ctx, id),
      },
      requestOptions,
    );
    const ids = {
      merchantRequestId: response.merchantRequestId,
      checkoutRequestId: response.checkoutRequestId,
    };
    const attached = await attachOrJournal(ctx, id, ids);
    ctx.log.info('payment initiated', {
      paymentId: id,
      checkoutRequestId: response.checkoutRequestId,
      amount,
    });
    return {
      outcome: 'sent',
      payment: attached ?? { ...payment, ...ids },
      customerMessage: response.customerMessage,
    };
  } catch (error) {
    return pushFailed(ctx, id, payment, error);
  }
}

/** The push threw: the outcome is unknown (the payment stays pending), or it was not sent (it fails). */
async function pushFailed(
  ctx: FlowContext,
  id: string,
  payment: Payment,
  error: unknown,
): Promise<InitiateResponse> {
  if (isDarajaUnknownOutcomeError(error)) {
    ctx.log.warn('push outcome unknown; payment stays pending and is not resent', { paymentId: id });
    return {
      outcome: 'unknown',
      payment: (await ctx.store.get(id).catch(() => undefined)) ?? payment,
      error,
    };
  }
  // Anything else means the push did not go out (validation, config, a Daraja rejection, a network
  // failure before sending): the payment fails with the reason.
  const reason = isDarajaApiError(error)
    ? { code: error.errorCode ?? `HTTP ${error.status}`, desc: error.errorMessage ?? error.message }
    : { code: isDarajaError(error) ? error.name : 'push_failed', desc: errorText(error) };
  let settled: Payment | undefined;
  try {
    const result = await ctx.store.transition(id, {
      status: 'failed',
      final: true,
      resultCode: reason.code,
      resultDesc: `STK push not sent: ${reason.desc}`,
      mpesaReceiptNumber: null,
      merchantRequestId: null,
      checkoutRequestId: null,
      callback: null,
      settledBy: 'push',
    });
    settled = result.payment;
    if (result.applied) await afterSettled(ctx, result.payment!);
  } catch (storeError) {
    // The payment stays pending (no CheckoutRequestID): reconcile gives it up later.
    ctx.log.error('could not record the rejected push', { paymentId: id, error: storeError });
  }
  if (isDarajaConfigError(error) || isDarajaValidationError(error) || !isDarajaError(error)) throw error;
  return { outcome: 'rejected', payment: settled ?? payment, error };
}

/** Record the push answer; if the store cannot, keep it in the journal; if that fails too, log it all. */
async function attachOrJournal(
  ctx: FlowContext,
  paymentId: string,
  ids: { merchantRequestId: string; checkoutRequestId: string },
): Promise<Payment | undefined> {
  const attempt = ctx.store.attachCheckout(paymentId, ids);
  try {
    const result = await withDeadline(attempt, ctx.t.storeDeadline);
    if (result !== TIMED_OUT) return result;
  } catch (error) {
    ctx.log.warn('could not record the push answer; keeping it in the journal', { paymentId, error });
    if (isDarajaConfigError(error)) warnSchema(ctx);
  }
  const entry: JournalEntry = {
    kind: 'checkout',
    id: `jrn_${toBase64Url(crypto.getRandomValues(new Uint8Array(12)))}`,
    receivedAt: ctx.now().toISOString(),
    paymentId,
    ...ids,
  };
  try {
    await ctx.journal.append(entry);
    ctx.replayDue = true;
  } catch (error) {
    // The token-linked callback can still link the payment; this line is the manual way back.
    ctx.log.error('could not record the push answer anywhere; attach it by hand', {
      paymentId,
      ...ids,
      error,
    });
  }
  return undefined;
}

function validateMetadata(metadata: unknown): Record<string, unknown> {
  if (metadata === undefined) return {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new DarajaValidationError(
      'metadata',
      'must be a plain object of JSON values, e.g. { plan: "pro" }.',
    );
  }
  let text: string;
  try {
    text = JSON.stringify(metadata);
  } catch {
    throw new DarajaValidationError('metadata', 'must be JSON-serialisable (no BigInt, no cycles).');
  }
  if (text.length > 16 * 1024) throw new DarajaValidationError('metadata', 'must be under 16 kB as JSON.');
  if (text.includes('\\u0000'))
    throw new DarajaValidationError('metadata', 'must not contain NUL characters (\\u0000). Remove them.');
  return JSON.parse(text) as Record<string, unknown>;
}
