import type * as contract from '../payments/types.js';
import { type Doc, eventDocument, fencingToken, toClaim, toEvent, toPayment } from './documents.js';
import * as Q from './queries.js';

/** A BSON document as the store writes and reads it: fields by name. */
export type MongoDocument = Record<string, unknown>;

/**
 * The part of a MongoDB `Db` the store uses (the official driver's `Db` fits): its collections, and
 * `command` to read the server's clock when no claim returned it.
 */
export interface MongoDbLike {
  /** A collection by name (created on first write). */
  collection(name: string): MongoCollectionLike;
  /** Run a database command (the store sends `{ hello: 1 }`, whose `localTime` is the server's clock). */
  command(command: MongoDocument): Promise<MongoDocument>;
}

/** The collection methods the store calls, as the official driver (v6 or later) has them. */
export interface MongoCollectionLike {
  /** One document matching `filter`, or `null`. */
  findOne(filter: MongoDocument): Promise<MongoDocument | null>;
  /** The documents matching `filter`, sorted and limited. */
  find(filter: MongoDocument, options: { sort: MongoDocument; limit: number }): MongoCursorLike;
  /** Insert one document (fails with code 11000 on a duplicate key). */
  insertOne(document: MongoDocument): Promise<unknown>;
  /** Update one document atomically and return it (`returnDocument: 'after'`), or `null` if none matched. */
  findOneAndUpdate(
    filter: MongoDocument,
    update: MongoDocument[],
    options: {
      returnDocument: 'after';
      upsert?: boolean;
      sort?: MongoDocument;
      includeResultMetadata: false;
    },
  ): Promise<MongoDocument | null>;
  /** Delete every matching document. */
  deleteMany(filter: MongoDocument): Promise<MongoDeleteResultLike>;
  /** Create an index if it does not exist. */
  createIndex(keys: { [field: string]: 1 | -1 }, options: MongoDocument): Promise<string>;
}

/** The part of a `find` cursor the store uses. */
export interface MongoCursorLike {
  /** Every document of the cursor. */
  toArray(): Promise<MongoDocument[]>;
}

/** The part of a `deleteMany` result the store reads. */
export interface MongoDeleteResultLike {
  /** How many documents were deleted. */
  deletedCount?: number;
}

/** Options of {@link MongoPaymentStore}. */
export interface MongoPaymentStoreOptions {
  /**
   * Prefix of the two collections' names: `<prefix>payments` and `<prefix>callback_events`.
   * @defaultValue 'daraja_'
   */
  collectionPrefix?: string;
}

/** A duplicate-key error's index name (`code` 11000), else undefined. */
function duplicateKey(error: unknown): string | undefined {
  const e = error as { code?: unknown; message?: unknown; keyPattern?: unknown };
  if (e?.code !== 11000 && e?.code !== 11001) return undefined;
  return `${Object.keys((e.keyPattern as Doc | undefined) ?? {}).join(' ')} ${String(e.message ?? '')}`;
}

const AFTER = { returnDocument: 'after', includeResultMetadata: false } as const;

