import type { CallbackEvent, FulfilmentClaim, Payment } from '../payments/types.js';

/** One row of a query result, keyed by column name. */
export type Row = Record<string, unknown>;

/**
 * A `DATETIME(3)` column, selected as text (`CAST(… AS CHAR)`: `2026-05-01 12:00:00.123`, UTC), as a
 * `Date`; `null` stays `null`. Read as text so the pool's `timezone` and `dateStrings` settings cannot
 * shift it.
 */
export const toDate = (v: unknown): Date | null => {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  return new Date(`${String(v).replace(' ', 'T')}Z`);
};

/** A time as a `DATETIME(3)` parameter in UTC (`YYYY-MM-DD HH:MM:SS.mmm`). */
export const toDateTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

/** A JSON value kept as text: its value, or the text itself when it is not JSON. */
const fromJsonText = (v: unknown): unknown => {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
};

/** A JSON value as the text parameter of a JSON column; `null` and `undefined` become SQL `NULL`. */
export const toJsonText = (v: unknown): string | null =>
  v === null || v === undefined ? null : JSON.stringify(v);

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** A `daraja_payments` row (selected with `PAYMENT_COLUMNS` of `sql.ts`) as a {@link Payment}. */
export function toPayment(r: Row): Payment {
  return {
    id: String(r['id']),
    ownerId: String(r['owner_id']),
    amount: Number(r['amount']),
    phoneNumber: String(r['phone_number']),
    accountReference: String(r['account_reference']),
    transactionDesc: String(r['transaction_desc']),
    metadata: fromJsonText(r['metadata']) as Record<string, unknown>,
    idempotencyKey: text(r['idempotency_key']),
    status: r['status'] as Payment['status'],
    final: Number(r['final']) === 1,
    correctedFrom: text(r['corrected_from']) as Payment['correctedFrom'],
    merchantRequestId: text(r['merchant_request_id']),
    checkoutRequestId: text(r['checkout_request_id']),
    mpesaReceiptNumber: text(r['mpesa_receipt_number']),
    resultCode: text(r['result_code']),
    resultDesc: text(r['result_desc']),
    callback: fromJsonText(r['callback']),
    settledBy: text(r['settled_by']) as Payment['settledBy'],
    statusChecks: Number(r['status_checks'] ?? 0),
    createdAt: toDate(r['created_at'])!,
    updatedAt: toDate(r['updated_at'])!,
    completedAt: toDate(r['completed_at']),
    fulfilledAt: toDate(r['fulfilled_at']),
    fulfilmentAttempts: Number(r['fulfilment_attempts'] ?? 0),
    lastFulfilmentError: text(r['last_fulfilment_error']),
  };
}

/** A claimed `daraja_payments` row as a {@link FulfilmentClaim}: the payment and its fencing token. */
export function toClaim(r: Row): FulfilmentClaim {
  return { payment: toPayment(r), token: String(r['fulfilment_claim']) };
}

/** A `daraja_callback_events` row (selected with `EVENT_COLUMNS`) as a {@link CallbackEvent}. */
export function toEvent(r: Row): CallbackEvent {
  return {
    id: String(r['id']),
    receivedAt: toDate(r['received_at'])!,
    outcome: r['outcome'] as CallbackEvent['outcome'],
    reason: text(r['reason']),
    paymentId: text(r['payment_id']),
    checkoutRequestId: text(r['checkout_request_id']),
    remoteAddress: text(r['remote_address']),
    body: fromJsonText(r['body']),
    bodyBytes: r['body_bytes'] === null || r['body_bytes'] === undefined ? null : Number(r['body_bytes']),
    bodySha256: text(r['body_sha256']),
  };
}

/** The fencing token of a claim, as the integer it stands for (a malformed token matches no claim). */
export function fencingToken(token: string): string {
  return /^\d{1,18}$/.test(token) ? token : '-1';
}

/** A duration in whole milliseconds, never negative (a `TIMESTAMPADD` parameter). */
export const ms = (n: number): number => Math.max(0, Math.round(n));
