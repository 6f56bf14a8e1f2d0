import { BSON, MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { eventDocument, fencingToken, toClaim, toEvent, toPayment } from '../../../src/mongodb/documents.js';
import { MongoPaymentStore } from '../../../src/mongodb/index.js';
import * as Q from '../../../src/mongodb/queries.js';
import { event, newPayment } from '../../../src/testing/conformance-fixtures.js';

const stored = {
  _id: 'pay_1',
  ownerId: 'owner-1',
  amount: 500,
  phoneNumber: '254712345678',
  accountReference: 'PRO-42',
  transactionDesc: 'Payment',
  metadata: '{"plan":"pro","$where":"not an operator","a.b":1}',
  idempotencyKey: null,
  status: 'completed',
  final: true,
  correctedFrom: 'timeout',
  merchantRequestId: 'm',
  checkoutRequestId: 'ws_CO_1',
  mpesaReceiptNumber: 'R1',
  resultCode: '0',
  resultDesc: 'ok',
  callback: '{"Body":{"stkCallback":{"ResultCode":0}}}',
  settledBy: 'callback',
  statusChecks: 2,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:01:00Z'),
  completedAt: new Date('2026-01-01T00:01:00Z'),
  fulfilledAt: null,
  fulfilmentAttempts: 1,
  lastFulfilmentError: null,
  fulfilmentLeaseUntil: new Date('2026-01-01T00:02:00Z'),
  fulfilmentClaim: 3,
  nextCheckAt: new Date('2026-01-01T00:00:00Z'),
};

describe('MongoPaymentStore documents', () => {
  it('a stored document maps to a Payment, JSON text back to values, internal fields dropped', () => {
    const p = toPayment(stored);
    expect(p).toEqual({
      id: 'pay_1',
      ownerId: 'owner-1',
      amount: 500,
      phoneNumber: '254712345678',
      accountReference: 'PRO-42',
      transactionDesc: 'Payment',
      metadata: { plan: 'pro', $where: 'not an operator', 'a.b': 1 },
      idempotencyKey: null,
      status: 'completed',
      final: true,
      correctedFrom: 'timeout',
      merchantRequestId: 'm',
      checkoutRequestId: 'ws_CO_1',
      mpesaReceiptNumber: 'R1',
      resultCode: '0',
      resultDesc: 'ok',
      callback: { Body: { stkCallback: { ResultCode: 0 } } },
      settledBy: 'callback',
      statusChecks: 2,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
      completedAt: stored.completedAt,
      fulfilledAt: null,
      fulfilmentAttempts: 1,
      lastFulfilmentError: null,
    });
    expect(toClaim(stored).token).toBe('3');
  });

  it('the fencing token is the claim counter; a malformed token matches no claim', () => {
    expect(fencingToken('3')).toBe(3);
    expect(fencingToken('abc')).toBe(-1);
    expect(fencingToken('3; drop')).toBe(-1);
    expect(fencingToken('')).toBe(-1);
  });

  it('a callback event round-trips through its document, keyed by its id', () => {
    const e = event({ paymentId: 'pay_1', body: { odd: { $gt: 1, 'x.y': 2 } } });
    const doc = eventDocument(e);
    expect(doc['_id']).toBe(e.id);
    expect(typeof doc['body']).toBe('string');
    expect(toEvent(doc)).toEqual(e);
    expect(toEvent(eventDocument(event({ body: null, bodyBytes: null }))).body).toBeNull();
  });

  it('the driver serialises the pipelines to BSON and back unchanged (no server needed)', () => {
    const w = Q.createPayment(newPayment({ metadata: { $gt: '$$NOW', 'a.b': '$status' } }));
    const bytes = BSON.serialize({ u: w.update, q: w.filter });
    expect(BSON.deserialize(bytes)).toEqual({ u: w.update, q: w.filter });
    // Metadata that looks like operators is text inside a $literal: the server reads it as data.
    const set = w.update[0]!['$set'] as Record<string, { $literal: unknown }>;
    expect(set['metadata']).toEqual({ $literal: '{"$gt":"$$NOW","a.b":"$status"}' });
  });

  it("the real driver's Db is accepted as it is (type-checked by test/tsconfig.json), without connecting", async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1/never', { serverSelectionTimeoutMS: 1 });
    const store = new MongoPaymentStore(client.db('daraja_types'), { collectionPrefix: 'x_' });
    expect(store).toBeInstanceOf(MongoPaymentStore);
    await client.close();
  });

  it('refuses what is not a Db, with the fix', () => {
    expect(() => new MongoPaymentStore({} as never)).toThrow(/client\.db\(name\)/);
  });
});
