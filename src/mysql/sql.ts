/**
 * The statements of `MySqlPaymentStore`, one constant each, with their `?` parameters in the order the
 * store passes them. Writes are conditional `UPDATE … WHERE …` statements inside short transactions that
 * lock the rows they touch; claims take rows with `FOR UPDATE SKIP LOCKED`. Every time is the database's
 * `UTC_TIMESTAMP(3)`, never the app's clock. In a MySQL `UPDATE`, an assignment sees the columns the ones
 * before it set: `corrected_from` is set before `status`.
 *
 * @module
 */

const DATETIMES = [
  'created_at',
  'updated_at',
  'completed_at',
  'fulfilled_at',
  'fulfilment_lease_until',
  'next_check_at',
];

/** The columns of `daraja_payments` the store reads, its times as text (see `toDate` in `rows.ts`). */
export const PAYMENT_COLUMNS = [
  'id',
  'owner_id',
  'amount',
  'phone_number',
  'account_reference',
  'transaction_desc',
  'CAST(metadata AS CHAR) AS metadata',
  'idempotency_key',
  'status',
  'final',
  'corrected_from',
  'merchant_request_id',
  'checkout_request_id',
  'mpesa_receipt_number',
  'result_code',
  'result_desc',
  'callback',
  'settled_by',
  'status_checks',
  'fulfilment_attempts',
  'last_fulfilment_error',
  'fulfilment_claim',
  ...DATETIMES.map((c) => `CAST(${c} AS CHAR) AS ${c}`),
].join(', ');

const EVENT_COLUMNS = `id, CAST(received_at AS CHAR) AS received_at, outcome, reason, payment_id, checkout_request_id,
  remote_address, body, body_bytes, body_sha256`;

const NOW = 'UTC_TIMESTAMP(3)';
/** `NOW` plus `?` milliseconds. */
const NOW_PLUS = `TIMESTAMPADD(MICROSECOND, ? * 1000, ${NOW})`;

/** `?` id, owner, amount, phone, reference, description, metadata, key; a repeated key changes nothing. */
export const INSERT_PAYMENT = `INSERT INTO daraja_payments
  (id, owner_id, amount, phone_number, account_reference, transaction_desc, metadata, idempotency_key,
   status, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ${NOW}, ${NOW})`;

/** `?` idempotency key. */
export const SELECT_BY_IDEMPOTENCY_KEY = `SELECT ${PAYMENT_COLUMNS} FROM daraja_payments WHERE idempotency_key = ?`;

/** `?` id. */
export const SELECT_BY_ID = `SELECT ${PAYMENT_COLUMNS} FROM daraja_payments WHERE id = ?`;

/** `?` id, locking the row until the transaction ends. */
export const LOCK_BY_ID = `${SELECT_BY_ID} FOR UPDATE`;

/** `?` CheckoutRequestID. */
export const SELECT_BY_CHECKOUT = `SELECT ${PAYMENT_COLUMNS} FROM daraja_payments WHERE checkout_request_id = ?`;

/** `?` CheckoutRequestID, locking the row until the transaction ends. */
export const LOCK_BY_CHECKOUT = `${SELECT_BY_CHECKOUT} FOR UPDATE`;

/** `?` CheckoutRequestID, MerchantRequestID, id: only while no CheckoutRequestID is set. */
export const ATTACH_CHECKOUT = `UPDATE daraja_payments
  SET checkout_request_id = ?, merchant_request_id = COALESCE(merchant_request_id, ?), updated_at = ${NOW}
  WHERE id = ? AND checkout_request_id IS NULL`;

/**
 * The columns a transition sets. `?` status, result code, description, receipt, MerchantRequestID,
 * CheckoutRequestID, callback, settled by, final.
 */
const TRANSITION_SET = `corrected_from = CASE WHEN status = 'pending' THEN NULL ELSE status END,
  status = ?, result_code = ?, result_desc = ?, mpesa_receipt_number = ?,
  merchant_request_id = COALESCE(merchant_request_id, ?), checkout_request_id = COALESCE(checkout_request_id, ?),
  callback = ?, settled_by = ?, final = ?, completed_at = ${NOW}, updated_at = ${NOW}`;

/**
 * Out of pending; or a final success correcting a status the flow reached on its own (a give-up).
 * `?` the nine of `TRANSITION_SET`, then id, status (again), final (again).
 */
export const TRANSITION = `UPDATE daraja_payments SET ${TRANSITION_SET}
  WHERE id = ? AND (status = 'pending' OR (? = 'completed' AND ? AND NOT final AND status <> 'completed'))`;

/** A receipt for a completed payment that has none. `?` receipt, callback, MerchantRequestID, CheckoutRequestID, id. */
export const ATTACH_RECEIPT = `UPDATE daraja_payments
  SET mpesa_receipt_number = ?, callback = COALESCE(callback, ?),
      merchant_request_id = COALESCE(merchant_request_id, ?),
      checkout_request_id = COALESCE(checkout_request_id, ?), updated_at = ${NOW}
  WHERE id = ? AND status = 'completed' AND mpesa_receipt_number IS NULL`;

/** Whether the row's fulfilment may be claimed now; `?` attempt cap (or `NULL`), twice. */
const CLAIMABLE = `status = 'completed' AND fulfilled_at IS NULL AND (? IS NULL OR fulfilment_attempts < ?)
  AND (fulfilment_lease_until IS NULL OR fulfilment_lease_until <= ${NOW})`;

