import type { DarajaConfigError } from '../core/errors.js';
import { appliedOutcome } from '../payments/settlement.js';
import type * as contract from '../payments/types.js';
import { Db, type Run } from './db.js';
import { duplicateKey } from './failures.js';
import type { MySqlPool, MySqlWriteResult } from './pool.js';
import { settleValues } from './procedures.js';
import {
  fencingToken,
  ms,
  type Row,
  toClaim,
  toDate,
  toDateTime,
  toEvent,
  toJsonText,
  toPayment,
} from './rows.js';
import * as SQL from './sql.js';

/** Options of {@link MySqlPaymentStore}. */
export interface MySqlPaymentStoreOptions {
  /**
   * Milliseconds each statement may take before the store gives up on it (mysql2 closes that connection):
   * a frozen server is then an error, never a hang. @defaultValue 10000
   */
  queryTimeoutMs?: number;
}

/**
 * A {@link PaymentStore} on MySQL 8.0+ or MariaDB 10.6+, over the user's mysql2 promise pool. Each write
 * is a short InnoDB transaction: the payment row is locked (`SELECT … FOR UPDATE`), changed by conditional
 * `UPDATE … WHERE …` statements, and committed; claims take rows with `FOR UPDATE SKIP LOCKED`. So any
 * number of app instances can share the database. Leases and ages use the database's `UTC_TIMESTAMP(3)`.
 * Unique keys guard `checkout_request_id`, `mpesa_receipt_number` and `idempotency_key`. Call
 * {@link MySqlPaymentStore.migrate} once at start-up; without it every operation throws a
 * {@link DarajaConfigError} saying so.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * import { MySqlPaymentStore } from 'daraja-sdk/mysql';
 *
 * const store = new MySqlPaymentStore(mysql.createPool(process.env.MYSQL_URL!));
 * await store.migrate();
 * ```
 */
export class MySqlPaymentStore implements contract.PaymentStore {
  readonly #db: Db;

  /**
   * @param pool - A mysql2 promise pool (`mysql2/promise`), or anything with its `query` and `getConnection`.
   * @param options - The statement timeout.
   */
  constructor(pool: MySqlPool, options: MySqlPaymentStoreOptions = {}) {
    if (!pool || typeof pool.query !== 'function' || typeof pool.getConnection !== 'function') {
      throw new TypeError(
        '[daraja] MySqlPaymentStore needs a mysql2 promise pool: mysql.createPool(…) from mysql2/promise.',
      );
    }
    this.#db = new Db(pool, options.queryTimeoutMs ?? 10_000);
  }

  /**
   * Apply the schema migrations that are not applied yet. Safe to call on every start-up and from several
   * instances at once (`GET_LOCK` serialises them, per database). Until it has run, every other method
   * throws a {@link DarajaConfigError} saying so.
   *
   * @returns The versions this call applied.
   */
  async migrate(): Promise<number[]> {
    return this.#db.migrate();
  }

  /** {@inheritDoc PaymentStore.create} */
  async create(p: contract.NewPayment): Promise<contract.CreateResult> {
    const values = [p.id, p.ownerId, p.amount, p.phoneNumber, p.accountReference, p.transactionDesc];
    try {
      await this.#db.rows(SQL.INSERT_PAYMENT, [...values, JSON.stringify(p.metadata), p.idempotencyKey]);
    } catch (error) {
      if (!duplicateKey(error)?.includes('daraja_payments_idempotency_key')) throw error;
      const [existing] = await this.#db.rows(SQL.SELECT_BY_IDEMPOTENCY_KEY, [p.idempotencyKey]);
      if (!existing)
        throw new Error('[daraja] payment insert conflicted but no payment has its idempotency key');
      return { created: false, payment: toPayment(existing) };
    }
    return { created: true, payment: (await this.get(p.id))! };
  }

  /** {@inheritDoc PaymentStore.get} */
  async get(id: string): Promise<contract.Payment | undefined> {
    const [row] = await this.#db.rows(SQL.SELECT_BY_ID, [id]);
    return row ? toPayment(row) : undefined;
  }

  /** {@inheritDoc PaymentStore.getByCheckoutRequestId} */
  async getByCheckoutRequestId(checkoutRequestId: string): Promise<contract.Payment | undefined> {
    const [row] = await this.#db.rows(SQL.SELECT_BY_CHECKOUT, [checkoutRequestId]);
    return row ? toPayment(row) : undefined;
  }

  /** {@inheritDoc PaymentStore.attachCheckout} */
  async attachCheckout(
    id: string,
    ids: { merchantRequestId: string; checkoutRequestId: string },
  ): Promise<contract.Payment | undefined> {
    await this.#db.rows(SQL.ATTACH_CHECKOUT, [ids.checkoutRequestId, ids.merchantRequestId, id]);
    return this.get(id);
  }

