import type { PaymentStatus } from '../payment-status.js';

/** How a payment reached its final status. */
export type SettledBy = 'callback' | 'query' | 'push' | 'reconcile';

/**
 * One payment, from the moment before its STK push until forever: records are never deleted.
 * Every write goes through a {@link PaymentStore} operation that is atomic.
 */
export interface Payment {
  /** Our id (`pay_…`), unguessable; safe to show the customer. */
  id: string;
  /** Who the payment belongs to (your user or account id). Checked by `checkStatus`. */
  ownerId: string;
  /** Amount requested, in whole shillings. */
  amount: number;
  /** The payer's phone number, normalised (`2547…`). Personal data: never log it unmasked. */
  phoneNumber: string;
  /** `AccountReference` shown on the prompt. */
  accountReference: string;
  /** `TransactionDesc` sent with the push. */
  transactionDesc: string;
  /** Your data, e.g. `{ plan: 'pro' }`. Must be JSON-serialisable. */
  metadata: Record<string, unknown>;
  /** A key that makes `initiate` idempotent (the same key returns the same payment), if one was given. */
  idempotencyKey: string | null;
  /** `pending` until a final result is known; every other status is terminal. */
  status: PaymentStatus;
  /** Daraja's `MerchantRequestID`, once known. */
  merchantRequestId: string | null;
  /** Daraja's `CheckoutRequestID`, once known (from the push answer or a linked callback). */
  checkoutRequestId: string | null;
  /** The M-Pesa receipt of a completed payment. Unique across payments. */
  mpesaReceiptNumber: string | null;
  /** The final result code (`"0"`, `"1032"` …), or Daraja's error code when the push was rejected. */
  resultCode: string | null;
  /** Daraja's description of the result, or why the payment failed or was given up. */
  resultDesc: string | null;
  /** The raw callback body that settled the payment, for audit. */
  callback: unknown;
  /** What settled the payment: its callback, an STK query, a rejected push, or reconciliation giving up. */
  settledBy: SettledBy | null;
  /** When the record was created (before the push). */
  createdAt: Date;
  /** When the record last changed. */
  updatedAt: Date;
  /** When the payment reached its final status (`completed`, `cancelled`, `failed` or `timeout`). */
  completedAt: Date | null;
  /** When fulfilment (`onCompleted`) finished successfully; set once. */
  fulfilledAt: Date | null;
  /** How many times fulfilment was started. */
  fulfilmentAttempts: number;
  /** The last fulfilment error message, until a fulfilment succeeds. */
  lastFulfilmentError: string | null;
}

/** What {@link PaymentStore.create} needs. The store sets status `pending` and the empty fields. */
export type NewPayment = Pick<
  Payment,
  | 'id'
  | 'ownerId'
  | 'amount'
  | 'phoneNumber'
  | 'accountReference'
  | 'transactionDesc'
  | 'metadata'
  | 'idempotencyKey'
  | 'createdAt'
>;

/** The result of {@link PaymentStore.create}. */
export interface CreateResult {
  /** False when a payment with the same `idempotencyKey` already existed; `payment` is then that one. */
  created: boolean;
  /** The new payment, or the existing one with the same key. */
  payment: Payment;
}

/**
 * A move out of `pending`, applied by {@link PaymentStore.transition} only if the payment is still pending.
 * `merchantRequestId` and `checkoutRequestId` are only set when the payment has none yet (e.g. a callback
 * linked by its URL token).
 */
export type PaymentTransition = Pick<
  Payment,
  'resultCode' | 'resultDesc' | 'mpesaReceiptNumber' | 'merchantRequestId' | 'checkoutRequestId' | 'callback'
> & {
  /** The final status. */
  status: Exclude<PaymentStatus, 'pending'>;
  /** What settles it. */
  settledBy: SettledBy;
  /** When (becomes `completedAt` and `updatedAt`). */
  at: Date;
};

/** The result of {@link PaymentStore.transition}. */
export interface TransitionResult {
  /** True for exactly one caller: the one whose compare-and-set moved the payment out of `pending`. */
  applied: boolean;
  /** The payment after the call (the winner's state when `applied` is false), or `undefined` if unknown. */
  payment: Payment | undefined;
  /**
   * Why it was not applied: `not_pending` (already final), `not_found`, `duplicate_receipt` (the
   * receipt number already belongs to another payment) or `duplicate_checkout` (so does the
   * `CheckoutRequestID`).
   */
  reason?: 'not_pending' | 'not_found' | 'duplicate_receipt' | 'duplicate_checkout';
}

