// The row mapping of the two SQL stores (`postgres/rows.ts`, `mysql/rows.ts`), written once: both keep
// the same snake_case tables (`daraja_payments`, `daraja_callback_events`), and differ only in how their
// drivers return a column's value, which each passes in as its `SqlReaders`. It sits in payments/, below
// the adapters, because an adapter may not import another (ARCHITECTURE.md, "Layers"). Internal: no
// package entry exports it.
import type { CallbackEvent, FulfilmentClaim, Payment } from './types.js';

/** @internal One row of a query result, keyed by column name. */
export type Row = Record<string, unknown>;

/** @internal How one store's driver returns each kind of column, as the mapping needs it. */
export interface SqlReaders {
  /** A nullable text column (`NULL` as `null`). */
  readonly text: (v: unknown) => string | null;
  /** A time column as a `Date` (`NULL` as `null`). */
  readonly date: (v: unknown) => Date | null;
  /** A boolean column. */
  readonly bool: (v: unknown) => boolean;
  /** The JSON column (`metadata`): its value. */
  readonly json: (v: unknown) => unknown;
  /** A JSON value kept in a text column (`callback`, `body`): its value, or the text when it is not JSON. */
  readonly jsonText: (v: unknown) => unknown;
}

/** @internal A JSON value as the text parameter of a JSON column; `null` and `undefined` become SQL `NULL`. */
export const toJsonText = (v: unknown): string | null =>
  v === null || v === undefined ? null : JSON.stringify(v);

/**
 * @internal A JSON value kept in a text column: its value, or the text itself when it is not JSON; a value
 * the driver already parsed passes through.
 */
export const fromJsonText = (v: unknown): unknown => {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
};

/** @internal The fencing token of a claim, as the integer it stands for (a malformed token matches no claim). */
export function fencingToken(token: string): string {
  return /^\d{1,18}$/.test(token) ? token : '-1';
}

/** @internal The row mapping of a SQL store, reading each column with its driver's `readers`. */
export interface SqlRowMapping {
  /** A `daraja_payments` row as a {@link Payment}. */
  readonly toPayment: (r: Row) => Payment;
  /** A claimed `daraja_payments` row as a {@link FulfilmentClaim}: the payment and its fencing token. */
  readonly toClaim: (r: Row) => FulfilmentClaim;
  /** A `daraja_callback_events` row as a {@link CallbackEvent}. */
  readonly toEvent: (r: Row) => CallbackEvent;
}

/** @internal The row mapping for a store whose driver returns columns as `readers` read them. */
export function sqlRowMapping(readers: SqlReaders): SqlRowMapping {
  const { text, date, bool, json, jsonText } = readers;
  const toPayment = (r: Row): Payment => ({
    id: String(r['id']),
    ownerId: String(r['owner_id']),
    amount: Number(r['amount']),
    phoneNumber: String(r['phone_number']),
    accountReference: String(r['account_reference']),
    transactionDesc: String(r['transaction_desc']),
    metadata: json(r['metadata']) as Record<string, unknown>,
    idempotencyKey: text(r['idempotency_key']),
    status: r['status'] as Payment['status'],
    final: bool(r['final']),
    correctedFrom: text(r['corrected_from']) as Payment['correctedFrom'],
    merchantRequestId: text(r['merchant_request_id']),
    checkoutRequestId: text(r['checkout_request_id']),
    mpesaReceiptNumber: text(r['mpesa_receipt_number']),
    resultCode: text(r['result_code']),
    resultDesc: text(r['result_desc']),
    callback: jsonText(r['callback']),
    settledBy: text(r['settled_by']) as Payment['settledBy'],
    statusChecks: Number(r['status_checks'] ?? 0),
    createdAt: date(r['created_at'])!,
    updatedAt: date(r['updated_at'])!,
    completedAt: date(r['completed_at']),
    fulfilledAt: date(r['fulfilled_at']),
    fulfilmentAttempts: Number(r['fulfilment_attempts'] ?? 0),
    lastFulfilmentError: text(r['last_fulfilment_error']),
  });
  return {
    toPayment,
    toClaim: (r) => ({ payment: toPayment(r), token: String(r['fulfilment_claim']) }),
    toEvent: (r) => ({
      id: String(r['id']),
      receivedAt: date(r['received_at'])!,
      outcome: r['outcome'] as CallbackEvent['outcome'],
      reason: text(r['reason']),
      paymentId: text(r['payment_id']),
      checkoutRequestId: text(r['checkout_request_id']),
      remoteAddress: text(r['remote_address']),
      body: jsonText(r['body']),
      bodyBytes: r['body_bytes'] === null || r['body_bytes'] === undefined ? null : Number(r['body_bytes']),
      bodySha256: text(r['body_sha256']),
    }),
  };
}
