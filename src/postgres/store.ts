import type {
  CallbackEvent,
  CreateResult,
  NewPayment,
  Payment,
  PaymentStore,
  PaymentTransition,
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
const iso = (d: Date) => d.toISOString();

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
    merchantRequestId: (r['merchant_request_id'] as string | null) ?? null,
    checkoutRequestId: (r['checkout_request_id'] as string | null) ?? null,
    mpesaReceiptNumber: (r['mpesa_receipt_number'] as string | null) ?? null,
    resultCode: (r['result_code'] as string | null) ?? null,
    resultDesc: (r['result_desc'] as string | null) ?? null,
    callback: fromJsonText(r['callback']),
    settledBy: (r['settled_by'] as Payment['settledBy']) ?? null,
    createdAt: toDate(r['created_at'])!,
    updatedAt: toDate(r['updated_at'])!,
    completedAt: toDate(r['completed_at']),
    fulfilledAt: toDate(r['fulfilled_at']),
    fulfilmentAttempts: Number(r['fulfilment_attempts'] ?? 0),
    lastFulfilmentError: (r['last_fulfilment_error'] as string | null) ?? null,
  };
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
  };
}

function uniqueViolation(error: unknown): string | undefined {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown; detail?: unknown };
  if (e?.code !== '23505') return undefined;
  return `${String(e.constraint ?? '')} ${String(e.message ?? '')} ${String(e.detail ?? '')}`;
}

const COLUMNS = '*';