/**
 * A {@link PaymentStore} on MongoDB (4.2 or later), over your `Db` from the official `mongodb` driver
 * (v6 or later). Call {@link MongoPaymentStore.ensureIndexes} once at start-up: the unique indexes are
 * what keep ids, `CheckoutRequestID`s, receipts and idempotency keys unique across instances.
 *
 * **Atomicity.** Every method that changes a payment is one `findOneAndUpdate` on that payment's document,
 * which MongoDB applies atomically, with the state it expects in the filter (compare-and-set): a final
 * status Daraja gave is never overwritten, `unknown` is never turned into `failed`, and only a final
 * `completed` corrects a give-up. Leases, due checks and ages use the server's `$$NOW`, never this
 * process's clock. Claims of due work take one document per `findOneAndUpdate` (MongoDB has no
 * `SKIP LOCKED`), up to `limit`, so concurrent callers never get the same payment.
 *
 * **Across documents.** This store has no `settleCallback`: the flow then calls `transition`,
 * `claimFulfilment` and `recordCallback` in turn, each atomic on its own, and no transaction is used
 * (so a standalone server works). A crash between them applies nothing twice and loses no payment
 * state: a completed payment whose claim was not taken is found by `claimDueFulfilments` (it is due
 * from its completion), and the status it reached stays. What such a crash can lose is the callback's
 * audit row, unless the callback is delivered again (a journal replay, a repeated delivery): audit rows
 * are keyed by the event id, so that records it once, as a `duplicate` of the stored result. Making the
 * settlement and its audit row one atomic step needs a multi-document transaction (a replica set): not
 * done in this release.
 *
 * @example
 * ```ts
 * import { MongoClient } from 'mongodb';
 * import { MongoPaymentStore } from 'daraja-sdk/mongodb';
 *
 * const client = new MongoClient(process.env.MONGODB_URL!);
 * const store = new MongoPaymentStore(client.db('shop'));
 * await store.ensureIndexes();
 * ```
 */
export class MongoPaymentStore implements contract.PaymentStore {
  readonly #db: MongoDbLike;
  readonly #payments: MongoCollectionLike;
  readonly #events: MongoCollectionLike;

  /**
   * @param db - A `Db` of the official `mongodb` driver (`client.db(name)`), or anything with the same methods.
   * @param options - The collections' name prefix.
   */
  constructor(db: MongoDbLike, options: MongoPaymentStoreOptions = {}) {
    if (!db || typeof db.collection !== 'function') {
      throw new TypeError(
        '[daraja] MongoPaymentStore needs a MongoDB Db: new MongoPaymentStore(client.db(name)).',
      );
    }
    const prefix = options.collectionPrefix ?? 'daraja_';
    this.#db = db;
    this.#payments = db.collection(`${prefix}payments`);
    this.#events = db.collection(`${prefix}callback_events`);
  }

