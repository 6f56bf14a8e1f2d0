import { parseStkCallback } from '../../inbound/stk-callback.js';
import type { CallbackOutcome } from '../types.js';
import type { FlowContext, Processed } from './context.js';
import { CALLBACK_ACK, CALLBACK_RETRY_LATER, type CallbackResponse } from './types.js';

/** The answer to Daraja: 200 with {@link CALLBACK_ACK}, or 503 with {@link CALLBACK_RETRY_LATER}. */
export function answer(
  status: 200 | 503,
  outcome: CallbackOutcome | 'probe',
  reason: string | null,
  paymentId: string | null,
  afterAck: Promise<void>,
): CallbackResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: status === 200 ? CALLBACK_ACK : CALLBACK_RETRY_LATER,
    outcome,
    reason,
    paymentId,
    afterAck,
  };
}

/** The log line that lets someone apply a callback by hand (masked as usual). */
export function logRecovery(
  ctx: FlowContext,
  body: unknown,
  paymentId: string | null,
  eventId: string,
): void {
  let facts: Record<string, unknown> = {};
  try {
    const parsed = parseStkCallback(body);
    facts = {
      checkoutRequestId: parsed.checkoutRequestId,
      resultCode: parsed.resultCode,
      ...(parsed.status === 'completed'
        ? {
            mpesaReceiptNumber: parsed.mpesaReceiptNumber,
            amount: parsed.amount,
            phoneNumber: parsed.phoneNumberRaw,
            transactionDate: parsed.transactionDate.toISOString(),
          }
        : {}),
    };
  } catch {
    facts = { unparsable: true };
  }
  ctx.log.error('RECOVER BY HAND: a callback that may not be recorded', {
    callbackEventId: eventId,
    paymentId,
    ...facts,
  });
}

export function logCallback(ctx: FlowContext, result: Processed): void {
  const quiet = ['applied', 'duplicate', 'enriched', 'late_success'].includes(result.outcome);
  ctx.log[quiet ? 'info' : 'warn']('callback handled', {
    outcome: result.outcome,
    reason: result.reason,
    paymentId: result.paymentId,
  });
}