/**
 * A {@link PaymentStore} on PostgreSQL, for any client with `query(text, params)`: `pg.Pool`,
 * `pg.Client` or PGlite. Every operation is one atomic statement (a conditional `UPDATE … WHERE …`,
 * `INSERT … ON CONFLICT`, or a claim with `FOR UPDATE SKIP LOCKED`), so any number of app instances can
 * share the database. Unique constraints guard `checkout_request_id`, `mpesa_receipt_number` and
 * `idempotency_key`. Call {@link PostgresPaymentStore.migrate} once at start-up.
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
   * instances at once (an advisory lock serialises them).
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

  async #one(text: string, params: unknown[]): Promise<Row | undefined> {
    const { rows } = await this.#db.query(text, params);
    return rows[0] as Row | undefined;
  }

  /** {@inheritDoc PaymentStore.create} */
  async create(p: NewPayment): Promise<CreateResult> {
    const row = await this.#one(
      `INSERT INTO daraja_payments
         (id, owner_id, amount, phone_number, account_reference, transaction_desc, metadata, idempotency_key,
          status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, 'pending', $9::timestamptz, $9::timestamptz)
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
        iso(p.createdAt),
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
    at: Date,
  ): Promise<Payment | undefined> {
    const row = await this.#one(
      `UPDATE daraja_payments
          SET checkout_request_id = $2, merchant_request_id = COALESCE(merchant_request_id, $3), updated_at = $4::timestamptz
        WHERE id = $1 AND checkout_request_id IS NULL
        RETURNING ${COLUMNS}`,
      [id, ids.checkoutRequestId, ids.merchantRequestId, iso(at)],
    );
    return row ? toPayment(row) : this.get(id);
  }

  /** {@inheritDoc PaymentStore.transition} */
  async transition(id: string, t: PaymentTransition): Promise<TransitionResult> {
    let row: Row | undefined;
    try {
      row = await this.#one(
        `UPDATE daraja_payments
            SET status = $2, result_code = $3, result_desc = $4, mpesa_receipt_number = $5,
                merchant_request_id = COALESCE(merchant_request_id, $6),
                checkout_request_id = COALESCE(checkout_request_id, $7),
                callback = $8, settled_by = $9, completed_at = $10::timestamptz, updated_at = $10::timestamptz
          WHERE id = $1 AND status = 'pending'
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
          iso(t.at),
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

  /** {@inheritDoc PaymentStore.claimFulfilment} */
  async claimFulfilment(id: string, now: Date, leaseUntil: Date): Promise<Payment | undefined> {
    const row = await this.#one(
      `UPDATE daraja_payments
          SET fulfilment_lease_until = $3::timestamptz, fulfilment_attempts = fulfilment_attempts + 1, updated_at = $2::timestamptz
        WHERE id = $1 AND status = 'completed' AND fulfilled_at IS NULL
          AND (fulfilment_lease_until IS NULL OR fulfilment_lease_until <= $2::timestamptz)
        RETURNING ${COLUMNS}`,
      [id, iso(now), iso(leaseUntil)],
    );
    return row ? toPayment(row) : undefined;
  }

  /** {@inheritDoc PaymentStore.completeFulfilment} */
  async completeFulfilment(id: string, at: Date): Promise<boolean> {
    const row = await this.#one(
      `UPDATE daraja_payments
          SET fulfilled_at = $2::timestamptz, fulfilment_lease_until = NULL, last_fulfilment_error = NULL, updated_at = $2::timestamptz
        WHERE id = $1 AND fulfilled_at IS NULL
        RETURNING id`,
      [id, iso(at)],
    );
    return row !== undefined;
  }

  /** {@inheritDoc PaymentStore.releaseFulfilment} */
  async releaseFulfilment(id: string, error: string, retryAt: Date): Promise<void> {
    await this.#db.query(
      `UPDATE daraja_payments SET fulfilment_lease_until = $3::timestamptz, last_fulfilment_error = $2
        WHERE id = $1 AND fulfilled_at IS NULL`,
      [id, error, iso(retryAt)],
    );
  }

  /** {@inheritDoc PaymentStore.claimDuePending} */
  async claimDuePending(o: {
    createdBefore: Date;
    now: Date;
    nextCheckAt: Date;
    limit: number;
  }): Promise<Payment[]> {
    const { rows } = await this.#db.query(
      `UPDATE daraja_payments p SET next_check_at = $3::timestamptz
        WHERE p.id IN (
          SELECT id FROM daraja_payments
           WHERE status = 'pending' AND created_at <= $1::timestamptz
             AND (next_check_at IS NULL OR next_check_at <= $2::timestamptz)
           ORDER BY created_at
           LIMIT $4
           FOR UPDATE SKIP LOCKED)
        RETURNING p.*`,
      [iso(o.createdBefore), iso(o.now), iso(o.nextCheckAt), o.limit],
    );
    return (rows as Row[]).map(toPayment).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** {@inheritDoc PaymentStore.claimDueFulfilments} */
  async claimDueFulfilments(o: { now: Date; leaseUntil: Date; limit: number }): Promise<Payment[]> {
    const { rows } = await this.#db.query(
      `UPDATE daraja_payments p
          SET fulfilment_lease_until = $2::timestamptz, fulfilment_attempts = p.fulfilment_attempts + 1, updated_at = $1::timestamptz
        WHERE p.id IN (
          SELECT id FROM daraja_payments
           WHERE status = 'completed' AND fulfilled_at IS NULL
             AND (fulfilment_lease_until IS NULL OR fulfilment_lease_until <= $1::timestamptz)
           ORDER BY completed_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING p.*`,
      [iso(o.now), iso(o.leaseUntil), o.limit],
    );
    return (rows as Row[]).map(toPayment);
  }

  /** {@inheritDoc PaymentStore.recordCallback} */
  async recordCallback(e: CallbackEvent): Promise<void> {
    await this.#db.query(
      `INSERT INTO daraja_callback_events
         (id, received_at, outcome, reason, payment_id, checkout_request_id, remote_address, body)
       VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8)`,
      [
        e.id,
        iso(e.receivedAt),
        e.outcome,
        e.reason,
        e.paymentId,
        e.checkoutRequestId,
        e.remoteAddress,
        JSON.stringify(e.body ?? null),
      ],
    );
  }

  /** {@inheritDoc PaymentStore.listCallbacks} */
  async listCallbacks(filter: { paymentId?: string; limit?: number } = {}): Promise<CallbackEvent[]> {
    const limit = filter.limit ?? 1000;
    const { rows } =
      filter.paymentId === undefined
        ? await this.#db.query('SELECT * FROM daraja_callback_events ORDER BY received_at, id LIMIT $1', [
            limit,
          ])
        : await this.#db.query(
            'SELECT * FROM daraja_callback_events WHERE payment_id = $1 ORDER BY received_at, id LIMIT $2',
            [filter.paymentId, limit],
          );
    return (rows as Row[]).map(toEvent);
  }
}
