import type { CallbackSettlement } from '../payments/settlement.js';
import { ms, toDateTime, toJsonText } from './rows.js';
import { PAYMENT_COLUMNS } from './sql.js';

const ID = 'VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';
const NOW = 'UTC_TIMESTAMP(3)';

/**
 * `PaymentStore.settleCallback` as a stored procedure, so that a callback is settled in one round trip
 * (MySQL has no `UPDATE … RETURNING` and no data-modifying CTEs; a procedure is how one statement sent
 * does the whole step). In one transaction: lock the payment (by id or CheckoutRequestID), check it, and
 * either record a duplicate of its result, or apply the transition as `TRANSITION` does, claim the
 * fulfilment as `CLAIM_FULFILMENT` does when the payment is now `completed`, and keep the audit row; or
 * write nothing. Its one result row: `settlement` (`applied`, `duplicate` or `not_settled`), `claimed`,
 * and the payment (none when it does not exist). Any error rolls back and is raised again (a receipt or
 * CheckoutRequestID another payment holds is `ER_DUP_ENTRY`). String parameters are `utf8mb4_bin`, the
 * collation of the tables, so that comparing them with columns is well-defined.
 */
export const CREATE_SETTLE_PROCEDURE = `CREATE PROCEDURE daraja_settle_callback(
  IN p_by_id BOOLEAN, IN p_key ${ID},
  IN e_checkout ${ID}, IN e_amount INT, IN e_phone ${ID},
  IN t_status ${ID}, IN t_result_code ${ID}, IN t_result_desc TEXT CHARACTER SET utf8mb4,
  IN t_receipt ${ID}, IN t_merchant ${ID}, IN t_callback LONGTEXT CHARACTER SET utf8mb4,
  IN t_settled_by ${ID}, IN t_final BOOLEAN,
  IN c_lease_ms BIGINT, IN c_cap INT,
  IN ev_id ${ID}, IN ev_received DATETIME(3), IN ev_checkout ${ID}, IN ev_remote ${ID},
  IN ev_body LONGTEXT CHARACTER SET utf8mb4, IN ev_bytes INT, IN ev_sha ${ID})
BEGIN
  DECLARE v_id ${ID} DEFAULT NULL;
  DECLARE v_passes BOOLEAN DEFAULT FALSE;
  DECLARE v_duplicate BOOLEAN DEFAULT FALSE;
  DECLARE v_settleable BOOLEAN DEFAULT FALSE;
  DECLARE v_was ${ID} DEFAULT NULL;
  DECLARE v_claim BIGINT DEFAULT 0;
  DECLARE v_settlement VARCHAR(16) DEFAULT 'not_settled';
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_id = NULL;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  SELECT id, status, fulfilment_claim,
         (checkout_request_id IS NULL OR checkout_request_id = e_checkout)
           AND (e_amount IS NULL OR amount = e_amount) AND (e_phone IS NULL OR phone_number = e_phone),
         final = 1 AND status = t_status AND mpesa_receipt_number <=> t_receipt,
         status = 'pending' OR (t_status = 'completed' AND t_final AND final = 0 AND status <> 'completed')
    INTO v_id, v_was, v_claim, v_passes, v_duplicate, v_settleable
    FROM daraja_payments
   WHERE (p_by_id AND id = p_key) OR (NOT p_by_id AND checkout_request_id = p_key)
   LIMIT 1 FOR UPDATE;
  IF v_id IS NOT NULL AND v_passes AND v_duplicate THEN
    INSERT INTO daraja_callback_events
      (id, received_at, outcome, reason, payment_id, checkout_request_id, remote_address, body, body_bytes, body_sha256)
      VALUES (ev_id, ev_received, 'duplicate', 'already_settled', v_id, ev_checkout, ev_remote, ev_body, ev_bytes, ev_sha)
      ON DUPLICATE KEY UPDATE id = id;
    SET v_settlement = 'duplicate';
  ELSEIF v_id IS NOT NULL AND v_passes AND v_settleable THEN
    UPDATE daraja_payments
       SET corrected_from = CASE WHEN status = 'pending' THEN NULL ELSE status END,
           status = t_status, result_code = t_result_code, result_desc = t_result_desc,
           mpesa_receipt_number = t_receipt, merchant_request_id = COALESCE(merchant_request_id, t_merchant),
           checkout_request_id = COALESCE(checkout_request_id, e_checkout), callback = t_callback,
           settled_by = t_settled_by, final = t_final, completed_at = ${NOW}, updated_at = ${NOW}
     WHERE id = v_id;
    IF t_status = 'completed' THEN
      UPDATE daraja_payments
         SET fulfilment_lease_until = TIMESTAMPADD(MICROSECOND, c_lease_ms * 1000, ${NOW}),
             fulfilment_attempts = fulfilment_attempts + 1, fulfilment_claim = fulfilment_claim + 1
       WHERE id = v_id AND fulfilled_at IS NULL AND (c_cap IS NULL OR fulfilment_attempts < c_cap)
         AND (fulfilment_lease_until IS NULL OR fulfilment_lease_until <= ${NOW});
    END IF;
    INSERT INTO daraja_callback_events
      (id, received_at, outcome, reason, payment_id, checkout_request_id, remote_address, body, body_bytes, body_sha256)
      VALUES (ev_id, ev_received, IF(v_was = 'pending', 'applied', 'late_success'),
              IF(v_was = 'pending', NULL, CONCAT('was_', v_was)), v_id, ev_checkout, ev_remote, ev_body, ev_bytes,
              ev_sha)
      ON DUPLICATE KEY UPDATE id = id;
    SET v_settlement = 'applied';
  END IF;
  SELECT v_settlement AS settlement, fulfilment_claim <> v_claim AS claimed, ${PAYMENT_COLUMNS}
    FROM daraja_payments WHERE id = v_id;
  COMMIT;
END`;

/** The parameters of `CALL daraja_settle_callback(…)` for one settlement, in order. */
export function settleValues(s: CallbackSettlement): unknown[] {
  const { find, expect, transition: t, claim, event: e } = s;
  const body = toJsonText(e.body);
  // Usually the callback is the event's body too: serialised once.
  const callback = t.callback === e.body ? body : toJsonText(t.callback);
  return [
    ['id' in find, 'id' in find ? find.id : find.checkoutRequestId],
    [expect.checkoutRequestId, expect.amount, expect.phoneNumber],
    [t.status, t.resultCode, t.resultDesc, t.mpesaReceiptNumber, t.merchantRequestId],
    [callback, t.settledBy, t.final, ms(claim.leaseMs), claim.maxAttempts ?? null],
    [e.id, toDateTime(e.receivedAt), e.checkoutRequestId, e.remoteAddress, body, e.bodyBytes, e.bodySha256],
  ].flat();
}
