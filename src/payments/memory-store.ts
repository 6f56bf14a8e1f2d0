import type {
  CallbackEvent,
  CreateResult,
  NewPayment,
  Payment,
  PaymentStore,
  PaymentTransition,
  TransitionResult,
} from './types.js';

interface Row extends Payment {
  fulfilmentLeaseUntil: Date | null;
  nextCheckAt: Date | null;
}

const copyDate = (d: Date | null) => (d === null ? null : new Date(d.getTime()));

/** Deep-freeze a JSON value (iteratively), so stored copies can be shared with readers safely. */
function frozenCopy<T>(value: T): T {
  const copy = structuredClone(value);
  const stack: unknown[] = [copy];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const child of Object.values(v)) stack.push(child);
  }
  return copy;
}

/** What readers get: the payment without the store's lease fields. Nested JSON is frozen and shared. */
function publicCopy(row: Row): Payment {
  const { fulfilmentLeaseUntil: _lease, nextCheckAt: _next, ...payment } = row;
  payment.createdAt = new Date(row.createdAt.getTime());
  payment.updatedAt = new Date(row.updatedAt.getTime());
  payment.completedAt = copyDate(row.completedAt);
  payment.fulfilledAt = copyDate(row.fulfilledAt);
  return payment;
}

/**
 * A {@link PaymentStore} in this process's memory: for development, tests and single-process demos.
 * Every method runs its check and its write in one synchronous step, so each is atomic. Data is lost
 * when the process exits; use `PostgresPaymentStore` (or your own store) in production. The `metadata`
 * and `callback` objects it returns are frozen: copy them before changing them.
 */
export class MemoryPaymentStore implements PaymentStore {
  readonly #rows = new Map<string, Row>();
  readonly #byCheckout = new Map<string, string>();
  readonly #byReceipt = new Map<string, string>();
  readonly #byKey = new Map<string, string>();
  readonly #callbacks: CallbackEvent[] = [];

