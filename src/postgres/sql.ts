/**
 * The statements of `PostgresPaymentStore`, one constant each, with their `$n` parameters in the order
 * the store passes them. Every write is one atomic statement: a conditional `UPDATE … WHERE …`, an
 * `INSERT … ON CONFLICT`, or a claim with `FOR UPDATE SKIP LOCKED`. Times are the database's `now()`.
 *
 * @module
 */

const COLUMNS = '*';

/** `$1` id, `$2` owner, `$3` amount, `$4` phone, `$5` reference, `$6` description, `$7` metadata, `$8` key. */
export const INSERT_PAYMENT = `INSERT INTO daraja_payments
         (id, owner_id, amount, phone_number, account_reference, transaction_desc, metadata, idempotency_key,
          status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, 'pending', now(), now())
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`;

/** `$1` idempotency key. */
export const SELECT_BY_IDEMPOTENCY_KEY = `SELECT ${COLUMNS} FROM daraja_payments WHERE idempotency_key = $1`;

/** `$1` id. */
export const SELECT_BY_ID = `SELECT ${COLUMNS} FROM daraja_payments WHERE id = $1`;

/** `$1` CheckoutRequestID. */
export const SELECT_BY_CHECKOUT = `SELECT ${COLUMNS} FROM daraja_payments WHERE checkout_request_id = $1`;

/** `$1` id, `$2` CheckoutRequestID, `$3` MerchantRequestID: only while no CheckoutRequestID is set. */
export const ATTACH_CHECKOUT = `UPDATE daraja_payments
          SET checkout_request_id = $2, merchant_request_id = COALESCE(merchant_request_id, $3), updated_at = now()
        WHERE id = $1 AND checkout_request_id IS NULL
        RETURNING ${COLUMNS}`;

/**
 * Out of pending; or a final success correcting a status the flow reached on its own (a give-up). In SET,
 * column names read the row as it was before this update. `$1` id, `$2` status, `$3` result code, `$4`
 * result description, `$5` receipt, `$6` MerchantRequestID, `$7` CheckoutRequestID, `$8` callback, `$9`
 * settled by, `$10` final.
 */
export const TRANSITION = `UPDATE daraja_payments
            SET status = $2, result_code = $3, result_desc = $4, mpesa_receipt_number = $5,
                merchant_request_id = COALESCE(merchant_request_id, $6),
                checkout_request_id = COALESCE(checkout_request_id, $7),
                callback = $8, settled_by = $9, final = $10,
                corrected_from = CASE WHEN status = 'pending' THEN NULL ELSE status END,
                completed_at = now(), updated_at = now()
          WHERE id = $1
            AND (status = 'pending'
                 OR ($2 = 'completed' AND $10 AND NOT final AND status <> 'completed'))
          RETURNING ${COLUMNS}`;

/**
 * A receipt for a completed payment that has none. `$1` id, `$2` receipt, `$3` callback, `$4`
 * MerchantRequestID, `$5` CheckoutRequestID.
 */
export const ATTACH_RECEIPT = `UPDATE daraja_payments
            SET mpesa_receipt_number = $2, callback = COALESCE(callback, $3),
                merchant_request_id = COALESCE(merchant_request_id, $4),
                checkout_request_id = COALESCE(checkout_request_id, $5), updated_at = now()
          WHERE id = $1 AND status = 'completed' AND mpesa_receipt_number IS NULL
          RETURNING ${COLUMNS}`;

/** `$1` id, `$2` lease in ms, `$3` attempt cap (or `NULL`): a new fencing token when the claim is free. */
export const CLAIM_FULFILMENT = `UPDATE daraja_payments
          SET fulfilment_lease_until = now() + $2 * interval '1 millisecond',
              fulfilment_attempts = fulfilment_attempts + 1, fulfilment_claim = fulfilment_claim + 1,
              updated_at = now()
        WHERE id = $1 AND status = 'completed' AND fulfilled_at IS NULL
          AND ($3::integer IS NULL OR fulfilment_attempts < $3::integer)
          AND (fulfilment_lease_until IS NULL OR fulfilment_lease_until <= now())
        RETURNING ${COLUMNS}`;

/** `$1` id, `$2` fencing token, `$3` lease in ms. */
export const RENEW_FULFILMENT = `UPDATE daraja_payments SET fulfilment_lease_until = now() + $3 * interval '1 millisecond'
        WHERE id = $1 AND fulfilment_claim = $2::bigint AND fulfilled_at IS NULL
        RETURNING id`;

/** `$1` id, `$2` fencing token. */
export const COMPLETE_FULFILMENT = `UPDATE daraja_payments
          SET fulfilled_at = now(), fulfilment_lease_until = NULL, last_fulfilment_error = NULL, updated_at = now()
        WHERE id = $1 AND fulfilment_claim = $2::bigint AND fulfilled_at IS NULL
        RETURNING id`;

