/** One versioned schema change. Applied in order, once, by `migrate()`. */
export interface Migration {
  /** Increasing version number. */
  version: number;
  /** What it does. */
  name: string;
  /** The SQL, run inside a transaction together with its bookkeeping. */
  sql: string;
}

/**
 * The schema of `PostgresPaymentStore`, as versioned migrations. Tables: `daraja_payments` (one row per
 * payment, never deleted), `daraja_callback_events` (every callback received, for audit; callbacks
 * rejected before authentication keep no body), `daraja_token_cache` (the access token, refresh lock and
 * recent OAuth failure of `PostgresTokenCache`) and `daraja_schema_migrations` (what was applied).
 */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'payments and callback events',
    sql: `
CREATE TABLE daraja_payments (
  id text PRIMARY KEY,
  owner_id text NOT NULL,
  amount integer NOT NULL CHECK (amount > 0),
  phone_number text NOT NULL,
  account_reference text NOT NULL,
  transaction_desc text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  idempotency_key text UNIQUE,
  status text NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled', 'failed', 'timeout')),
  merchant_request_id text,
  checkout_request_id text UNIQUE,
  mpesa_receipt_number text UNIQUE,
  result_code text,
  result_desc text,
  callback text,
  settled_by text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  completed_at timestamptz,
  fulfilled_at timestamptz,
  fulfilment_attempts integer NOT NULL DEFAULT 0,
  last_fulfilment_error text,
  fulfilment_lease_until timestamptz,
  next_check_at timestamptz,
  CHECK (status = 'pending' OR completed_at IS NOT NULL)
);
CREATE INDEX daraja_payments_pending_idx ON daraja_payments (created_at) WHERE status = 'pending';
CREATE INDEX daraja_payments_unfulfilled_idx ON daraja_payments (completed_at)
  WHERE status = 'completed' AND fulfilled_at IS NULL;
CREATE INDEX daraja_payments_owner_idx ON daraja_payments (owner_id, created_at);
CREATE TABLE daraja_callback_events (
  id text PRIMARY KEY,
  received_at timestamptz NOT NULL,
  outcome text NOT NULL,
  reason text,
  payment_id text REFERENCES daraja_payments (id),
  checkout_request_id text,
  remote_address text,
  body text
);
CREATE INDEX daraja_callback_events_payment_idx ON daraja_callback_events (payment_id, received_at);
`,
  },
  {
    version: 2,
    name: 'final statuses, fenced fulfilment claims, fair reconcile, lean rejected callbacks',
    sql: `
ALTER TABLE daraja_payments
  ADD COLUMN final boolean NOT NULL DEFAULT false,
  ADD COLUMN corrected_from text,
  ADD COLUMN status_checks integer NOT NULL DEFAULT 0,
  ADD COLUMN fulfilment_claim bigint NOT NULL DEFAULT 0;
-- Version 1 wrote give-ups as settled_by 'reconcile' with no result code: they are not Daraja's word.
UPDATE daraja_payments SET settled_by = 'give-up' WHERE settled_by = 'reconcile' AND result_code IS NULL;
UPDATE daraja_payments SET final = true WHERE status <> 'pending' AND settled_by IS DISTINCT FROM 'give-up';
DROP INDEX daraja_payments_pending_idx;
CREATE INDEX daraja_payments_due_idx ON daraja_payments ((COALESCE(next_check_at, created_at)))
  WHERE status = 'pending';
DROP INDEX daraja_payments_unfulfilled_idx;
CREATE INDEX daraja_payments_unfulfilled_idx ON daraja_payments ((COALESCE(fulfilment_lease_until, completed_at)))
  WHERE status = 'completed' AND fulfilled_at IS NULL;
ALTER TABLE daraja_callback_events
  ADD COLUMN body_bytes integer,
  ADD COLUMN body_sha256 text;
CREATE INDEX daraja_callback_events_rejected_idx ON daraja_callback_events (received_at)
  WHERE outcome = 'rejected' AND payment_id IS NULL AND body IS NULL;
`,
  },
  {
    version: 3,
    name: 'shared token cache',
    sql: `
CREATE TABLE daraja_token_cache (
  cache_key text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('token', 'lock', 'failure')),
  value text NOT NULL,
  until timestamptz NOT NULL,
  PRIMARY KEY (cache_key, kind)
);
`,
  },
]);

const LOCK_ID = 7_268_311_906; // advisory lock serialising concurrent migrate() calls

/** @internal The statement that applies one migration, idempotently and under an advisory lock. */
export function migrationStatement(m: Migration): string {
  if (!Number.isSafeInteger(m.version) || m.sql.includes('$daraja_migration$')) {
    throw new Error('[daraja] invalid migration');
  }
  return `DO $daraja_migration$
BEGIN
  PERFORM pg_advisory_xact_lock(${LOCK_ID});
  CREATE TABLE IF NOT EXISTS daraja_schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  );
  IF NOT EXISTS (SELECT 1 FROM daraja_schema_migrations WHERE version = ${m.version}) THEN
${m.sql}
    INSERT INTO daraja_schema_migrations (version, name) VALUES (${m.version}, '${m.name.replace(/'/g, "''")}');
  END IF;
END
$daraja_migration$;`;
}