  /** Apply a transition to a row this transaction locked; whether it applied. */
  async #transition(run: Run, id: string, t: contract.PaymentTransition): Promise<boolean> {
    const result = (await run(SQL.TRANSITION, [
      t.status,
      t.resultCode,
      t.resultDesc,
      t.mpesaReceiptNumber,
      t.merchantRequestId,
      t.checkoutRequestId,
      toJsonText(t.callback),
      t.settledBy,
      t.final,
      id,
      t.status,
      t.final,
    ])) as MySqlWriteResult;
    return result.affectedRows === 1;
  }

  /** {@inheritDoc PaymentStore.transition} */
  async transition(id: string, t: contract.PaymentTransition): Promise<contract.TransitionResult> {
    try {
      return await this.#db.tx(async (run) => {
        // The UPDATE locks the row it changes: the read after it sees the state it made.
        const applied = await this.#transition(run, id, t);
        const [row] = (await run(SQL.SELECT_BY_ID, [id])) as Row[];
        if (!row) return { applied: false, payment: undefined, reason: 'not_found' as const };
        if (!applied) return { applied: false, payment: toPayment(row), reason: 'not_pending' as const };
        return { applied: true, payment: toPayment(row) };
      });
    } catch (error) {
      const duplicate = duplicateKey(error);
      if (duplicate === undefined) throw error;
      return {
        applied: false,
        payment: await this.get(id),
        reason: duplicate.includes('receipt') ? 'duplicate_receipt' : 'duplicate_checkout',
      };
    }
  }

  /** {@inheritDoc PaymentStore.attachReceipt} */
  async attachReceipt(id: string, e: contract.ReceiptEnrichment): Promise<contract.EnrichmentResult> {
    let applied: boolean;
    try {
      const result = (await this.#db.run(SQL.ATTACH_RECEIPT, [
        e.mpesaReceiptNumber,
        toJsonText(e.callback),
        e.merchantRequestId,
        e.checkoutRequestId,
        id,
      ])) as MySqlWriteResult;
      applied = result.affectedRows === 1;
    } catch (error) {
      if (duplicateKey(error) === undefined) throw error;
      return { applied: false, payment: await this.get(id), reason: 'duplicate_receipt' };
    }
    const current = await this.get(id);
    if (applied) return { applied: true, payment: current };
    if (!current) return { applied: false, payment: undefined, reason: 'not_found' };
    return {
      applied: false,
      payment: current,
      reason: current.status !== 'completed' ? 'not_completed' : 'has_receipt',
    };
  }

  /** Claim the fulfilment of a row in this transaction; the claimed row, if taken. */
  async #claim(run: Run, id: string, o: { leaseMs: number; maxAttempts?: number }): Promise<Row | undefined> {
    const cap = o.maxAttempts ?? null;
    const result = (await run(SQL.CLAIM_FULFILMENT, [ms(o.leaseMs), id, cap, cap])) as MySqlWriteResult;
    if (result.affectedRows !== 1) return undefined;
    return ((await run(SQL.SELECT_BY_ID, [id])) as Row[])[0];
  }

  /** {@inheritDoc PaymentStore.claimFulfilment} */
  async claimFulfilment(
    id: string,
    options: { leaseMs: number; maxAttempts?: number },
  ): Promise<contract.FulfilmentClaim | undefined> {
    const row = await this.#db.tx((run) => this.#claim(run, id, options));
    return row ? toClaim(row) : undefined;
  }

  async #fenced(sql: string, values: unknown[]): Promise<boolean> {
    const result = (await this.#db.run(sql, values)) as MySqlWriteResult;
    return result.affectedRows === 1;
  }

  /** {@inheritDoc PaymentStore.renewFulfilment} */
  async renewFulfilment(id: string, token: string, leaseMs: number): Promise<boolean> {
    return this.#fenced(SQL.RENEW_FULFILMENT, [ms(leaseMs), id, fencingToken(token)]);
  }

  /** {@inheritDoc PaymentStore.completeFulfilment} */
  async completeFulfilment(id: string, token: string): Promise<boolean> {
    return this.#fenced(SQL.COMPLETE_FULFILMENT, [id, fencingToken(token)]);
  }

  /** {@inheritDoc PaymentStore.releaseFulfilment} */
  async releaseFulfilment(
    id: string,
    token: string,
    failure: { error: string; retryAfterMs: number },
  ): Promise<boolean> {
    return this.#fenced(SQL.RELEASE_FULFILMENT, [
      ms(failure.retryAfterMs),
      failure.error,
      id,
      fencingToken(token),
    ]);
  }

  /** The rows with these ids, in this order. */
  async #byIds(run: Run, ids: string[]): Promise<Row[]> {
    const rows = (await run(SQL.SELECT_BY_IDS, [ids])) as Row[];
    const byId = new Map(rows.map((r) => [String(r['id']), r]));
    return ids.map((id) => byId.get(id)!);
  }

  /** {@inheritDoc PaymentStore.claimDuePending} */
  async claimDuePending(o: {
    olderThanMs: number;
    limit: number;
    recheckMs: number;
    maxRecheckMs: number;
  }): Promise<contract.DuePendingClaim> {
    return this.#db.tx(async (run) => {
      const locked = (await run(SQL.LOCK_DUE_PENDING(limitOf(o.limit)), [ms(o.olderThanMs)])) as Row[];
      if (locked.length === 0) {
        const [row] = (await run(SQL.SELECT_NOW)) as Row[];
        return { now: toDate(row?.['now'])!, payments: [] };
      }
      const ids = locked.map((r) => String(r['id']));
      await run(SQL.BACK_OFF_PENDING, [ms(o.recheckMs), ms(o.maxRecheckMs), ids]);
      const rows = await this.#byIds(run, ids);
      return { now: toDate(locked[0]!['store_now'])!, payments: rows.map(toPayment) };
    }, READ_COMMITTED);
  }

  /** {@inheritDoc PaymentStore.claimDueFulfilments} */
  async claimDueFulfilments(o: {
    leaseMs: number;
    limit: number;
    maxAttempts: number;
  }): Promise<contract.FulfilmentClaim[]> {
    return this.#db.tx(async (run) => {
      const locked = (await run(SQL.LOCK_DUE_FULFILMENTS(limitOf(o.limit)), [o.maxAttempts])) as Row[];
      if (locked.length === 0) return [];
      const ids = locked.map((r) => String(r['id']));
      await run(SQL.CLAIM_FULFILMENTS, [ms(o.leaseMs), ids]);
      return (await this.#byIds(run, ids)).map(toClaim);
    }, READ_COMMITTED);
  }

  /** {@inheritDoc PaymentStore.settleCallback} */
  async settleCallback(s: contract.CallbackSettlement): Promise<contract.CallbackSettlementResult> {
    let row: Row | undefined;
    try {
      row = await this.#settle(s);
    } catch (error) {
      // A receipt or CheckoutRequestID another payment holds: nothing was written; the caller decides.
      if (duplicateKey(error) === undefined) throw error;
      const { find } = s;
      const payment =
        'id' in find ? await this.get(find.id) : await this.getByCheckoutRequestId(find.checkoutRequestId);
      return { outcome: payment ? 'not_settled' : 'not_found', payment };
    }
    if (!row) return { outcome: 'not_found', payment: undefined };
    const payment = toPayment(row);
    const settlement = row['settlement'] as 'applied' | 'duplicate' | 'not_settled';
    if (settlement !== 'applied') return { outcome: settlement, payment };
    const claimed = Number(row['claimed']) === 1;
    return { outcome: appliedOutcome(payment).outcome, payment, claim: claimed ? toClaim(row) : undefined };
  }

  /** One call of the settlement procedure (see `procedures.ts`), run again after a deadlock. */
  async #settle(s: contract.CallbackSettlement): Promise<Row | undefined> {
    const values = settleValues(s);
    const sets = (await this.#db.retrying(() => this.#db.run(SQL.CALL_SETTLE, values))) as unknown[];
    return (sets[0] as Row[])[0];
  }

  async #record(run: Run, e: contract.CallbackEvent): Promise<void> {
    await run(SQL.INSERT_CALLBACK_EVENT, [
      e.id,
      toDateTime(e.receivedAt),
      e.outcome,
      e.reason,
      e.paymentId,
      e.checkoutRequestId,
      e.remoteAddress,
      toJsonText(e.body),
      e.bodyBytes,
      e.bodySha256,
    ]);
  }

  /** {@inheritDoc PaymentStore.recordCallback} */
  async recordCallback(e: contract.CallbackEvent): Promise<void> {
    await this.#record(this.#db.runner(), e);
  }

  /** {@inheritDoc PaymentStore.listCallbacks} */
  async listCallbacks(
    filter: { paymentId?: string; limit?: number } = {},
  ): Promise<contract.CallbackEvent[]> {
    const limit = limitOf(filter.limit ?? 1000);
    const rows =
      filter.paymentId === undefined
        ? await this.#db.rows(SQL.LIST_CALLBACK_EVENTS(limit))
        : await this.#db.rows(SQL.LIST_PAYMENT_CALLBACK_EVENTS(limit), [filter.paymentId]);
    return rows.map(toEvent);
  }

  /** {@inheritDoc PaymentStore.pruneRejectedCallbacks} */
  async pruneRejectedCallbacks(options: { olderThanMs: number }): Promise<number> {
    const result = (await this.#db.run(SQL.PRUNE_REJECTED_CALLBACKS, [
      ms(options.olderThanMs),
    ])) as MySqlWriteResult;
    return result.affectedRows;
  }
}

/** The claims' transactions (see `Db.tx`). */
const READ_COMMITTED = { readCommitted: true } as const;

/** A row limit as the integer inlined in a statement (never negative, never fractional). */
function limitOf(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}