/** `$1` id, `$2` fencing token, `$3` error, `$4` retry after, in ms. */
export const RELEASE_FULFILMENT = `UPDATE daraja_payments
          SET fulfilment_lease_until = now() + $4 * interval '1 millisecond', last_fulfilment_error = $3
        WHERE id = $1 AND fulfilment_claim = $2::bigint AND fulfilled_at IS NULL
        RETURNING id`;

/**
 * Claim the due pending payments, most overdue first, and set each one's next check (backing off). `$1`
 * minimum age in ms, `$2` limit, `$3` first recheck in ms, `$4` longest recheck in ms.
 */
export const CLAIM_DUE_PENDING = `UPDATE daraja_payments p
          SET next_check_at = now() + LEAST($3 * power(2, LEAST(p.status_checks, 40)), $4) * interval '1 millisecond',
              status_checks = p.status_checks + 1
         FROM (SELECT id, COALESCE(next_check_at, created_at) AS due FROM daraja_payments
                WHERE status = 'pending' AND created_at <= now() - $1 * interval '1 millisecond'
                  AND COALESCE(next_check_at, created_at) <= now()
                ORDER BY COALESCE(next_check_at, created_at)
                LIMIT $2
                FOR UPDATE SKIP LOCKED) d
        WHERE p.id = d.id
        RETURNING p.*, d.due AS due_at, now() AS store_now`;

/** The database's clock. */
export const SELECT_NOW = 'SELECT now() AS now';

/** Claim the due fulfilments, longest waiting first. `$1` lease in ms, `$2` limit, `$3` attempt cap. */
export const CLAIM_DUE_FULFILMENTS = `UPDATE daraja_payments p
          SET fulfilment_lease_until = now() + $1 * interval '1 millisecond',
              fulfilment_attempts = p.fulfilment_attempts + 1, fulfilment_claim = p.fulfilment_claim + 1,
              updated_at = now()
        WHERE p.id IN (
          SELECT id FROM daraja_payments
           WHERE status = 'completed' AND fulfilled_at IS NULL AND fulfilment_attempts < $3
             AND (fulfilment_lease_until IS NULL OR fulfilment_lease_until <= now())
           ORDER BY COALESCE(fulfilment_lease_until, completed_at)
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
        RETURNING p.*`;

/** `$1`…`$10`: the fields of a callback event, in the order of its columns; a repeated id is ignored. */
export const INSERT_CALLBACK_EVENT = `INSERT INTO daraja_callback_events
         (id, received_at, outcome, reason, payment_id, checkout_request_id, remote_address, body, body_bytes,
          body_sha256)
       VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (id) DO NOTHING`;

/** `$1` limit. */
export const LIST_CALLBACK_EVENTS = 'SELECT * FROM daraja_callback_events ORDER BY received_at, id LIMIT $1';

/** `$1` payment id, `$2` limit. */
export const LIST_PAYMENT_CALLBACK_EVENTS =
  'SELECT * FROM daraja_callback_events WHERE payment_id = $1 ORDER BY received_at, id LIMIT $2';

/** `$1` minimum age in ms: old rejections that were never authenticated (no payment, no body). */
export const PRUNE_REJECTED_CALLBACKS = `DELETE FROM daraja_callback_events
        WHERE outcome = 'rejected' AND payment_id IS NULL AND body IS NULL
          AND received_at < now() - $1 * interval '1 millisecond'
        RETURNING id`;

/** Whether the migrations' bookkeeping table exists. */
export const MIGRATIONS_TABLE_EXISTS =
  "SELECT to_regclass('daraja_schema_migrations') IS NOT NULL AS present";

/** The applied migration versions. */
export const APPLIED_VERSIONS = 'SELECT version FROM daraja_schema_migrations';

/**
 * `PaymentStore.settleCallback` in one statement: find the payment (`find`, by id or CheckoutRequestID),
 * check it (`$2` CheckoutRequestID, `$3` amount or `NULL`, `$4` phone or `NULL`), apply the transition
 * as {@link TRANSITION} does (`$5` status, `$6` result code, `$7` description, `$8` receipt, `$9`
 * MerchantRequestID, `$10` callback, `$11` settled by, `$12` final) and take the fulfilment claim with it
 * as {@link CLAIM_FULFILMENT} does (`$13` lease in ms, `$14` attempt cap or `NULL`); or see that the
 * payment already has exactly this result (a duplicate); and keep the audit row of either (`$15`…`$21`:
 * event id, received at, CheckoutRequestID, address, body, bytes, SHA-256). One row: the
 * payment after the statement, `settlement` (`applied`, `duplicate` or `not_settled`) and `claimed`.
 * Data-modifying CTEs see one snapshot; the UPDATE re-checks its WHERE on the row as it is when locked.
 */