  /**
   * Create the store's indexes if they do not exist: unique on `idempotencyKey`, `checkoutRequestId`
   * and `mpesaReceiptNumber` (partial: only where set; `_id` is the payment id and the event id), and
   * those the claims and listings sort by. Safe on every start-up and from several instances.
   *
   * @returns The names of the indexes.
   */
  async ensureIndexes(): Promise<string[]> {
    const set = (field: string) => ({ partialFilterExpression: { [field]: { $type: 'string' } } });
    return Promise.all([
      this.#payments.createIndex(
        { idempotencyKey: 1 },
        { name: 'daraja_idempotency_key', unique: true, ...set('idempotencyKey') },
      ),
      this.#payments.createIndex(
        { checkoutRequestId: 1 },
        { name: 'daraja_checkout_request_id', unique: true, ...set('checkoutRequestId') },
      ),
      this.#payments.createIndex(
        { mpesaReceiptNumber: 1 },
        { name: 'daraja_mpesa_receipt_number', unique: true, ...set('mpesaReceiptNumber') },
      ),
      this.#payments.createIndex({ status: 1, nextCheckAt: 1 }, { name: 'daraja_due_checks' }),
      this.#payments.createIndex(
        { status: 1, fulfilledAt: 1, fulfilmentLeaseUntil: 1 },
        { name: 'daraja_due_fulfilments' },
      ),
      this.#events.createIndex({ receivedAt: 1, _id: 1 }, { name: 'daraja_events_received' }),
      this.#events.createIndex({ paymentId: 1, receivedAt: 1, _id: 1 }, { name: 'daraja_events_payment' }),
      this.#events.createIndex({ outcome: 1, receivedAt: 1 }, { name: 'daraja_events_outcome' }),
    ]);
  }

  #update(w: Q.Write, options: { upsert?: boolean; sort?: Doc } = {}): Promise<Doc | null> {
    return this.#payments.findOneAndUpdate(w.filter, w.update, { ...AFTER, ...options });
  }

  /** {@inheritDoc PaymentStore.create} */
  async create(p: contract.NewPayment): Promise<contract.CreateResult> {
    try {
      const doc = await this.#update(Q.createPayment(p), { upsert: true });
      if (doc) return { created: true, payment: toPayment(doc) };
    } catch (error) {
      const key = duplicateKey(error);
      if (key === undefined || !key.includes('idempotency') || p.idempotencyKey === null) throw error;
    }
    const existing =
      p.idempotencyKey === null ? null : await this.#payments.findOne({ idempotencyKey: p.idempotencyKey });
    if (!existing)
      throw new Error('[daraja] payment insert conflicted but no payment has its idempotency key');
    return { created: false, payment: toPayment(existing) };
  }

  /** {@inheritDoc PaymentStore.get} */
  async get(id: string): Promise<contract.Payment | undefined> {
    const doc = await this.#payments.findOne({ _id: id });
    return doc ? toPayment(doc) : undefined;
  }

  /** {@inheritDoc PaymentStore.getByCheckoutRequestId} */
  async getByCheckoutRequestId(checkoutRequestId: string): Promise<contract.Payment | undefined> {
    const doc = await this.#payments.findOne({ checkoutRequestId });
    return doc ? toPayment(doc) : undefined;
  }

  /** {@inheritDoc PaymentStore.attachCheckout} */
  async attachCheckout(
    id: string,
    ids: { merchantRequestId: string; checkoutRequestId: string },
  ): Promise<contract.Payment | undefined> {
    let doc: Doc | null;
    try {
      doc = await this.#update(Q.attachCheckout(id, ids));
    } catch (error) {
      if (duplicateKey(error) === undefined) throw error;
      throw new Error('[daraja] checkoutRequestId already belongs to another payment', { cause: error });
    }
    return doc ? toPayment(doc) : this.get(id);
  }

  /** Run a write; a duplicate key (code 11000) comes back as the index it hit, not as an error. */
  async #tryUpdate(w: Q.Write): Promise<[doc: Doc | null, duplicate?: string]> {
    try {
      return [await this.#update(w)];
    } catch (error) {
      const key = duplicateKey(error);
      if (key === undefined) throw error;
      return [null, key];
    }
  }

  /** {@inheritDoc PaymentStore.transition} */
  async transition(id: string, t: contract.PaymentTransition): Promise<contract.TransitionResult> {
    const [doc, duplicate] = await this.#tryUpdate(Q.transition(id, t));
    if (duplicate !== undefined) {
      const reason = /mpesaReceiptNumber|receipt/.test(duplicate)
        ? 'duplicate_receipt'
        : 'duplicate_checkout';
      return { applied: false, payment: await this.get(id), reason };
    }
    if (doc) return { applied: true, payment: toPayment(doc) };
    const current = await this.get(id);
    return { applied: false, payment: current, reason: current ? 'not_pending' : 'not_found' };
  }

  /** {@inheritDoc PaymentStore.claimFulfilment} */
  async claimFulfilment(
    id: string,
    options: { leaseMs: number; maxAttempts?: number },
  ): Promise<contract.FulfilmentClaim | undefined> {
    const doc = await this.#update(Q.claimFulfilment(id, options.leaseMs, options.maxAttempts));
    return doc ? toClaim(doc) : undefined;
  }

  /** {@inheritDoc PaymentStore.attachReceipt} */
  async attachReceipt(id: string, e: contract.ReceiptEnrichment): Promise<contract.EnrichmentResult> {
    const [doc, duplicate] = await this.#tryUpdate(Q.attachReceipt(id, e));
    if (duplicate !== undefined)
      return { applied: false, payment: await this.get(id), reason: 'duplicate_receipt' };
    if (doc) return { applied: true, payment: toPayment(doc) };
    const payment = await this.get(id);
    if (payment === undefined) return { applied: false, payment, reason: 'not_found' };
    const reason = payment.status === 'completed' ? 'has_receipt' : 'not_completed';
    return { applied: false, payment, reason };
  }

  /** {@inheritDoc PaymentStore.renewFulfilment} */
  async renewFulfilment(id: string, token: string, leaseMs: number): Promise<boolean> {
    return (await this.#update(Q.renewFulfilment(id, fencingToken(token), leaseMs))) !== null;
  }

  /** {@inheritDoc PaymentStore.completeFulfilment} */
  async completeFulfilment(id: string, token: string): Promise<boolean> {
    return (await this.#update(Q.completeFulfilment(id, fencingToken(token)))) !== null;
  }

  /** {@inheritDoc PaymentStore.releaseFulfilment} */
  async releaseFulfilment(
    id: string,
    token: string,
    failure: { error: string; retryAfterMs: number },
  ): Promise<boolean> {
    const w = Q.releaseFulfilment(id, fencingToken(token), failure.error, failure.retryAfterMs);
    return (await this.#update(w)) !== null;
  }

  /** {@inheritDoc PaymentStore.claimDuePending} */
  async claimDuePending(o: {
    olderThanMs: number;
    limit: number;
    recheckMs: number;
    maxRecheckMs: number;
  }): Promise<contract.DuePendingClaim> {
    const docs: Doc[] = [];
    const taken: string[] = [];
    while (docs.length < o.limit) {
      const doc = await this.#update(Q.claimDuePending(o, taken), { sort: { nextCheckAt: 1 } });
      if (!doc) break;
      docs.push(doc);
      taken.push(String(doc['_id']));
    }
    const due = (d: Doc) => new Date(d['checkDueAt'] as Date).getTime();
    docs.sort((a, b) => due(a) - due(b));
    const claimedAt = docs.map((d) => new Date(d['checkClaimedAt'] as Date).getTime());
    const now = claimedAt.length > 0 ? new Date(Math.max(...claimedAt)) : await this.#serverNow();
    return { now, payments: docs.map(toPayment) };
  }

  /** The server's clock (`hello`'s `localTime`). */
  async #serverNow(): Promise<Date> {
    const hello = await this.#db.command({ hello: 1 });
    return new Date(hello['localTime'] as Date);
  }

  /** {@inheritDoc PaymentStore.claimDueFulfilments} */
  async claimDueFulfilments(o: {
    leaseMs: number;
    limit: number;
    maxAttempts: number;
  }): Promise<contract.FulfilmentClaim[]> {
    const claims: contract.FulfilmentClaim[] = [];
    const taken: string[] = [];
    while (claims.length < o.limit) {
      const w = Q.claimDueFulfilment(o.leaseMs, o.maxAttempts, taken);
      const doc = await this.#update(w, { sort: { fulfilmentLeaseUntil: 1 } });
      if (!doc) break;
      claims.push(toClaim(doc));
      taken.push(String(doc['_id']));
    }
    return claims;
  }

  /** {@inheritDoc PaymentStore.recordCallback} */
  async recordCallback(e: contract.CallbackEvent): Promise<void> {
    try {
      await this.#events.insertOne(eventDocument(e));
    } catch (error) {
      if (duplicateKey(error) === undefined) throw error; // the event id again (a replay): keep the first
    }
  }

  /** {@inheritDoc PaymentStore.listCallbacks} */
  async listCallbacks(
    filter: { paymentId?: string; limit?: number } = {},
  ): Promise<contract.CallbackEvent[]> {
    const query = filter.paymentId === undefined ? {} : { paymentId: filter.paymentId };
    const docs = await this.#events
      .find(query, { sort: { receivedAt: 1, _id: 1 }, limit: filter.limit ?? 1000 })
      .toArray();
    return docs.map(toEvent);
  }

  /** {@inheritDoc PaymentStore.pruneRejectedCallbacks} */
  async pruneRejectedCallbacks(options: { olderThanMs: number }): Promise<number> {
    const result = await this.#events.deleteMany(Q.prunableRejections(options.olderThanMs));
    return result.deletedCount ?? 0;
  }
}
