import {
  earliest,
  frozenCopy,
  MEMORY_SLICE,
  publicCopy,
  type Row,
  sliced,
  yieldToLoop,
} from './memory-rows.js';
import {
  appliedOutcome,
  type CallbackSettlement,
  type CallbackSettlementResult,
  settlementChecks,
} from './settlement.js';
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
} from './types.js';

/** Options of {@link MemoryPaymentStore}. */
export interface MemoryPaymentStoreOptions {
  /**
   * The store's clock: leases, claims and ages are measured against it (as PostgreSQL's `now()` is for
   * `PostgresPaymentStore`). For tests. @defaultValue `() => new Date()`
   */
  now?: () => Date;
}

/**
 * A {@link PaymentStore} in this process's memory: for development, tests and single-process demos.
 * Every method runs its check and its write in one synchronous step, so each is atomic. Data is lost
 * when the process exits; use `PostgresPaymentStore` (or your own store) in production. The `metadata`
 * and `callback` objects it returns are frozen: copy them before changing them.
 */
export class MemoryPaymentStore implements PaymentStore {
  readonly #rows = new Map<string, Row>();
  // What the claims scan: the pending payments, and the completed ones not yet fulfilled.
  readonly #pending = new Set<Row>();
  readonly #unfulfilled = new Set<Row>();
  readonly #byCheckout = new Map<string, string>();
  readonly #byReceipt = new Map<string, string>();
  readonly #byKey = new Map<string, string>();
  readonly #callbacks: CallbackEvent[] = [];
  readonly #callbackIds = new Set<string>();
  readonly #now: () => Date;

  /** @param options - The store's clock, for tests. */
  constructor(options: MemoryPaymentStoreOptions = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  #time(): number {
    return this.#now().getTime();
  }

