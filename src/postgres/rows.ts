import type { CallbackEvent, FulfilmentClaim, Payment } from '../payments/types.js';

/** One row of a query result, keyed by column name. */
export type Row = Record<string, unknown>;

/** A `timestamptz` column as a `Date` (`pg` gives a `Date`, PGlite may give text); `null` stays `null`. */
export const toDate = (v: unknown): Date | null =>
  v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v));

/** A JSON column stored as text: its value, or the text itself when it is not JSON. */
const fromJsonText = (v: unknown): unknown => {
  if (v === null || v === undefined) return null;
  try {
    return JSON.parse(String(v)) as unknown;
  } catch {
    return String(v);
  }
};

/** A JSON value as the text parameter of a JSON column; `null` and `undefined` become SQL `NULL`. */
export const toJsonText = (v: unknown): string | null =>
  v === null || v === undefined ? null : JSON.stringify(v);

/** A `daraja_payments` row as a {@link Payment}. */
export function toPayment(r: Row): Payment {
  return {
    id: String(r['id']),
    ownerId: String(r['owner_id']),
    amount: Number(r['amount']),
    phoneNumber: String(r['phone_number']),
    accountReference: String(r['account_reference']),
    transactionDesc: String(r['transaction_desc']),
    metadata: (typeof r['metadata'] === 'string' ? JSON.parse(r['metadata']) : r['metadata']) as Record<
      string,
      unknown
    >,
    idempotencyKey: (r['idempotency_key'] as string | null) ?? null,
    status: r['status'] as Payment['status'],
    final: r['final'] === true || r['final'] === 't',
    correctedFrom: (r['corrected_from'] as Payment['correctedFrom']) ?? null,
    merchantRequestId: (r['merchant_request_id'] as string | null) ?? null,
    checkoutRequestId: (r['checkout_request_id'] as string | null) ?? null,
    mpesaReceiptNumber: (r['mpesa_receipt_number'] as string | null) ?? null,
    resultCode: (r['result_code'] as string | null) ?? null,
    resultDesc: (r['result_desc'] as string | null) ?? null,
    callback: fromJsonText(r['callback']),
    settledBy: (r['settled_by'] as Payment['settledBy']) ?? null,
    statusChecks: Number(r['status_checks'] ?? 0),
    createdAt: toDate(r['created_at'])!,
    updatedAt: toDate(r['updated_at'])!,
    completedAt: toDate(r['completed_at']),
    fulfilledAt: toDate(r['fulfilled_at']),
    fulfilmentAttempts: Number(r['fulfilment_attempts'] ?? 0),
    lastFulfilmentError: (r['last_fulfilment_error'] as string | null) ?? null,
  };
}

/** A claimed `daraja_payments` row as a {@link FulfilmentClaim}: the payment and its fencing token. */
export function toClaim(r: Row): FulfilmentClaim {
  return { payment: toPayment(r), token: String(r['fulfilment_claim']) };
}

/** A `daraja_callback_events` row as a {@link CallbackEvent}. */
export function toEvent(r: Row): CallbackEvent {
  return {
    id: String(r['id']),
    receivedAt: toDate(r['received_at'])!,
    outcome: r['outcome'] as CallbackEvent['outcome'],
    reason: (r['reason'] as string | null) ?? null,
    paymentId: (r['payment_id'] as string | null) ?? null,
    checkoutRequestId: (r['checkout_request_id'] as string | null) ?? null,
    remoteAddress: (r['remote_address'] as string | null) ?? null,
    body: fromJsonText(r['body']),
    bodyBytes: r['body_bytes'] === null || r['body_bytes'] === undefined ? null : Number(r['body_bytes']),
    bodySha256: (r['body_sha256'] as string | null) ?? null,
  };
}

/** The fencing token of a claim, as the integer it stands for (a malformed token matches no claim). */
export function fencingToken(token: string): string {
  return /^\d{1,18}$/.test(token) ? token : '-1';
}