/** What happened to a callback the flow received. */
export type CallbackOutcome =
  /** It settled its payment. */
  | 'applied'
  /** Its payment was already final (a duplicate or a late callback). */
  | 'duplicate'
  /** It failed a check (token, address, amount, phone, conflicting ids) and changed nothing. */
  | 'rejected'
  /** It could not be parsed and changed nothing. */
  | 'invalid'
  /** It matched no payment. */
  | 'unmatched'
  /** It was valid, but an STK query did not confirm it (yet); the payment stays pending. */
  | 'unconfirmed';

/** An audit record of one received callback. Every callback is kept, whatever its outcome. */
export interface CallbackEvent {
  /** Our id (`cbe_…`). */
  id: string;
  /** When it arrived. */
  receivedAt: Date;
  /** What the flow did with it. */
  outcome: CallbackOutcome;
  /** Why, for anything but `applied`: e.g. `bad_token`, `ip_not_allowed`, `amount_mismatch`. */
  reason: string | null;
  /** The payment it was linked to, if any. */
  paymentId: string | null;
  /** The `CheckoutRequestID` it carried, if readable. */
  checkoutRequestId: string | null;
  /** The sender's address as the flow determined it. */
  remoteAddress: string | null;
  /** The body as received (parsed JSON when possible, else the text). */
  body: unknown;
}

/**
 * Where payments live. A small interface of **atomic** operations, so that duplicate callbacks, racing
 * status checks and several app instances on one database can never settle a payment twice or run its
 * fulfilment twice.
 *
 * Ship-ready implementations: `MemoryPaymentStore` (this package) and `PostgresPaymentStore`
 * (`daraja-sdk/postgres`). To write your own, implement each method atomically (a single conditional
 * `UPDATE … WHERE …` in SQL, a transaction, or a compare-and-set) and run the conformance suite from
 * `daraja-sdk/testing`. Records are never deleted.
 */
export interface PaymentStore {
  /**
   * Insert a new `pending` payment. If `idempotencyKey` is set and a payment with that key exists,
   * return it with `created: false` instead. Ids are unique.
   */
  create(payment: NewPayment): Promise<CreateResult>;
  /** The payment with this id. */
  get(id: string): Promise<Payment | undefined>;
  /** The payment with this `CheckoutRequestID`. */
  getByCheckoutRequestId(checkoutRequestId: string): Promise<Payment | undefined>;
  /**
   * Record the push answer's ids if the payment has none yet (any status). Returns the payment after
   * the call. Never overwrites existing ids; a `checkoutRequestId` is unique across payments.
   */
  attachCheckout(
    id: string,
    ids: { merchantRequestId: string; checkoutRequestId: string },
    at: Date,
  ): Promise<Payment | undefined>;
  /**
   * Compare-and-set out of `pending`: apply `transition` only if the payment is still `pending`. Of any
   * number of concurrent calls for one payment, exactly one gets `applied: true`. A terminal status is
   * never overwritten. Receipt numbers are unique across payments.
   */
  transition(id: string, transition: PaymentTransition): Promise<TransitionResult>;
  /**
   * Claim the right to run fulfilment for a `completed`, unfulfilled payment until `leaseUntil`. Returns
   * the payment if this call got the claim (no other unexpired claim exists), else `undefined`.
   * Counts the attempt.
   */
  claimFulfilment(id: string, now: Date, leaseUntil: Date): Promise<Payment | undefined>;
  /** Mark fulfilment done. Sets `fulfilledAt` once: returns false if it was already set. */
  completeFulfilment(id: string, at: Date): Promise<boolean>;
  /** Give up a fulfilment claim after a failure; the payment is claimable again from `retryAt`. */
  releaseFulfilment(id: string, error: string, retryAt: Date): Promise<void>;
  /**
   * Claim up to `limit` `pending` payments created at or before `createdBefore` that are due for a
   * status check (never checked, or their next check is at or before `now`), and set their next check
   * to `nextCheckAt`. Concurrent callers never get the same payment.
   */
  claimDuePending(options: {
    createdBefore: Date;
    now: Date;
    nextCheckAt: Date;
    limit: number;
  }): Promise<Payment[]>;
  /**
   * Claim up to `limit` `completed`, unfulfilled payments whose fulfilment is not claimed (or whose claim
   * expired) until `leaseUntil`, counting an attempt on each. Concurrent callers never get the same one.
   */
  claimDueFulfilments(options: { now: Date; leaseUntil: Date; limit: number }): Promise<Payment[]>;
  /** Keep a received callback for audit, whatever its outcome (including unmatched and invalid ones). */
  recordCallback(event: CallbackEvent): Promise<void>;
  /** Received callbacks, oldest first, optionally only those linked to one payment. */
  listCallbacks(filter?: { paymentId?: string; limit?: number }): Promise<CallbackEvent[]>;
}