/** `?` lease in ms, id, attempt cap (twice): a new fencing token when the claim is free. */
export const CLAIM_FULFILMENT = `UPDATE daraja_payments
  SET fulfilment_lease_until = ${NOW_PLUS}, fulfilment_attempts = fulfilment_attempts + 1,
      fulfilment_claim = fulfilment_claim + 1, updated_at = ${NOW}
  WHERE id = ? AND ${CLAIMABLE}`;

/** `?` lease in ms, id, fencing token. */
export const RENEW_FULFILMENT = `UPDATE daraja_payments SET fulfilment_lease_until = ${NOW_PLUS}
  WHERE id = ? AND fulfilment_claim = ? AND fulfilled_at IS NULL`;

/** `?` id, fencing token. */
export const COMPLETE_FULFILMENT = `UPDATE daraja_payments
  SET fulfilled_at = ${NOW}, fulfilment_lease_until = NULL, last_fulfilment_error = NULL, updated_at = ${NOW}
  WHERE id = ? AND fulfilment_claim = ? AND fulfilled_at IS NULL`;

/** `?` retry after in ms, error, id, fencing token. */
export const RELEASE_FULFILMENT = `UPDATE daraja_payments
  SET fulfilment_lease_until = ${NOW_PLUS}, last_fulfilment_error = ?
  WHERE id = ? AND fulfilment_claim = ? AND fulfilled_at IS NULL`;

/**
 * The due pending payments, most overdue first, locked (`SKIP LOCKED`: concurrent callers get others).
 * `?` minimum age in ms; the limit is inlined by the store (a checked integer).
 */
export const LOCK_DUE_PENDING = (limit: number) => `SELECT id, CAST(${NOW} AS CHAR) AS store_now
  FROM daraja_payments
  WHERE pending_due_at <= ${NOW} AND created_at <= TIMESTAMPADD(MICROSECOND, -1000 * ?, ${NOW})
  ORDER BY pending_due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;

/** Back off the next check of the claimed payments. `?` first recheck in ms, longest recheck in ms, ids. */
export const BACK_OFF_PENDING = `UPDATE daraja_payments
  SET next_check_at = TIMESTAMPADD(MICROSECOND,
        1000 * CAST(LEAST(? * POW(2, LEAST(status_checks, 40)), ?) AS SIGNED), ${NOW}),
      status_checks = status_checks + 1
  WHERE id IN (?)`;

/** The payments with these ids (`?`, a list), with when they were due before the backoff. */
export const SELECT_BY_IDS = `SELECT ${PAYMENT_COLUMNS} FROM daraja_payments WHERE id IN (?)`;

/** The database's clock. */
export const SELECT_NOW = `SELECT CAST(${NOW} AS CHAR) AS now`;

/** The due fulfilments, longest waiting first, locked. `?` attempt cap; the limit is inlined. */
export const LOCK_DUE_FULFILMENTS = (limit: number) => `SELECT id FROM daraja_payments
  WHERE fulfilment_due_at <= ${NOW} AND fulfilment_attempts < ?
  ORDER BY fulfilment_due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;

/** Claim the locked fulfilments. `?` lease in ms, ids (a list). */
export const CLAIM_FULFILMENTS = `UPDATE daraja_payments
  SET fulfilment_lease_until = ${NOW_PLUS}, fulfilment_attempts = fulfilment_attempts + 1,
      fulfilment_claim = fulfilment_claim + 1, updated_at = ${NOW}
  WHERE id IN (?)`;

/** `?` the fields of a callback event, in the order of its columns; a repeated id is ignored. */
export const INSERT_CALLBACK_EVENT = `INSERT INTO daraja_callback_events
  (id, received_at, outcome, reason, payment_id, checkout_request_id, remote_address, body, body_bytes, body_sha256)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON DUPLICATE KEY UPDATE id = id`;

/** The limit is inlined by the store (a checked integer). */
export const LIST_CALLBACK_EVENTS = (limit: number) =>
  `SELECT ${EVENT_COLUMNS} FROM daraja_callback_events ORDER BY received_at, id LIMIT ${limit}`;

/** `?` payment id; the limit is inlined. */
export const LIST_PAYMENT_CALLBACK_EVENTS = (limit: number) =>
  `SELECT ${EVENT_COLUMNS} FROM daraja_callback_events WHERE payment_id = ? ORDER BY received_at, id LIMIT ${limit}`;

/** `?` minimum age in ms: old rejections that were never authenticated (no payment, no body). */
export const PRUNE_REJECTED_CALLBACKS = `DELETE FROM daraja_callback_events
  WHERE outcome = 'rejected' AND payment_id IS NULL AND body IS NULL
    AND received_at < TIMESTAMPADD(MICROSECOND, -1000 * ?, ${NOW})`;

/** The applied migration versions (the table may not exist yet). */
export const APPLIED_VERSIONS = 'SELECT version FROM daraja_schema_migrations';

/** The settlement procedure of `procedures.ts`: its 22 parameters, in order. */
export const CALL_SETTLE = `CALL daraja_settle_callback(${Array(22).fill('?').join(', ')})`;
