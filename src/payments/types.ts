import type { PaymentStatus } from '../core/payment-status.js';
import type { CallbackSettlement, CallbackSettlementResult } from './settlement.js';

export type { CallbackSettlement, CallbackSettlementResult } from './settlement.js';

/**
 * How a payment reached its status:
 *
 * - `callback`: its STK callback (Daraja's word).
 * - `query`: an STK query answering a final result code (Daraja's word), from `checkStatus`.
 * - `reconcile`: the same, from `reconcile`.
 * - `push`: Daraja rejected the push, or it provably never left (Daraja's word, or no prompt at all).
 * - `give-up`: the flow gave up waiting (no final answer within the horizon). Not Daraja's word: the
 *   payment stays correctable by a verified success (see {@link Payment.final}).
 */
export type SettledBy = 'callback' | 'query' | 'push' | 'reconcile' | 'give-up';

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
  /** `pending` until a result is known. See {@link Payment.final} for which results can still change. */
  status: PaymentStatus;
  /**
   * True once Daraja's own answer settled the payment (its callback, an STK query answering a final
   * code, a rejected push): the status never changes again. False while `pending`, and for a status the
   * flow reached on its own (`settledBy: 'give-up'`), which a verified success (a token-checked callback
   * with `ResultCode 0` and the right amount, or an STK query answering `0`) still corrects to
   * `completed`.
   */
  final: boolean;
  /**
   * The status a verified success corrected (`timeout` after a give-up), or `null`. When set, the
   * customer may have been told the payment failed: tell them it went through.
   */
  correctedFrom: PaymentStatus | null;
  /** Daraja's `MerchantRequestID`, once known. */
  merchantRequestId: string | null;
  /** Daraja's `CheckoutRequestID`, once known (from the push answer or a linked callback). */
  checkoutRequestId: string | null;
  /**
   * The M-Pesa receipt of a completed payment, unique across payments. `null` until a callback carried
   * it: a payment completed by an STK query gets it when its callback arrives (or was kept earlier).
   */
  mpesaReceiptNumber: string | null;
  /** The result code (`"0"`, `"1032"` …), or Daraja's error code when the push was rejected. */
  resultCode: string | null;
  /** Daraja's description of the result, or why the payment failed or was given up. */
  resultDesc: string | null;
  /** The raw callback body that settled (or enriched) the payment, for audit. */
  callback: unknown;
  /** What settled the payment. */
  settledBy: SettledBy | null;
  /** How many times `reconcile` has claimed the payment for a status query (drives its backoff). */
  statusChecks: number;
  /** When the record was created (before the push), by the store's clock. */
  createdAt: Date;
  /** When the record last changed, by the store's clock. */
  updatedAt: Date;
  /** When the payment left `pending` (or was corrected), by the store's clock. */
  completedAt: Date | null;
  /** When fulfilment (`onCompleted`) finished successfully; set once. */
  fulfilledAt: Date | null;
  /** How many times fulfilment was started (claimed). */
  fulfilmentAttempts: number;
  /** The last fulfilment error message, until a fulfilment succeeds. */
  lastFulfilmentError: string | null;
}

/** What {@link PaymentStore.create} needs. The store sets status `pending`, the timestamps and the empty fields. */
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
>;

/** The result of {@link PaymentStore.create}. */
export interface CreateResult {
  /** False when a payment with the same `idempotencyKey` already existed; `payment` is then that one. */
  created: boolean;
  /** The new payment, or the existing one with the same key. */
  payment: Payment;
}

/**
 * A move out of `pending`, applied by {@link PaymentStore.transition}. `merchantRequestId` and
 * `checkoutRequestId` are only set when the payment has none yet (e.g. a callback linked by its URL
 * token).
 */
export type PaymentTransition = Pick<
  Payment,
  'resultCode' | 'resultDesc' | 'mpesaReceiptNumber' | 'merchantRequestId' | 'checkoutRequestId' | 'callback'
> & {
  /** The new status. */
  status: Exclude<PaymentStatus, 'pending'>;
  /** What settles it. */
  settledBy: SettledBy;
  /**
   * Whether this is Daraja's word (a callback, a final query answer, a rejected push). A non-final
   * transition (a give-up) can later be corrected by a final `completed` one.
   */
  final: boolean;
};

/** The result of {@link PaymentStore.transition}. */
export interface TransitionResult {
  /** True for exactly one caller: the one whose compare-and-set moved the payment. */
  applied: boolean;
  /**
   * The payment after the call (the current state when `applied` is false), or `undefined` if unknown.
   * When `applied` and `payment.correctedFrom` is set, this call corrected a give-up: a late success.
   */
  payment: Payment | undefined;
  /**
   * Why it was not applied: `not_pending` (already settled for good, or a non-final status that only a
   * final `completed` may correct), `not_found`, `duplicate_receipt` (the receipt number already belongs
   * to another payment) or `duplicate_checkout` (so does the `CheckoutRequestID`).
   */
  reason?: 'not_pending' | 'not_found' | 'duplicate_receipt' | 'duplicate_checkout';
}

