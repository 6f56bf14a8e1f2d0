import { DarajaConfigError } from '../core/errors.js';
import type {
  CallbackEvent,
  CreateResult,
  DuePendingClaim,
  EnrichmentResult,
  FulfilmentClaim,
  NewPayment,
  Payment,
  PaymentStore,
  PaymentTransition,
  ReceiptEnrichment,
  TransitionResult,
} from '../payments/types.js';
import { MIGRATIONS, migrationStatement } from './migrations.js';

/**
 * Anything that runs a parameterised query: a `pg` `Pool` or `Client`, or PGlite. `exec`, when present
 * (PGlite), is used for the multi-statement migrations.
 */
export interface SqlClient {
  /** Run one statement with `$1, $2, …` parameters; resolves to an object with the result `rows`. */
  query(text: string, params?: unknown[]): Promise<SqlResult>;
  /** Run several statements (PGlite). */
  exec?(text: string): Promise<unknown>;
}

/** The part of a query result the store reads. */
export interface SqlResult {
  /** The rows, as objects keyed by column name. */
  rows: unknown[];
}

type Row = Record<string, unknown>;

const toDate = (v: unknown): Date | null =>
  v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v));
const fromJsonText = (v: unknown): unknown => {
  if (v === null || v === undefined) return null;
  try {
    return JSON.parse(String(v)) as unknown;
  } catch {
    return String(v);
  }
};

function toPayment(r: Row): Payment {
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

function toClaim(r: Row): FulfilmentClaim {
  return { payment: toPayment(r), token: String(r['fulfilment_claim']) };
}

function toEvent(r: Row): CallbackEvent {
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

function uniqueViolation(error: unknown): string | undefined {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown; detail?: unknown };
  if (e?.code !== '23505') return undefined;
  return `${String(e.constraint ?? '')} ${String(e.message ?? '')} ${String(e.detail ?? '')}`;
}

/**
 * A query that failed because the schema is not there (`42P01` undefined_table) or older than this code
 * (`42703` undefined_column): a setup step was missed, not an outage. Becomes a {@link DarajaConfigError}
 * saying to migrate, with the database's error as its (sanitised) `cause`.
 */
function schemaError(error: unknown): DarajaConfigError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== '42P01' && code !== '42703') return undefined;
  const what =
    code === '42P01'
      ? 'the tables of PostgresPaymentStore do not exist (the database says: undefined table)'
      : 'the tables of PostgresPaymentStore are older than this version of daraja-sdk (undefined column)';
  return new DarajaConfigError(
    [
      {
        field: 'store',
        message:
          `${what}. Call await store.migrate() once at start-up, before the first payment (or run ` +
          'npx daraja-sdk migrate with DATABASE_URL set). It is safe on every start and from several instances.',
      },
    ],
    { cause: error },
  );
}

const COLUMNS = '*';

/**
 * A {@link PaymentStore} on PostgreSQL, for any client with `query(text, params)`: `pg.Pool`,
 * `pg.Client` or PGlite. Every operation is one atomic statement (a conditional `UPDATE … WHERE …`,
 * `INSERT … ON CONFLICT`, or a claim with `FOR UPDATE SKIP LOCKED`), so any number of app instances can
 * share the database. Unique constraints guard `checkout_request_id`, `mpesa_receipt_number` and
 * `idempotency_key`. Call {@link PostgresPaymentStore.migrate} once at start-up (or run
 * `npx daraja-sdk migrate`); without it every operation throws a {@link DarajaConfigError} saying so.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { PostgresPaymentStore } from 'daraja-sdk/postgres';
 *
 * const store = new PostgresPaymentStore(new pg.Pool({ connectionString: process.env.DATABASE_URL }));
 * await store.migrate();
 * ```
 */
export class PostgresPaymentStore implements PaymentStore {
  readonly #db: SqlClient;

  /** @param client - A `pg.Pool`, `pg.Client`, PGlite instance, or anything with `query(text, params)`. */
  constructor(client: SqlClient) {
    if (!client || typeof client.query !== 'function') {
      throw new TypeError(
        '[daraja] PostgresPaymentStore needs a client with query(text, params): a pg Pool or Client, or PGlite.',
      );
    }
    this.#db = client;
  }