/**
 * The columns of `daraja_payments`, named: a statement prepared once per connection keeps its result
 * columns when a later migration adds one (PostgreSQL refuses a cached plan whose result type changed).
 */
const PAYMENT_COLUMNS = [
  'id',
  'owner_id',
  'amount',
  'phone_number',
  'account_reference',
  'transaction_desc',
  'metadata',
  'idempotency_key',
  'status',
  'merchant_request_id',
  'checkout_request_id',
  'mpesa_receipt_number',
  'result_code',
  'result_desc',
  'callback',
  'settled_by',
  'created_at',
  'updated_at',
  'completed_at',
  'fulfilled_at',
  'fulfilment_attempts',
  'last_fulfilment_error',
  'fulfilment_lease_until',
  'next_check_at',
  'final',
  'corrected_from',
  'status_checks',
  'fulfilment_claim',
];

function settleCallback(find: string): string {
  const claimable = `$5 = 'completed' AND p.fulfilled_at IS NULL
                 AND ($14::integer IS NULL OR p.fulfilment_attempts < $14::integer)
                 AND (p.fulfilment_lease_until IS NULL OR p.fulfilment_lease_until <= now())`;
  return `WITH found AS (SELECT ${PAYMENT_COLUMNS.join(', ')} FROM daraja_payments WHERE ${find}),
  checked AS (
    SELECT * FROM found
     WHERE (checkout_request_id IS NULL OR checkout_request_id = $2)
       AND ($3::integer IS NULL OR amount = $3::integer) AND ($4::text IS NULL OR phone_number = $4::text)),
  settled AS (
    UPDATE daraja_payments p
       SET status = $5, result_code = $6, result_desc = $7, mpesa_receipt_number = $8,
           merchant_request_id = COALESCE(p.merchant_request_id, $9), checkout_request_id = COALESCE(p.checkout_request_id, $2),
           callback = $10, settled_by = $11, final = $12,
           corrected_from = CASE WHEN p.status = 'pending' THEN NULL ELSE p.status END,
           completed_at = now(), updated_at = now(),
           fulfilment_lease_until = CASE WHEN ${claimable} THEN now() + $13 * interval '1 millisecond' ELSE p.fulfilment_lease_until END,
           fulfilment_attempts = p.fulfilment_attempts + CASE WHEN ${claimable} THEN 1 ELSE 0 END,
           fulfilment_claim = p.fulfilment_claim + CASE WHEN ${claimable} THEN 1 ELSE 0 END
      FROM checked c
     WHERE p.id = c.id AND (p.checkout_request_id IS NULL OR p.checkout_request_id = $2)
       AND (p.status = 'pending' OR ($5 = 'completed' AND $12 AND NOT p.final AND p.status <> 'completed'))
    RETURNING ${PAYMENT_COLUMNS.map((c) => `p.${c}`).join(', ')}, p.fulfilment_claim <> c.fulfilment_claim AS claimed),
  duplicate AS (
    SELECT c.id FROM checked c
     WHERE NOT EXISTS (SELECT 1 FROM settled)
       AND c.final AND c.status = $5 AND c.mpesa_receipt_number IS NOT DISTINCT FROM $8::text),
  audit AS (
    INSERT INTO daraja_callback_events
           (id, received_at, outcome, reason, payment_id, checkout_request_id, remote_address, body, body_bytes,
            body_sha256)
    SELECT $15, $16::timestamptz,
           CASE WHEN s.id IS NULL THEN 'duplicate' WHEN s.corrected_from IS NULL THEN 'applied' ELSE 'late_success' END,
           CASE WHEN s.id IS NULL THEN 'already_settled' WHEN s.corrected_from IS NULL THEN NULL
                ELSE 'was_' || s.corrected_from END,
           c.id, $17, $18, $19, $20, $21
      FROM checked c LEFT JOIN settled s ON s.id = c.id
     WHERE s.id IS NOT NULL OR EXISTS (SELECT 1 FROM duplicate)
    ON CONFLICT (id) DO NOTHING)
  SELECT 'applied' AS settlement, s.* FROM settled s
  UNION ALL
  SELECT CASE WHEN EXISTS (SELECT 1 FROM duplicate) THEN 'duplicate' ELSE 'not_settled' END, f.*, false
    FROM found f WHERE NOT EXISTS (SELECT 1 FROM settled)`;
}

/** {@link settleCallback} finding the payment by id (`$1`). */
export const SETTLE_CALLBACK_BY_ID = settleCallback('id = $1');

/** {@link settleCallback} finding the payment by CheckoutRequestID (`$1`). */
export const SETTLE_CALLBACK_BY_CHECKOUT = settleCallback('checkout_request_id = $1');