  /** {@inheritDoc PaymentStore.create} */
  async create(p: NewPayment): Promise<CreateResult> {
    if (p.idempotencyKey !== null) {
      const existing = this.#byKey.get(p.idempotencyKey);
      if (existing) return { created: false, payment: publicCopy(this.#rows.get(existing)!) };
    }
    if (this.#rows.has(p.id)) throw new Error(`[daraja] payment ${p.id} already exists`);
    const now = this.#now();
    const row: Row = {
      id: p.id,
      ownerId: p.ownerId,
      amount: p.amount,
      phoneNumber: p.phoneNumber,
      accountReference: p.accountReference,
      transactionDesc: p.transactionDesc,
      metadata: frozenCopy(p.metadata),
      idempotencyKey: p.idempotencyKey,
      status: 'pending',
      final: false,
      correctedFrom: null,
      merchantRequestId: null,
      checkoutRequestId: null,
      mpesaReceiptNumber: null,
      resultCode: null,
      resultDesc: null,
      callback: null,
      settledBy: null,
      statusChecks: 0,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
      fulfilledAt: null,
      fulfilmentAttempts: 0,
      lastFulfilmentError: null,
      fulfilmentLeaseUntil: null,
      fulfilmentClaim: 0,
      nextCheckAt: null,
    };
    this.#rows.set(row.id, row);
    this.#pending.add(row);
    if (p.idempotencyKey !== null) this.#byKey.set(p.idempotencyKey, row.id);
    return { created: true, payment: publicCopy(row) };
  }

  /** {@inheritDoc PaymentStore.get} */
  async get(id: string): Promise<Payment | undefined> {
    const row = this.#rows.get(id);
    return row ? publicCopy(row) : undefined;
  }

  /** {@inheritDoc PaymentStore.getByCheckoutRequestId} */
  async getByCheckoutRequestId(checkoutRequestId: string): Promise<Payment | undefined> {
    const id = this.#byCheckout.get(checkoutRequestId);
    return id ? this.get(id) : undefined;
  }

  /** {@inheritDoc PaymentStore.attachCheckout} */
  async attachCheckout(
    id: string,
    ids: { merchantRequestId: string; checkoutRequestId: string },
  ): Promise<Payment | undefined> {
    const row = this.#rows.get(id);
    if (!row) return undefined;
    if (row.checkoutRequestId === null) {
      const owner = this.#byCheckout.get(ids.checkoutRequestId);
      if (owner !== undefined && owner !== id)
        throw new Error('[daraja] checkoutRequestId already belongs to another payment');
      row.checkoutRequestId = ids.checkoutRequestId;
      row.merchantRequestId ??= ids.merchantRequestId;
      row.updatedAt = this.#now();
      this.#byCheckout.set(ids.checkoutRequestId, id);
    }
    return publicCopy(row);
  }

  /** {@inheritDoc PaymentStore.transition} */
  async transition(id: string, t: PaymentTransition): Promise<TransitionResult> {
    return this.#transition(id, t);
  }

  #transition(id: string, t: PaymentTransition, callback?: unknown): TransitionResult {
    const row = this.#rows.get(id);
    if (!row) return { applied: false, payment: undefined, reason: 'not_found' };
    const correcting =
      row.status !== 'pending' &&
      !row.final &&
      t.final &&
      t.status === 'completed' &&
      row.status !== 'completed';
    if (row.status !== 'pending' && !correcting)
      return { applied: false, payment: publicCopy(row), reason: 'not_pending' };
    if (t.mpesaReceiptNumber !== null) {
      const owner = this.#byReceipt.get(t.mpesaReceiptNumber);
      if (owner !== undefined && owner !== id)
        return { applied: false, payment: publicCopy(row), reason: 'duplicate_receipt' };
    }
    if (row.checkoutRequestId === null && t.checkoutRequestId !== null) {
      const owner = this.#byCheckout.get(t.checkoutRequestId);
      if (owner !== undefined && owner !== id)
        return { applied: false, payment: publicCopy(row), reason: 'duplicate_checkout' };
      row.checkoutRequestId = t.checkoutRequestId;
      this.#byCheckout.set(t.checkoutRequestId, id);
    }
    const now = this.#now();
    row.correctedFrom = correcting ? row.status : null;
    row.merchantRequestId ??= t.merchantRequestId;
    row.status = t.status;
    this.#pending.delete(row);
    if (t.status === 'completed' && row.fulfilledAt === null) this.#unfulfilled.add(row);
    row.final = t.final;
    row.resultCode = t.resultCode;
    row.resultDesc = t.resultDesc;
    row.mpesaReceiptNumber = t.mpesaReceiptNumber;
    row.callback = callback === undefined ? frozenCopy(t.callback ?? null) : callback;
    row.settledBy = t.settledBy;
    row.completedAt = now;
    row.updatedAt = now;
    if (t.mpesaReceiptNumber !== null) this.#byReceipt.set(t.mpesaReceiptNumber, id);
    return { applied: true, payment: publicCopy(row) };
  }

  /** {@inheritDoc PaymentStore.attachReceipt} */
  async attachReceipt(id: string, e: ReceiptEnrichment): Promise<EnrichmentResult> {
    const row = this.#rows.get(id);
    if (!row) return { applied: false, payment: undefined, reason: 'not_found' };
    if (row.status !== 'completed')
      return { applied: false, payment: publicCopy(row), reason: 'not_completed' };
    if (row.mpesaReceiptNumber !== null)
      return { applied: false, payment: publicCopy(row), reason: 'has_receipt' };
    const owner = this.#byReceipt.get(e.mpesaReceiptNumber);
    if (owner !== undefined && owner !== id)
      return { applied: false, payment: publicCopy(row), reason: 'duplicate_receipt' };
    if (row.checkoutRequestId === null && e.checkoutRequestId !== null) {
      const checkoutOwner = this.#byCheckout.get(e.checkoutRequestId);
      if (checkoutOwner === undefined) {
        row.checkoutRequestId = e.checkoutRequestId;
        this.#byCheckout.set(e.checkoutRequestId, id);
      }
    }
    row.mpesaReceiptNumber = e.mpesaReceiptNumber;
    this.#byReceipt.set(e.mpesaReceiptNumber, id);
    row.merchantRequestId ??= e.merchantRequestId;
    if (row.callback === null) row.callback = frozenCopy(e.callback ?? null);
    row.updatedAt = this.#now();
    return { applied: true, payment: publicCopy(row) };
  }

  #claimable(row: Row, now: number, maxAttempts: number | undefined): boolean {
    return (
      row.status === 'completed' &&
      row.fulfilledAt === null &&
      (maxAttempts === undefined || row.fulfilmentAttempts < maxAttempts) &&
      (row.fulfilmentLeaseUntil === null || row.fulfilmentLeaseUntil <= now)
    );
  }

  #claim(row: Row, now: number, leaseMs: number): FulfilmentClaim {
    row.fulfilmentLeaseUntil = now + leaseMs;
    row.fulfilmentAttempts += 1;
    row.fulfilmentClaim += 1;
    row.updatedAt = new Date(now);
    return { payment: publicCopy(row), token: String(row.fulfilmentClaim) };
  }

