import type { CallbackEvent, FulfilmentClaim, Payment, PaymentTransition } from './types.js';

/**
 * One final callback to settle in one atomic step with {@link PaymentStore.settleCallback}: find its
 * payment, check it, apply its transition, claim the fulfilment it makes due, and keep its audit row.
 */
export interface CallbackSettlement {
  /** How to find the payment: by our id (a token-verified callback) or by its `CheckoutRequestID`. */
  find:
    | {
        /** Our id (`pay_…`). */
        id: string;
      }
    | {
        /** The `CheckoutRequestID` of its push. */
        checkoutRequestId: string;
      };
  /** What the payment must match for anything to be written; `null` skips a check. */
  expect: {
    /** The callback's `CheckoutRequestID`: the payment's must be this one, or not set yet. */
    checkoutRequestId: string;
    /** The amount the callback says was paid. */
    amount: number | null;
    /** The payer's number (international form, `2547…`) the callback carries in full. */
    phoneNumber: string | null;
  };
  /** The final transition the callback brings (as {@link PaymentStore.transition} takes it). */
  transition: PaymentTransition;
  /** The fulfilment claim to take when the transition completes the payment (as {@link PaymentStore.claimFulfilment}). */
  claim: {
    /** How long the claim holds, in ms of the store's clock. */
    leaseMs: number;
    /** No claim once this many attempts were made. */
    maxAttempts?: number;
  };
  /** The callback's audit row; the store sets its `outcome`, `reason` and `paymentId`. */
  event: CallbackEvent;
}

/**
 * What {@link PaymentStore.settleCallback} did. `applied` and `late_success` (a give-up corrected by this
 * success, its audit reason `was_<status>`): the transition applied and the audit row was kept, with the
 * fulfilment claim when one was taken. `duplicate`: the payment already had exactly this result (status,
 * final, receipt); only the audit row (`duplicate`, `already_settled`) was kept. `not_settled` (the
 * payment failed a check, or is in another state) and `not_found`: nothing was written, and the caller
 * decides with the payment as read.
 */
export interface CallbackSettlementResult {
  /** What was written, if anything. */
  outcome: 'applied' | 'late_success' | 'duplicate' | 'not_settled' | 'not_found';
  /** The payment after the call (as read, when nothing was written). */
  payment: Payment | undefined;
  /** The fulfilment claim taken with the transition, if any. */
  claim?: FulfilmentClaim | undefined;
}

/**
 * @internal
 * Whether `payment` passes a settlement's checks, and whether it already holds exactly the transition's
 * result (a duplicate). Shared by the stores that decide in code (the memory store).
 */
export function settlementChecks(
  payment: Payment,
  { expect, transition: t }: Pick<CallbackSettlement, 'expect' | 'transition'>,
): { passes: boolean; duplicate: boolean } {
  const passes =
    (payment.checkoutRequestId === null || payment.checkoutRequestId === expect.checkoutRequestId) &&
    (expect.amount === null || payment.amount === expect.amount) &&
    (expect.phoneNumber === null || payment.phoneNumber === expect.phoneNumber);
  const duplicate =
    passes &&
    payment.final &&
    payment.status === t.status &&
    payment.mpesaReceiptNumber === t.mpesaReceiptNumber;
  return { passes, duplicate };
}

/** @internal The audit outcome and reason of a settlement that applied. */
export function appliedOutcome(payment: Payment): Pick<CallbackEvent, 'outcome' | 'reason'> & {
  outcome: 'applied' | 'late_success';
} {
  return payment.correctedFrom === null
    ? { outcome: 'applied', reason: null }
    : { outcome: 'late_success', reason: `was_${payment.correctedFrom}` };
}