/** What {@link PaymentStore.attachReceipt} records. */
export interface ReceiptEnrichment {
  /** The M-Pesa receipt number from a verified success callback. */
  mpesaReceiptNumber: string;
  /** The raw callback body, kept if the payment has none yet. */
  callback: unknown;
  /** Set only if the payment has none yet. */
  merchantRequestId: string | null;
  /** Set only if the payment has none yet. */
  checkoutRequestId: string | null;
}

/** The result of {@link PaymentStore.attachReceipt}. */
export interface EnrichmentResult {
  /** True when the receipt was attached by this call. */
  applied: boolean;
  /** The payment after the call, or `undefined` if it does not exist. */
  payment: Payment | undefined;
  /**
   * Why not: `not_completed` (the payment is not `completed`), `has_receipt` (it already has one),
   * `not_found`, or `duplicate_receipt` (the receipt belongs to another payment).
   */
  reason?: 'not_completed' | 'has_receipt' | 'not_found' | 'duplicate_receipt';
}

/**
 * The right to run fulfilment of one payment, until its lease (measured by the store's clock) expires.
 * `token` fences it: only the current holder can renew, complete or release it.
 */
export interface FulfilmentClaim {
  /** The payment, as of the claim. */
  payment: Payment;
  /** Opaque fencing token of this claim; a newer claim makes it stale. */
  token: string;
}

/** What {@link PaymentStore.claimDuePending} returns. */
export interface DuePendingClaim {
  /** The store's clock at the claim: ages (`now - createdAt`) are measured against it. */
  now: Date;
  /** The claimed payments, most overdue first. */
  payments: Payment[];
}

/** What happened to a callback the flow received. */
export type CallbackOutcome =
  /** It settled its payment. */
  | 'applied'
  /**
   * It corrected a payment the flow had given up on (a `timeout` it reached on its own) to `completed`:
   * a late success. The customer may have been told it failed.
   */
  | 'late_success'
  /** Its payment was already `completed` (by an STK query) without a receipt: it attached the receipt. */
  | 'enriched'
  /** Its payment already had this result. */
  | 'duplicate'
  /** It failed a check (token, address, amount, phone, conflicting ids) and changed nothing. */
  | 'rejected'
  /** It could not be parsed and changed nothing. */
  | 'invalid'
  /** It matched no payment. */
  | 'unmatched'
  /**
   * It looked valid but is not (yet) enough on its own: a success awaiting STK query confirmation
   * (`confirmWithQuery`, or a phone number it cannot verify), or a result code that is not final. It is
   * kept; the payment stays pending until a query confirms it, and then gets this callback's receipt.
   */
  | 'unconfirmed'
  /**
   * The store could not take it in time: it is kept in the callback journal and applied when the store is
   * back. Only in {@link CallbackResponse}; the store records the real outcome on replay.
   */
  | 'deferred';

/**
 * An audit record of one received callback. Every callback is kept, whatever its outcome, except that
 * callbacks rejected before authentication keep no body (size, hash and reason only) and are sampled, so
 * a flood cannot fill the disk.
 */
export interface CallbackEvent {
  /** Our id (`cbe_…`). */
  id: string;
  /** When it arrived (the receiving app's clock). */
  receivedAt: Date;
  /** What the flow did with it. */
  outcome: Exclude<CallbackOutcome, 'deferred'>;
  /** Why, for anything but `applied`: e.g. `bad_token`, `ip_not_allowed`, `amount_mismatch`. */
  reason: string | null;
  /** The payment it was linked to, if any. */
  paymentId: string | null;
  /** The `CheckoutRequestID` it carried, if readable. */
  checkoutRequestId: string | null;
  /** The sender's address as the flow determined it. */
  remoteAddress: string | null;
  /**
   * The body as received (parsed JSON when possible, else the text, capped at 64 kB), or `null` for a
   * callback rejected before authentication.
   */
  body: unknown;
  /** The body's size in bytes (UTF-8) as received. */
  bodyBytes: number | null;
  /** SHA-256 of the body as received (hex), to tell repeated junk apart without keeping it. */
  bodySha256: string | null;
}

/**
 * Where payments live. A small interface of **atomic** operations, so that duplicate callbacks, racing
 * status checks and several app instances on one database can never settle a payment twice or run its
 * fulfilment twice.
 *
 * Times that matter across instances (leases, claims, ages) come from the **store's clock** (`now()` in
 * PostgreSQL), never the app's: an instance whose clock is wrong cannot steal a lease. Durations are
 * passed in milliseconds.
 *
 * Ship-ready implementations: `MemoryPaymentStore` (this package) and `PostgresPaymentStore`
 * (`daraja-sdk/postgres`). To write your own, implement each method atomically (a single conditional
 * `UPDATE … WHERE …` in SQL, a transaction, or a compare-and-set) and run the conformance suite from
 * `daraja-sdk/testing`. Payment records are never deleted.
 */
