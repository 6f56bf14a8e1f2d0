import type { CallbackEvent, FulfilmentClaim, NewPayment, Payment } from '../payments/types.js';

/** One BSON document as the driver returns it, keyed by field name. */
export type Doc = Record<string, unknown>;

/**
 * A value for an update pipeline, taken as itself: inside a pipeline a string starting with `$` would be
 * read as a field path and an object as an expression, so every value that comes from the app or from
 * Daraja is wrapped.
 */
export const lit = (value: unknown): { $literal: unknown } => ({ $literal: value });

/** A JSON value as stored text (like the PostgreSQL store's columns); `null` and `undefined` stay `null`. */
export const toJsonText = (v: unknown): string | null =>
  v === null || v === undefined ? null : JSON.stringify(v);

/** Stored JSON text as its value, or the text itself when it is not JSON. */
function fromJsonText(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? null;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const date = (v: unknown): Date | null =>
  v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v));

/**
 * The fields of a new payment document (besides `_id`), as pipeline values. The times are set by the
 * caller with `$$NOW`. JSON fields (`metadata`, `callback`) are stored as JSON text, so that no key of your
 * metadata or of Daraja's body can be read as a MongoDB operator or a dotted path.
 */
export function newPaymentFields(p: NewPayment): Doc {
  return {
    ownerId: lit(p.ownerId),
    amount: lit(p.amount),
    phoneNumber: lit(p.phoneNumber),
    accountReference: lit(p.accountReference),
    transactionDesc: lit(p.transactionDesc),
    metadata: lit(toJsonText(p.metadata)),
    idempotencyKey: lit(p.idempotencyKey),
    status: lit('pending'),
    final: lit(false),
    correctedFrom: lit(null),
    merchantRequestId: lit(null),
    checkoutRequestId: lit(null),
    mpesaReceiptNumber: lit(null),
    resultCode: lit(null),
    resultDesc: lit(null),
    callback: lit(null),
    settledBy: lit(null),
    statusChecks: lit(0),
    completedAt: lit(null),
    fulfilledAt: lit(null),
    fulfilmentAttempts: lit(0),
    lastFulfilmentError: lit(null),
    fulfilmentLeaseUntil: lit(null),
    fulfilmentClaim: lit(0),
  };
}

/** A `payments` document as a {@link Payment}. */
export function toPayment(d: Doc): Payment {
  const metadata = fromJsonText(d['metadata']);
  return {
    id: String(d['_id']),
    ownerId: String(d['ownerId']),
    amount: Number(d['amount']),
    phoneNumber: String(d['phoneNumber']),
    accountReference: String(d['accountReference']),
    transactionDesc: String(d['transactionDesc']),
    metadata: (metadata !== null && typeof metadata === 'object' ? metadata : {}) as Record<string, unknown>,
    idempotencyKey: str(d['idempotencyKey']),
    status: d['status'] as Payment['status'],
    final: d['final'] === true,
    correctedFrom: (str(d['correctedFrom']) as Payment['correctedFrom']) ?? null,
    merchantRequestId: str(d['merchantRequestId']),
    checkoutRequestId: str(d['checkoutRequestId']),
    mpesaReceiptNumber: str(d['mpesaReceiptNumber']),
    resultCode: str(d['resultCode']),
    resultDesc: str(d['resultDesc']),
    callback: fromJsonText(d['callback']),
    settledBy: (str(d['settledBy']) as Payment['settledBy']) ?? null,
    statusChecks: Number(d['statusChecks'] ?? 0),
    createdAt: date(d['createdAt'])!,
    updatedAt: date(d['updatedAt'])!,
    completedAt: date(d['completedAt']),
    fulfilledAt: date(d['fulfilledAt']),
    fulfilmentAttempts: Number(d['fulfilmentAttempts'] ?? 0),
    lastFulfilmentError: str(d['lastFulfilmentError']),
  };
}

/** A claimed `payments` document as a {@link FulfilmentClaim}: the payment and its fencing token. */
export function toClaim(d: Doc): FulfilmentClaim {
  return { payment: toPayment(d), token: String(Number(d['fulfilmentClaim'] ?? 0)) };
}

/** The fencing token of a claim as the number it stands for; a malformed token matches no claim (`-1`). */
export function fencingToken(token: string): number {
  return /^\d{1,15}$/.test(token) ? Number(token) : -1;
}

/** A {@link CallbackEvent} as a `callback_events` document, keyed by the event id (idempotent inserts). */
export function eventDocument(e: CallbackEvent): Doc {
  return {
    _id: e.id,
    receivedAt: e.receivedAt,
    outcome: e.outcome,
    reason: e.reason,
    paymentId: e.paymentId,
    checkoutRequestId: e.checkoutRequestId,
    remoteAddress: e.remoteAddress,
    body: toJsonText(e.body),
    bodyBytes: e.bodyBytes,
    bodySha256: e.bodySha256,
  };
}

/** A `callback_events` document as a {@link CallbackEvent}. */
export function toEvent(d: Doc): CallbackEvent {
  return {
    id: String(d['_id']),
    receivedAt: date(d['receivedAt'])!,
    outcome: d['outcome'] as CallbackEvent['outcome'],
    reason: str(d['reason']),
    paymentId: str(d['paymentId']),
    checkoutRequestId: str(d['checkoutRequestId']),
    remoteAddress: str(d['remoteAddress']),
    body: fromJsonText(d['body']),
    bodyBytes: d['bodyBytes'] === null || d['bodyBytes'] === undefined ? null : Number(d['bodyBytes']),
    bodySha256: str(d['bodySha256']),
  };
}