  #holds(row: Row | undefined, token: string): row is Row {
    return row !== undefined && row.fulfilledAt === null && String(row.fulfilmentClaim) === token;
  }

  /** {@inheritDoc PaymentStore.claimFulfilment} */
  async claimFulfilment(
    id: string,
    options: { leaseMs: number; maxAttempts?: number },
  ): Promise<FulfilmentClaim | undefined> {
    const row = this.#rows.get(id);
    const now = this.#time();
    return row && this.#claimable(row, now, options.maxAttempts)
      ? this.#claim(row, now, options.leaseMs)
      : undefined;
  }

  /** {@inheritDoc PaymentStore.renewFulfilment} */
  async renewFulfilment(id: string, token: string, leaseMs: number): Promise<boolean> {
    const row = this.#rows.get(id);
    if (!this.#holds(row, token)) return false;
    row.fulfilmentLeaseUntil = this.#time() + leaseMs;
    return true;
  }

  /** {@inheritDoc PaymentStore.completeFulfilment} */
  async completeFulfilment(id: string, token: string): Promise<boolean> {
    const row = this.#rows.get(id);
    if (!this.#holds(row, token)) return false;
    const now = this.#now();
    row.fulfilledAt = now;
    this.#unfulfilled.delete(row);
    row.fulfilmentLeaseUntil = null;
    row.lastFulfilmentError = null;
    row.updatedAt = now;
    return true;
  }

  /** {@inheritDoc PaymentStore.releaseFulfilment} */
  async releaseFulfilment(
    id: string,
    token: string,
    failure: { error: string; retryAfterMs: number },
  ): Promise<boolean> {
    const row = this.#rows.get(id);
    if (!this.#holds(row, token)) return false;
    row.fulfilmentLeaseUntil = this.#time() + failure.retryAfterMs;
    row.lastFulfilmentError = failure.error;
    return true;
  }

  /** {@inheritDoc PaymentStore.claimDuePending} */
  async claimDuePending(o: {
    olderThanMs: number;
    limit: number;
    recheckMs: number;
    maxRecheckMs: number;
  }): Promise<DuePendingClaim> {
    // Served in slices of at most 1,000 payments with the event loop free between them; each payment is
    // claimed in one synchronous step, so no two calls claim it.
    const nowDate = this.#now();
    const now = nowDate.getTime();
    const taken = new Set<Row>(); // a zero recheck would leave a claimed payment due for the next slice
    const isDue = (row: Row) =>
      !taken.has(row) &&
      row.status === 'pending' &&
      row.createdAt.getTime() <= now - o.olderThanMs &&
      (row.nextCheckAt === null || row.nextCheckAt <= now);
    const dueAt = (row: Row) => row.nextCheckAt ?? row.createdAt.getTime();
    const claim = (row: Row) => {
      taken.add(row);
      row.nextCheckAt = now + Math.min(o.recheckMs * 2 ** row.statusChecks, o.maxRecheckMs);
      row.statusChecks += 1;
      return publicCopy(row);
    };
    const payments = await sliced(o.limit, (k) => earliest(this.#pending, k, isDue, dueAt).map(claim));
    return { now: nowDate, payments };
  }

  /** {@inheritDoc PaymentStore.claimDueFulfilments} */
  async claimDueFulfilments(o: {
    leaseMs: number;
    limit: number;
    maxAttempts: number;
  }): Promise<FulfilmentClaim[]> {
    const now = this.#time();
    const dueAt = (r: Row) => r.fulfilmentLeaseUntil ?? r.completedAt?.getTime() ?? 0;
    const taken = new Set<Row>(); // a zero lease would leave a claimed payment claimable for the next slice
    const due = (row: Row) => !taken.has(row) && this.#claimable(row, now, o.maxAttempts);
    return sliced(o.limit, (k) =>
      earliest(this.#unfulfilled, k, due, dueAt).map((row) => {
        taken.add(row);
        return this.#claim(row, now, o.leaseMs);
      }),
    );
  }

  /** {@inheritDoc PaymentStore.settleCallback} */
  async settleCallback(s: CallbackSettlement): Promise<CallbackSettlementResult> {
    const id = 'id' in s.find ? s.find.id : this.#byCheckout.get(s.find.checkoutRequestId);
    const row = id === undefined ? undefined : this.#rows.get(id);
    if (!row) return { outcome: 'not_found', payment: undefined };
    const { passes, duplicate } = settlementChecks(row, s);
    if (duplicate) {
      this.#record({ ...s.event, outcome: 'duplicate', reason: 'already_settled', paymentId: row.id });
      return { outcome: 'duplicate', payment: publicCopy(row) };
    }
    // The callback's body is usually its audit row's too: copied once for both.
    const body = frozenCopy(s.event.body);
    const callback = s.transition.callback === s.event.body ? body : undefined;
    const settled = passes ? this.#transition(row.id, s.transition, callback) : undefined;
    if (!settled?.applied) return { outcome: 'not_settled', payment: publicCopy(row) };
    const now = this.#time();
    const claim = this.#claimable(row, now, s.claim.maxAttempts)
      ? this.#claim(row, now, s.claim.leaseMs)
      : undefined;
    const { outcome, reason } = appliedOutcome(row);
    this.#record({ ...s.event, outcome, reason, paymentId: row.id }, body);
    return { outcome, payment: claim?.payment ?? settled.payment, claim };
  }

  /** {@inheritDoc PaymentStore.recordCallback} */
  async recordCallback(event: CallbackEvent): Promise<void> {
    this.#record(event);
  }

  #record(event: CallbackEvent, body: unknown = frozenCopy(event.body)): void {
    if (this.#callbackIds.has(event.id)) return; // a replay of an event already kept
    this.#callbackIds.add(event.id);
    this.#callbacks.push(Object.freeze({ ...event, receivedAt: new Date(event.receivedAt.getTime()), body }));
  }

  /** {@inheritDoc PaymentStore.listCallbacks} */
  async listCallbacks(filter: { paymentId?: string; limit?: number } = {}): Promise<CallbackEvent[]> {
    // Copied in slices of 10,000, with the event loop free between them.
    const list =
      filter.paymentId === undefined
        ? this.#callbacks.slice(0, filter.limit ?? this.#callbacks.length)
        : this.#callbacks.filter((e) => e.paymentId === filter.paymentId).slice(0, filter.limit);
    const copies: CallbackEvent[] = [];
    for (let i = 0; i < list.length; i += 10 * MEMORY_SLICE) {
      if (i > 0) await yieldToLoop();
      for (const e of list.slice(i, i + 10 * MEMORY_SLICE))
        copies.push({ ...e, receivedAt: new Date(e.receivedAt.getTime()) });
    }
    return copies;
  }

  /** {@inheritDoc PaymentStore.pruneRejectedCallbacks} */
  async pruneRejectedCallbacks(options: { olderThanMs: number }): Promise<number> {
    const cutoff = this.#time() - options.olderThanMs;
    const list = this.#callbacks;
    let kept = 0;
    for (const e of list) {
      const prunable =
        e.outcome === 'rejected' &&
        e.paymentId === null &&
        e.body === null &&
        e.receivedAt.getTime() < cutoff;
      if (!prunable) list[kept++] = e;
      else this.#callbackIds.delete(e.id);
    }
    const removed = list.length - kept;
    list.length = kept;
    return removed;
  }
}