export interface PaymentStore {
  /**
   * Insert a new `pending` payment, stamped with the store's clock. If `idempotencyKey` is set and a
   * payment with that key exists, return it with `created: false` instead. Ids are unique.
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
  ): Promise<Payment | undefined>;
  /**
   * Compare-and-set. Applies `transition` only if the payment is `pending`, or if the transition is a
   * final `completed` and the payment's status is not final (a give-up): then `correctedFrom` records
   * the status it replaced. Of any number of concurrent calls for one payment, exactly one gets
   * `applied: true`. A final status is never overwritten. Receipt numbers are unique across payments.
   */
  transition(id: string, transition: PaymentTransition): Promise<TransitionResult>;
  /**
   * Attach a receipt (and the callback body, if none) to a `completed` payment that has no receipt yet.
   * Changes nothing else.
   */
  attachReceipt(id: string, enrichment: ReceiptEnrichment): Promise<EnrichmentResult>;
  /**
   * Claim the right to run fulfilment of a `completed`, unfulfilled payment for `leaseMs` (store clock).
   * Returns the claim if this call got it (no other unexpired claim exists and, when `maxAttempts` is
   * given, fewer attempts were made), else `undefined`. Counts the attempt and makes every earlier claim
   * stale.
   */
  claimFulfilment(
    id: string,
    options: { leaseMs: number; maxAttempts?: number },
  ): Promise<FulfilmentClaim | undefined>;
  /** Extend a claim's lease to `leaseMs` from now. False when the claim is stale or the payment fulfilled. */
  renewFulfilment(id: string, token: string, leaseMs: number): Promise<boolean>;
  /**
   * Mark fulfilment done, only for the current claim's holder. Sets `fulfilledAt` once: false when it
   * was already set or `token` is stale.
   */
  completeFulfilment(id: string, token: string): Promise<boolean>;
  /**
   * Give up a claim after a failure, only for its holder: keep the error, and make the payment claimable
   * again after `retryAfterMs`. False when `token` is stale (nothing changes).
   */
  releaseFulfilment(
    id: string,
    token: string,
    failure: { error: string; retryAfterMs: number },
  ): Promise<boolean>;
  /**
   * Claim up to `limit` `pending` payments at least `olderThanMs` old that are due for a status check
   * (never checked, or their next check is due), most overdue first, so old payments that stay pending
   * never starve new ones. Each claimed payment's next check is set to
   * `min(recheckMs · 2^statusChecks, maxRecheckMs)` from now, and `statusChecks` counts it. Concurrent
   * callers never get the same payment.
   */
  claimDuePending(options: {
    olderThanMs: number;
    limit: number;
    recheckMs: number;
    maxRecheckMs: number;
  }): Promise<DuePendingClaim>;
  /**
   * Claim up to `limit` `completed`, unfulfilled payments with fewer than `maxAttempts` attempts whose
   * fulfilment is not claimed (or whose claim expired), most overdue first, for `leaseMs` each, counting
   * an attempt on each. Concurrent callers never get the same one.
   */
  claimDueFulfilments(options: {
    leaseMs: number;
    limit: number;
    maxAttempts: number;
  }): Promise<FulfilmentClaim[]>;
  /**
   * Keep a received callback for audit, whatever its outcome (including unmatched and invalid ones).
   * Idempotent by `event.id`: recording an id again (a journal replay) keeps the first record.
   */
  recordCallback(event: CallbackEvent): Promise<void>;
  /** Received callbacks, oldest first, optionally only those linked to one payment. */
  listCallbacks(filter?: { paymentId?: string; limit?: number }): Promise<CallbackEvent[]>;
  /**
   * Delete the audit rows of callbacks rejected before authentication (outcome `rejected`, no payment,
   * no body) received more than `olderThanMs` ago (store clock). Payment records and every other
   * callback event are kept. Returns how many rows were deleted.
   */
  pruneRejectedCallbacks(options: { olderThanMs: number }): Promise<number>;
  /**
   * Optional: settle one final callback in one atomic step (one round trip for a database): find the
   * payment; if it passes `expect`, apply `transition` exactly as {@link PaymentStore.transition} would,
   * claim the fulfilment as {@link PaymentStore.claimFulfilment} would when the payment is now
   * `completed`, and record `event` as {@link PaymentStore.recordCallback} would, with its outcome; or
   * record a duplicate of the payment's result; or write nothing (see {@link CallbackSettlementResult}).
   * The flow uses it when present and otherwise calls the methods above one by one, with the same
   * outcomes; the conformance suite checks that both paths store the same state.
   */
  settleCallback?(settlement: CallbackSettlement): Promise<CallbackSettlementResult>;
}