  /** {@inheritDoc PaymentStore.create} */
  async create(p: NewPayment): Promise<CreateResult> {
    if (p.idempotencyKey !== null) {
      const existing = this.#byKey.get(p.idempotencyKey);
      if (existing) return { created: false, payment: publicCopy(this.#rows.get(existing)!) };
    }
    if (this.#rows.has(p.id)) throw new Error(`[daraja] payment ${p.id} already exists`);
    const row: Row = {
      ...p,
      metadata: frozenCopy(p.metadata),
      createdAt: new Date(p.createdAt.getTime()),
      status: 'pending',
      merchantRequestId: null,
      checkoutRequestId: null,
      mpesaReceiptNumber: null,
      resultCode: null,
      resultDesc: null,
      callback: null,
      settledBy: null,
      updatedAt: p.createdAt,
      completedAt: null,
      fulfilledAt: null,
      fulfilmentAttempts: 0,
      lastFulfilmentError: null,
      fulfilmentLeaseUntil: null,
      nextCheckAt: null,
    };
    this.#rows.set(row.id, row);
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
    at: Date,
  ): Promise<Payment | undefined> {
    const row = this.#rows.get(id);
    if (!row) return undefined;
    if (row.checkoutRequestId === null) {
      const owner = this.#byCheckout.get(ids.checkoutRequestId);
      if (owner !== undefined && owner !== id)
        throw new Error('[daraja] checkoutRequestId already belongs to another payment');
      row.checkoutRequestId = ids.checkoutRequestId;
      row.merchantRequestId ??= ids.merchantRequestId;
      row.updatedAt = at;
      this.#byCheckout.set(ids.checkoutRequestId, id);
    }
    return publicCopy(row);
  }

  /** {@inheritDoc PaymentStore.transition} */
  async transition(id: string, t: PaymentTransition): Promise<TransitionResult> {
    const row = this.#rows.get(id);
    if (!row) return { applied: false, payment: undefined, reason: 'not_found' };
    if (row.status !== 'pending') return { applied: false, payment: publicCopy(row), reason: 'not_pending' };
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
    row.merchantRequestId ??= t.merchantRequestId;
    row.status = t.status;
    row.resultCode = t.resultCode;
    row.resultDesc = t.resultDesc;
    row.mpesaReceiptNumber = t.mpesaReceiptNumber;
    row.callback = frozenCopy(t.callback ?? null);
    row.settledBy = t.settledBy;
    row.completedAt = t.at;
    row.updatedAt = t.at;
    if (t.mpesaReceiptNumber !== null) this.#byReceipt.set(t.mpesaReceiptNumber, id);
    return { applied: true, payment: publicCopy(row) };
  }

  #claimable(row: Row, now: Date): boolean {
    return (
      row.status === 'completed' &&
      row.fulfilledAt === null &&
      (row.fulfilmentLeaseUntil === null || row.fulfilmentLeaseUntil.getTime() <= now.getTime())
    );
  }

  #claim(row: Row, now: Date, leaseUntil: Date): Payment {
    row.fulfilmentLeaseUntil = leaseUntil;
    row.fulfilmentAttempts += 1;
    row.updatedAt = now;
    return publicCopy(row);
  }

  /** {@inheritDoc PaymentStore.claimFulfilment} */
  async claimFulfilment(id: string, now: Date, leaseUntil: Date): Promise<Payment | undefined> {
    const row = this.#rows.get(id);
    return row && this.#claimable(row, now) ? this.#claim(row, now, leaseUntil) : undefined;
  }

  /** {@inheritDoc PaymentStore.completeFulfilment} */
  async completeFulfilment(id: string, at: Date): Promise<boolean> {
    const row = this.#rows.get(id);
    if (!row || row.fulfilledAt !== null) return false;
    row.fulfilledAt = at;
    row.fulfilmentLeaseUntil = null;
    row.lastFulfilmentError = null;
    row.updatedAt = at;
    return true;
  }

  /** {@inheritDoc PaymentStore.releaseFulfilment} */
  async releaseFulfilment(id: string, error: string, retryAt: Date): Promise<void> {
    const row = this.#rows.get(id);
    if (!row || row.fulfilledAt !== null) return;
    row.fulfilmentLeaseUntil = retryAt;
    row.lastFulfilmentError = error;
  }

  /** {@inheritDoc PaymentStore.claimDuePending} */
  async claimDuePending(o: {
    createdBefore: Date;
    now: Date;
    nextCheckAt: Date;
    limit: number;
  }): Promise<Payment[]> {
    const out: Payment[] = [];
    const rows = [...this.#rows.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    for (const row of rows) {
      if (out.length >= o.limit) break;
      if (row.status !== 'pending' || row.createdAt.getTime() > o.createdBefore.getTime()) continue;
      if (row.nextCheckAt !== null && row.nextCheckAt.getTime() > o.now.getTime()) continue;
      row.nextCheckAt = o.nextCheckAt;
      out.push(publicCopy(row));
    }
    return out;
  }

  /** {@inheritDoc PaymentStore.claimDueFulfilments} */
  async claimDueFulfilments(o: { now: Date; leaseUntil: Date; limit: number }): Promise<Payment[]> {
    const out: Payment[] = [];
    for (const row of this.#rows.values()) {
      if (out.length >= o.limit) break;
      if (this.#claimable(row, o.now)) out.push(this.#claim(row, o.now, o.leaseUntil));
    }
    return out;
  }

  /** {@inheritDoc PaymentStore.recordCallback} */
  async recordCallback(event: CallbackEvent): Promise<void> {
    this.#callbacks.push(frozenCopy(event));
  }

  /** {@inheritDoc PaymentStore.listCallbacks} */
  async listCallbacks(filter: { paymentId?: string; limit?: number } = {}): Promise<CallbackEvent[]> {
    const list =
      filter.paymentId === undefined
        ? this.#callbacks
        : this.#callbacks.filter((e) => e.paymentId === filter.paymentId);
    return list
      .slice(0, filter.limit ?? list.length)
      .map((e) => ({ ...e, receivedAt: new Date(e.receivedAt.getTime()) }));
  }
}
