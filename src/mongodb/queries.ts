/**
 * The filters and update pipelines of `MongoPaymentStore`, one pure builder each, so that unit tests can
 * assert them without a server. Every write is one `findOneAndUpdate` on one document (atomic in
 * MongoDB), whose filter holds the state it expects (compare-and-set). Every time that matters is the
 * server's `$$NOW` (MongoDB 4.2 or later): leases and due times are written with it in update
 * pipelines and compared with it in `$expr`, never with this process's clock.
 *
 * @module
 */
import type { NewPayment, PaymentTransition } from '../payments/types.js';
import { type Doc, lit, newPaymentFields, toJsonText } from './documents.js';

/** One compare-and-set: the filter (with the expected state) and the update pipeline. */
export interface Write {
  /** Which document, in which state. */
  filter: Doc;
  /** The update pipeline (stages see the document as the previous stage left it). */
  update: Doc[];
}

/** Whether a nullable date field is at or before the server's clock (an unset field counts as due). */
export const dueByServerClock = (field: string): Doc => ({
  $lte: [{ $ifNull: [`$${field}`, new Date(0)] }, '$$NOW'],
});

/** The server's clock plus `ms` milliseconds. */
const nowPlus = (ms: number): Doc => ({ $add: ['$$NOW', lit(ms)] });

/** Keep the field's value when it has one, else take `value`. */
const keep = (field: string, value: unknown): Doc => ({ $ifNull: [`$${field}`, lit(value)] });

/**
 * Insert a pending payment (an upsert that can only insert: no document with this `_id` and a `status`
 * exists). Its times, and the first due check (`nextCheckAt`), are the server's clock.
 */
export function createPayment(p: NewPayment): Write {
  return {
    filter: { _id: p.id, status: { $exists: false } },
    update: [
      {
        $set: {
          ...newPaymentFields(p),
          createdAt: '$$NOW',
          updatedAt: '$$NOW',
          nextCheckAt: '$$NOW',
        },
      },
    ],
  };
}

/** Record the push answer's ids, only while the payment has no `CheckoutRequestID`. */
export function attachCheckout(
  id: string,
  ids: { merchantRequestId: string; checkoutRequestId: string },
): Write {
  return {
    filter: { _id: id, checkoutRequestId: null },
    update: [
      {
        $set: {
          checkoutRequestId: lit(ids.checkoutRequestId),
          merchantRequestId: keep('merchantRequestId', ids.merchantRequestId),
          updatedAt: '$$NOW',
        },
      },
    ],
  };
}

/**
 * The statuses a transition may replace: `pending`, and (for a final `completed` only) a status the
 * flow reached on its own (`final: false`) that is not `completed`.
 */
export function transitionable(t: Pick<PaymentTransition, 'status' | 'final'>): Doc {
  const alternatives: Doc[] = [{ status: 'pending' }];
  if (t.status === 'completed' && t.final) alternatives.push({ final: false, status: { $ne: 'completed' } });
  return { $or: alternatives };
}

/**
 * The `$set` of a transition: its fields, the ids only where unset, `correctedFrom` the replaced status
 * (a give-up) or `null`, and, for `completed`, the fulfilment due now (`fulfilmentLeaseUntil`, which
 * orders the due fulfilments, holds `completedAt` until a claim takes a lease).
 */
export function transitionFields(t: PaymentTransition): Doc {
  return {
    status: lit(t.status),
    resultCode: lit(t.resultCode),
    resultDesc: lit(t.resultDesc),
    mpesaReceiptNumber: lit(t.mpesaReceiptNumber),
    merchantRequestId: keep('merchantRequestId', t.merchantRequestId),
    checkoutRequestId: keep('checkoutRequestId', t.checkoutRequestId),
    callback: lit(toJsonText(t.callback)),
    settledBy: lit(t.settledBy),
    final: lit(t.final),
    correctedFrom: { $cond: [{ $eq: ['$status', 'pending'] }, null, '$status'] },
    completedAt: '$$NOW',
    updatedAt: '$$NOW',
    ...(t.status === 'completed'
      ? { fulfilmentLeaseUntil: { $ifNull: ['$fulfilmentLeaseUntil', '$$NOW'] } }
      : {}),
  };
}

/** Compare-and-set out of `pending` (or the one allowed correction of a give-up). */
export function transition(id: string, t: PaymentTransition): Write {
  return { filter: { _id: id, ...transitionable(t) }, update: [{ $set: transitionFields(t) }] };
}

/** A receipt for a `completed` payment that has none; the callback and ids only where unset. */
export function attachReceipt(
  id: string,
  e: {
    mpesaReceiptNumber: string;
    callback: unknown;
    merchantRequestId: string | null;
    checkoutRequestId: string | null;
  },
): Write {
  return {
    filter: { _id: id, status: 'completed', mpesaReceiptNumber: null },
    update: [
      {
        $set: {
          mpesaReceiptNumber: lit(e.mpesaReceiptNumber),
          callback: keep('callback', toJsonText(e.callback)),
          merchantRequestId: keep('merchantRequestId', e.merchantRequestId),
          checkoutRequestId: keep('checkoutRequestId', e.checkoutRequestId),
          updatedAt: '$$NOW',
        },
      },
    ],
  };
}

