import { CREATE_SETTLE_PROCEDURE } from './procedures.js';

/** One versioned schema change of {@link MySqlPaymentStore}. Applied in order, once, by `migrate()`. */
export interface MySqlMigration {
  /** Increasing version number. */
  version: number;
  /** What it does. */
  name: string;
  /**
   * The statements, run one by one (MySQL commits each DDL statement on its own, so each is written to be
   * safe to run again: `CREATE TABLE IF NOT EXISTS`).
   */
  statements: readonly string[];
}

/**
 * The schema of `MySqlPaymentStore` (MySQL 8.0+, MariaDB 10.6+; InnoDB, utf8mb4), as versioned migrations.
 * Tables: `daraja_payments` (one row per payment, never deleted), `daraja_callback_events` (every
 * callback received, for audit; callbacks rejected before authentication keep no body) and
 * `daraja_schema_migrations` (what was applied). Times are `DATETIME(3)` in UTC, written with the
 * database's `UTC_TIMESTAMP(3)`. Two stored generated columns, `pending_due_at` and `fulfilment_due_at`,
 * hold the due time of a pending payment and of an unfulfilled one (`NULL` otherwise), indexed for the
 * claims of `reconcile` and of fulfilment retries.
 */
export const MYSQL_MIGRATIONS: readonly MySqlMigration[] = Object.freeze([
  {
    version: 1,
    name: 'payments and callback events',
    statements: [
      `CREATE TABLE IF NOT EXISTS daraja_payments (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  owner_id VARCHAR(255) NOT NULL,
  amount INT NOT NULL CHECK (amount > 0),
  phone_number VARCHAR(32) NOT NULL,
  account_reference VARCHAR(255) NOT NULL,
  transaction_desc VARCHAR(255) NOT NULL,
  metadata JSON NOT NULL,
  idempotency_key VARCHAR(255) NULL,
  status VARCHAR(16) NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled', 'failed', 'timeout')),
  final TINYINT(1) NOT NULL DEFAULT 0,
  corrected_from VARCHAR(16) NULL,
  merchant_request_id VARCHAR(255) NULL,
  checkout_request_id VARCHAR(255) NULL,
  mpesa_receipt_number VARCHAR(255) NULL,
  result_code VARCHAR(64) NULL,
  result_desc TEXT NULL,
  callback LONGTEXT NULL,
  settled_by VARCHAR(16) NULL,
  status_checks INT NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  completed_at DATETIME(3) NULL,
  fulfilled_at DATETIME(3) NULL,
  fulfilment_attempts INT NOT NULL DEFAULT 0,
  last_fulfilment_error TEXT NULL,
  fulfilment_lease_until DATETIME(3) NULL,
  fulfilment_claim BIGINT NOT NULL DEFAULT 0,
  next_check_at DATETIME(3) NULL,
  pending_due_at DATETIME(3) AS (CASE WHEN status = 'pending' THEN COALESCE(next_check_at, created_at) END) STORED,
  fulfilment_due_at DATETIME(3) AS (CASE WHEN status = 'completed' AND fulfilled_at IS NULL
    THEN COALESCE(fulfilment_lease_until, completed_at) END) STORED,
  CONSTRAINT daraja_payments_completed_at CHECK (status = 'pending' OR completed_at IS NOT NULL),
  UNIQUE KEY daraja_payments_idempotency_key (idempotency_key),
  UNIQUE KEY daraja_payments_checkout_request_id (checkout_request_id),
  UNIQUE KEY daraja_payments_receipt (mpesa_receipt_number),
  KEY daraja_payments_pending_due_idx (pending_due_at),
  KEY daraja_payments_fulfilment_due_idx (fulfilment_due_at),
  KEY daraja_payments_owner_idx (owner_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE IF NOT EXISTS daraja_callback_events (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  received_at DATETIME(3) NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  reason TEXT NULL,
  payment_id VARCHAR(255) NULL,
  checkout_request_id VARCHAR(255) NULL,
  remote_address VARCHAR(255) NULL,
  body LONGTEXT NULL,
  body_bytes INT NULL,
  body_sha256 CHAR(64) NULL,
  KEY daraja_callback_events_payment_idx (payment_id, received_at),
  KEY daraja_callback_events_received_idx (received_at),
  CONSTRAINT daraja_callback_events_payment FOREIGN KEY (payment_id) REFERENCES daraja_payments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    version: 2,
    name: 'one-step callback settlement procedure',
    statements: ['DROP PROCEDURE IF EXISTS daraja_settle_callback', CREATE_SETTLE_PROCEDURE],
  },
]);

/** The name of the `GET_LOCK` lock that serialises concurrent `migrate()` calls on one database. */
export const MIGRATION_LOCK = 'daraja_sdk_migrate';

/** The bookkeeping table of the applied migrations. */
export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS daraja_schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  applied_at DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