  /**
   * Apply the schema migrations that are not applied yet. Safe to call on every start-up and from several
   * instances at once (an advisory lock serialises them). Until it has run, every other method throws a
   * {@link DarajaConfigError} saying so (the tables do not exist), rather than the database's raw error.
   *
   * @returns The versions that were missing when the call started, all applied now (when instances
   * migrate at the same time, each may list a version that another one applied).
   */
  async migrate(): Promise<number[]> {
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      const before = await this.#appliedVersions();
      if (before.has(m.version)) continue;
      const statement = migrationStatement(m);
      if (typeof this.#db.exec === 'function') await this.#db.exec(statement);
      else await this.#db.query(statement);
      applied.push(m.version);
    }
    return applied;
  }

  async #appliedVersions(): Promise<Set<number>> {
    const exists = await this.#db.query(
      "SELECT to_regclass('daraja_schema_migrations') IS NOT NULL AS present",
    );
    if (!(exists.rows[0] as Row)?.['present']) return new Set();
    const { rows } = await this.#db.query('SELECT version FROM daraja_schema_migrations');
    return new Set(rows.map((r) => Number((r as Row)['version'])));
  }

  /** Run a query; a missing or outdated schema becomes a {@link DarajaConfigError} that says to migrate. */
  async #query(text: string, params: unknown[]): Promise<SqlResult> {
    try {
      return await this.#db.query(text, params);
    } catch (error) {
      throw schemaError(error) ?? error;
    }
  }

  async #one(text: string, params: unknown[]): Promise<Row | undefined> {
    const { rows } = await this.#query(text, params);
    return rows[0] as Row | undefined;
  }

  /** {@inheritDoc PaymentStore.create} */
  async create(p: NewPayment): Promise<CreateResult> {
    const row = await this.#one(
      `INSERT INTO daraja_payments
         (id, owner_id, amount, phone_number, account_reference, transaction_desc, metadata, idempotency_key,
          status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, 'pending', now(), now())
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        p.id,
        p.ownerId,
        p.amount,
        p.phoneNumber,
        p.accountReference,
        p.transactionDesc,
        JSON.stringify(p.metadata),
        p.idempotencyKey,
      ],
    );
    if (row) return { created: true, payment: toPayment(row) };
    const existing = await this.#one(`SELECT ${COLUMNS} FROM daraja_payments WHERE idempotency_key = $1`, [
      p.idempotencyKey,
    ]);
    if (!existing)
      throw new Error('[daraja] payment insert conflicted but no payment has its idempotency key');
    return { created: false, payment: toPayment(existing) };
  }

  /** {@inheritDoc PaymentStore.get} */
  async get(id: string): Promise<Payment | undefined> {
    const row = await this.#one(`SELECT ${COLUMNS} FROM daraja_payments WHERE id = $1`, [id]);
    return row ? toPayment(row) : undefined;
  }

  /** {@inheritDoc PaymentStore.getByCheckoutRequestId} */
  async getByCheckoutRequestId(checkoutRequestId: string): Promise<Payment | undefined> {
    const row = await this.#one(`SELECT ${COLUMNS} FROM daraja_payments WHERE checkout_request_id = $1`, [
      checkoutRequestId,
    ]);
    return row ? toPayment(row) : undefined;
  }

  /** {@inheritDoc PaymentStore.attachCheckout} */
  async attachCheckout(
    id: string,
    ids: { merchantRequestId: string; checkoutRequestId: string },
  ): Promise<Payment | undefined> {
    const row = await this.#one(
      `UPDATE daraja_payments
          SET checkout_request_id = $2, merchant_request_id = COALESCE(merchant_request_id, $3), updated_at = now()
        WHERE id = $1 AND checkout_request_id IS NULL
        RETURNING ${COLUMNS}`,
      [id, ids.checkoutRequestId, ids.merchantRequestId],
    );
    return row ? toPayment(row) : this.get(id);
  }

  /** {@inheritDoc PaymentStore.transition} */
  async transition(id: string, t: PaymentTransition): Promise<TransitionResult> {
    let row: Row | undefined;
    try {
      // Out of pending; or a final success correcting a status the flow reached on its own (a give-up).
      // In SET, column names read the row as it was before this update.
      row = await this.#one(
        `UPDATE daraja_payments
            SET status = $2, result_code = $3, result_desc = $4, mpesa_receipt_number = $5,
                merchant_request_id = COALESCE(merchant_request_id, $6),
                checkout_request_id = COALESCE(checkout_request_id, $7),
                callback = $8, settled_by = $9, final = $10,
                corrected_from = CASE WHEN status = 'pending' THEN NULL ELSE status END,
                completed_at = now(), updated_at = now()
          WHERE id = $1
            AND (status = 'pending'
                 OR ($2 = 'completed' AND $10 AND NOT final AND status <> 'completed'))
          RETURNING ${COLUMNS}`,
        [
          id,
          t.status,
          t.resultCode,
          t.resultDesc,
          t.mpesaReceiptNumber,
          t.merchantRequestId,
          t.checkoutRequestId,
          t.callback === null || t.callback === undefined ? null : JSON.stringify(t.callback),
          t.settledBy,
          t.final,
        ],
      );
    } catch (error) {
      const unique = uniqueViolation(error);
      if (unique === undefined) throw error;
      return {
        applied: false,
        payment: await this.get(id),
        reason: unique.includes('receipt') ? 'duplicate_receipt' : 'duplicate_checkout',
      };
    }
    if (row) return { applied: true, payment: toPayment(row) };
    const current = await this.get(id);
    return { applied: false, payment: current, reason: current ? 'not_pending' : 'not_found' };
  }

  /** {@inheritDoc PaymentStore.attachReceipt} */
  async attachReceipt(id: string, e: ReceiptEnrichment): Promise<EnrichmentResult> {
    let row: Row | undefined;
    try {
      row = await this.#one(
        `UPDATE daraja_payments
            SET mpesa_receipt_number = $2, callback = COALESCE(callback, $3),
                merchant_request_id = COALESCE(merchant_request_id, $4),
                checkout_request_id = COALESCE(checkout_request_id, $5), updated_at = now()
          WHERE id = $1 AND status = 'completed' AND mpesa_receipt_number IS NULL
          RETURNING ${COLUMNS}`,
        [
          id,
          e.mpesaReceiptNumber,
          e.callback === null || e.callback === undefined ? null : JSON.stringify(e.callback),
          e.merchantRequestId,
          e.checkoutRequestId,
        ],
      );
    } catch (error) {
      if (uniqueViolation(error) === undefined) throw error;
      return { applied: false, payment: await this.get(id), reason: 'duplicate_receipt' };
    }
    if (row) return { applied: true, payment: toPayment(row) };
    const current = await this.get(id);
    if (!current) return { applied: false, payment: undefined, reason: 'not_found' };
    return {
      applied: false,
      payment: current,
      reason: current.status !== 'completed' ? 'not_completed' : 'has_receipt',
    };
  }

  /** {@inheritDoc PaymentStore.claimFulfilment} */
  async claimFulfilment(
    id: string,
    options: { leaseMs: number; maxAttempts?: number },
  ): Promise<FulfilmentClaim | undefined> {
    const row = await this.#one(
      `UPDATE daraja_payments
          SET fulfilment_lease_until = now() + $2 * interval '1 millisecond',
              fulfilment_attempts = fulfilment_attempts + 1, fulfilment_claim = fulfilment_claim + 1,
              updated_at = now()
        WHERE id = $1 AND status = 'completed' AND fulfilled_at IS NULL
          AND ($3::integer IS NULL OR fulfilment_attempts < $3::integer)
          AND (fulfilment_lease_until IS NULL OR fulfilment_lease_until <= now())
        RETURNING ${COLUMNS}`,
      [id, options.leaseMs, options.maxAttempts ?? null],
    );
    return row ? toClaim(row) : undefined;
  }

  /** {@inheritDoc PaymentStore.renewFulfilment} */
  async renewFulfilment(id: string, token: string, leaseMs: number): Promise<boolean> {
    const row = await this.#one(
      `UPDATE daraja_payments SET fulfilment_lease_until = now() + $3 * interval '1 millisecond'
        WHERE id = $1 AND fulfilment_claim = $2::bigint AND fulfilled_at IS NULL
        RETURNING id`,
      [id, fencingToken(token), leaseMs],
    );
    return row !== undefined;
  }

  /** {@inheritDoc PaymentStore.completeFulfilment} */
  async completeFulfilment(id: string, token: string): Promise<boolean> {
    const row = await this.#one(
      `UPDATE daraja_payments
          SET fulfilled_at = now(), fulfilment_lease_until = NULL, last_fulfilment_error = NULL, updated_at = now()
        WHERE id = $1 AND fulfilment_claim = $2::bigint AND fulfilled_at IS NULL
        RETURNING id`,
      [id, fencingToken(token)],
    );
    return row !== undefined;
  }

  /** {@inheritDoc PaymentStore.releaseFulfilment} */
  async releaseFulfilment(
    id: string,
    token: string,
    failure: { error: string; retryAfterMs: number },
  ): Promise<boolean> {
    const row = await this.#one(
      `UPDATE daraja_payments
          SET fulfilment_lease_until = now() + $4 * interval '1 millisecond', last_fulfilment_error = $3
        WHERE id = $1 AND fulfilment_claim = $2::bigint AND fulfilled_at IS NULL
        RETURNING id`,
      [id, fencingToken(token), failure.error, failure.retryAfterMs],
    );
    return row !== undefined;
  }

  /** {@inheritDoc PaymentStore.claimDuePending} */
  async claimDuePending(o: {
    olderThanMs: number;
    limit: number;
    recheckMs: number;
    maxRecheckMs: number;
  }): Promise<DuePendingClaim> {
    const { rows } = await this.#query(
      `UPDATE daraja_payments p
          SET next_check_at = now() + LEAST($3 * power(2, LEAST(p.status_checks, 40)), $4) * interval '1 millisecond',
              status_checks = p.status_checks + 1
         FROM (SELECT id, COALESCE(next_check_at, created_at) AS due FROM daraja_payments
                WHERE status = 'pending' AND created_at <= now() - $1 * interval '1 millisecond'
                  AND COALESCE(next_check_at, created_at) <= now()
                ORDER BY COALESCE(next_check_at, created_at)
                LIMIT $2
                FOR UPDATE SKIP LOCKED) d
        WHERE p.id = d.id
        RETURNING p.*, d.due AS due_at, now() AS store_now`,
      [o.olderThanMs, Math.max(0, o.limit), o.recheckMs, o.maxRecheckMs],
    );
    const list = (rows as Row[]).sort(
      (a, b) => toDate(a['due_at'])!.getTime() - toDate(b['due_at'])!.getTime(),
    );
    const now = list.length > 0 ? toDate(list[0]!['store_now'])! : await this.#storeNow();
    const payments = list.map(toPayment);
    return { now, payments };
  }

  async #storeNow(): Promise<Date> {
    const row = await this.#one('SELECT now() AS now', []);
    return toDate(row?.['now'])!;
  }

  /** {@inheritDoc PaymentStore.claimDueFulfilments} */
  async claimDueFulfilments(o: {
    leaseMs: number;
    limit: number;
    maxAttempts: number;
  }): Promise<FulfilmentClaim[]> {
    const { rows } = await this.#query(
      `UPDATE daraja_payments p
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
        RETURNING p.*`,
      [o.leaseMs, Math.max(0, o.limit), o.maxAttempts],
    );
    return (rows as Row[]).map(toClaim);
  }

  /** {@inheritDoc PaymentStore.recordCallback} */
  async recordCallback(e: CallbackEvent): Promise<void> {
    await this.#query(
      `INSERT INTO daraja_callback_events
         (id, received_at, outcome, reason, payment_id, checkout_request_id, remote_address, body, body_bytes,
          body_sha256)
       VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (id) DO NOTHING`,
      [
        e.id,
        e.receivedAt.toISOString(),
        e.outcome,
        e.reason,
        e.paymentId,
        e.checkoutRequestId,
        e.remoteAddress,
        e.body === null || e.body === undefined ? null : JSON.stringify(e.body),
        e.bodyBytes,
        e.bodySha256,
      ],
    );
  }

  /** {@inheritDoc PaymentStore.listCallbacks} */
  async listCallbacks(filter: { paymentId?: string; limit?: number } = {}): Promise<CallbackEvent[]> {
    const limit = filter.limit ?? 1000;
    const { rows } =
      filter.paymentId === undefined
        ? await this.#query('SELECT * FROM daraja_callback_events ORDER BY received_at, id LIMIT $1', [limit])
        : await this.#query(
            'SELECT * FROM daraja_callback_events WHERE payment_id = $1 ORDER BY received_at, id LIMIT $2',
            [filter.paymentId, limit],
          );
    return (rows as Row[]).map(toEvent);
  }

  /** {@inheritDoc PaymentStore.pruneRejectedCallbacks} */
  async pruneRejectedCallbacks(options: { olderThanMs: number }): Promise<number> {
    const { rows } = await this.#query(
      `DELETE FROM daraja_callback_events
        WHERE outcome = 'rejected' AND payment_id IS NULL AND body IS NULL
          AND received_at < now() - $1 * interval '1 millisecond'
        RETURNING id`,
      [options.olderThanMs],
    );
    return rows.length;
  }
}

/** The fencing token of a claim, as the integer it stands for (a malformed token matches no claim). */
function fencingToken(token: string): string {
  return /^\d{1,18}$/.test(token) ? token : '-1';
}