/** What makes a payment's fulfilment claimable: completed, unfulfilled, under the cap, lease expired. */
export function claimable(maxAttempts: number | undefined): Doc {
  return {
    status: 'completed',
    fulfilledAt: null,
    ...(maxAttempts === undefined ? {} : { fulfilmentAttempts: { $lt: maxAttempts } }),
    $expr: dueByServerClock('fulfilmentLeaseUntil'),
  };
}

/** Take the fulfilment lease: a new fencing token (`fulfilmentClaim + 1`), one more attempt. */
export const claimUpdate = (leaseMs: number): Doc[] => [
  {
    $set: {
      fulfilmentLeaseUntil: nowPlus(leaseMs),
      fulfilmentAttempts: { $add: ['$fulfilmentAttempts', 1] },
      fulfilmentClaim: { $add: ['$fulfilmentClaim', 1] },
      updatedAt: '$$NOW',
    },
  },
];

/** Claim one payment's fulfilment. */
export function claimFulfilment(id: string, leaseMs: number, maxAttempts: number | undefined): Write {
  return { filter: { _id: id, ...claimable(maxAttempts) }, update: claimUpdate(leaseMs) };
}

/** The current holder of the claim, before fulfilment is done. */
const holder = (id: string, token: number): Doc => ({ _id: id, fulfilmentClaim: token, fulfilledAt: null });

/** Extend the holder's lease. */
export function renewFulfilment(id: string, token: number, leaseMs: number): Write {
  return { filter: holder(id, token), update: [{ $set: { fulfilmentLeaseUntil: nowPlus(leaseMs) } }] };
}

/** Mark fulfilment done, once, by the holder. */
export function completeFulfilment(id: string, token: number): Write {
  return {
    filter: holder(id, token),
    update: [
      {
        $set: {
          fulfilledAt: '$$NOW',
          fulfilmentLeaseUntil: null,
          lastFulfilmentError: null,
          updatedAt: '$$NOW',
        },
      },
    ],
  };
}

/** Give up the holder's claim: keep the error, claimable again after `retryAfterMs`. */
export function releaseFulfilment(id: string, token: number, error: string, retryAfterMs: number): Write {
  return {
    filter: holder(id, token),
    update: [{ $set: { fulfilmentLeaseUntil: nowPlus(retryAfterMs), lastFulfilmentError: lit(error) } }],
  };
}

/**
 * Claim the most overdue pending payment due for a status check (not one of `taken`): at least
 * `olderThanMs` old and `nextCheckAt` passed, by the server's clock. Sets the next check to
 * `min(recheckMs · 2^statusChecks, maxRecheckMs)` from now, counts the check, and keeps the claim's
 * clock (`checkClaimedAt`) and the due time it replaced (`checkDueAt`). Sort: `{ nextCheckAt: 1 }`.
 */
export function claimDuePending(
  o: { olderThanMs: number; recheckMs: number; maxRecheckMs: number },
  taken: readonly string[],
): Write {
  const backoff = {
    $min: [
      { $multiply: [lit(o.recheckMs), { $pow: [2, { $min: ['$statusChecks', 40] }] }] },
      lit(o.maxRecheckMs),
    ],
  };
  return {
    filter: {
      status: 'pending',
      ...(taken.length > 0 ? { _id: { $nin: [...taken] } } : {}),
      $expr: {
        $and: [
          { $lte: ['$createdAt', { $subtract: ['$$NOW', lit(o.olderThanMs)] }] },
          dueByServerClock('nextCheckAt'),
        ],
      },
    },
    update: [
      {
        $set: {
          checkDueAt: '$nextCheckAt',
          checkClaimedAt: '$$NOW',
          nextCheckAt: { $add: ['$$NOW', backoff] },
          statusChecks: { $add: ['$statusChecks', 1] },
        },
      },
    ],
  };
}

/**
 * Claim the longest-waiting due fulfilment (not one of `taken`), as {@link claimFulfilment} does, with
 * the attempt cap. Sort: `{ fulfilmentLeaseUntil: 1 }` (the completion time until a lease was taken).
 */
export function claimDueFulfilment(leaseMs: number, maxAttempts: number, taken: readonly string[]): Write {
  return {
    filter: { ...claimable(maxAttempts), ...(taken.length > 0 ? { _id: { $nin: [...taken] } } : {}) },
    update: claimUpdate(leaseMs),
  };
}

/** Callbacks rejected before authentication (no payment, no body), older than `olderThanMs` (server clock). */
export function prunableRejections(olderThanMs: number): Doc {
  return {
    outcome: 'rejected',
    paymentId: null,
    body: null,
    $expr: { $lt: ['$receivedAt', { $subtract: ['$$NOW', lit(olderThanMs)] }] },
  };
}
