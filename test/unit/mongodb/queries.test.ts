import { describe, expect, it } from 'vitest';
import * as Q from '../../../src/mongodb/queries.js';
import { newPayment, transition } from '../../../src/testing/conformance-fixtures.js';

/** Every value anywhere in a filter or pipeline, with the path to it. */
function walk(value: unknown, path = '', out: { path: string; value: unknown }[] = []) {
  out.push({ path, value });
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, out);
  }
  return out;
}

/** The values the app passes to the builders below. */
const APP_VALUES = new Set<unknown>([
  'k',
  'm',
  'c',
  'R1',
  'boom',
  'PRO-42',
  '254712345678',
  'result completed',
  1000,
  100,
]);

const ALL_WRITES: [string, Q.Write][] = [
  ['createPayment', Q.createPayment(newPayment({ idempotencyKey: 'k' }))],
  ['attachCheckout', Q.attachCheckout('pay_1', { merchantRequestId: 'm', checkoutRequestId: 'c' })],
  ['transition', Q.transition('pay_1', transition('completed'))],
  [
    'attachReceipt',
    Q.attachReceipt('pay_1', {
      mpesaReceiptNumber: 'R1',
      callback: {},
      merchantRequestId: null,
      checkoutRequestId: null,
    }),
  ],
  ['claimFulfilment', Q.claimFulfilment('pay_1', 1000, 3)],
  ['renewFulfilment', Q.renewFulfilment('pay_1', 4, 1000)],
  ['completeFulfilment', Q.completeFulfilment('pay_1', 4)],
  ['releaseFulfilment', Q.releaseFulfilment('pay_1', 4, 'boom', 1000)],
  ['claimDuePending', Q.claimDuePending({ olderThanMs: 10, recheckMs: 100, maxRecheckMs: 1000 }, ['pay_0'])],
  ['claimDueFulfilment', Q.claimDueFulfilment(1000, 3, [])],
];

describe('MongoPaymentStore queries', () => {
  it.each(ALL_WRITES)('%s takes no time from this process: every Date is $$NOW or the epoch', (_name, w) => {
    for (const { path, value } of walk(w)) {
      if (value instanceof Date) expect({ path, t: value.getTime() }).toEqual({ path, t: 0 });
    }
  });

  it.each(ALL_WRITES)('%s is an update pipeline whose every app value is a $literal', (name, w) => {
    expect(Array.isArray(w.update)).toBe(true);
    // A string starting with "$" is a field path or $$NOW, never a value: values are wrapped.
    const paths = walk(w.update)
      .filter(({ value }) => typeof value === 'string' && value.startsWith('$'))
      .map(({ value }) => value as string);
    for (const p of paths) expect(p).toMatch(/^\$\$NOW$|^\$[a-zA-Z]+$/);
    // Every value from the app (ids, receipt, error text, durations) sits under a $literal.
    const fromApp = walk(w.update).filter(({ value }) => APP_VALUES.has(value));
    if (name !== 'completeFulfilment') expect(fromApp.length).toBeGreaterThan(0);
    for (const { path } of fromApp) expect(path).toMatch(/\.\$literal$/);
  });

  it('transition compares and sets: only out of pending, and a final success may correct a give-up', () => {
    expect(Q.transition('pay_1', transition('cancelled')).filter).toEqual({
      _id: 'pay_1',
      $or: [{ status: 'pending' }],
    });
    expect(Q.transition('pay_1', transition('completed')).filter).toEqual({
      _id: 'pay_1',
      $or: [{ status: 'pending' }, { final: false, status: { $ne: 'completed' } }],
    });
    // A non-final completed (never sent by the flow) corrects nothing.
    expect(Q.transition('pay_1', transition('completed', { final: false })).filter).toEqual({
      _id: 'pay_1',
      $or: [{ status: 'pending' }],
    });
  });

  it('transition keeps existing ids, records the replaced status, and makes a completion due now', () => {
    const set = Q.transition('pay_1', transition('completed', { checkoutRequestId: 'c' })).update[0]![
      '$set'
    ] as Record<string, unknown>;
    expect(set['checkoutRequestId']).toEqual({ $ifNull: ['$checkoutRequestId', { $literal: 'c' }] });
    expect(set['correctedFrom']).toEqual({ $cond: [{ $eq: ['$status', 'pending'] }, null, '$status'] });
    expect(set['completedAt']).toBe('$$NOW');
    expect(set['fulfilmentLeaseUntil']).toEqual({ $ifNull: ['$fulfilmentLeaseUntil', '$$NOW'] });
    const failed = Q.transition('pay_1', transition('failed')).update[0]!['$set'] as Record<string, unknown>;
    expect(failed).not.toHaveProperty('fulfilmentLeaseUntil');
  });

  it('attachCheckout and attachReceipt only fill what is unset', () => {
    expect(Q.attachCheckout('pay_1', { merchantRequestId: 'm', checkoutRequestId: 'c' }).filter).toEqual({
      _id: 'pay_1',
      checkoutRequestId: null,
    });
    expect(
      Q.attachReceipt('pay_1', {
        mpesaReceiptNumber: 'R1',
        callback: {},
        merchantRequestId: null,
        checkoutRequestId: null,
      }).filter,
    ).toEqual({ _id: 'pay_1', status: 'completed', mpesaReceiptNumber: null });
  });

  it('a fulfilment claim needs a completed, unfulfilled payment, the cap, and an expired lease by $$NOW', () => {
    const w = Q.claimFulfilment('pay_1', 5000, 3);
    expect(w.filter).toEqual({
      _id: 'pay_1',
      status: 'completed',
      fulfilledAt: null,
      fulfilmentAttempts: { $lt: 3 },
      $expr: { $lte: [{ $ifNull: ['$fulfilmentLeaseUntil', new Date(0)] }, '$$NOW'] },
    });
    expect(Q.claimFulfilment('pay_1', 5000, undefined).filter).not.toHaveProperty('fulfilmentAttempts');
    expect(w.update).toEqual([
      {
        $set: {
          fulfilmentLeaseUntil: { $add: ['$$NOW', { $literal: 5000 }] },
          fulfilmentAttempts: { $add: ['$fulfilmentAttempts', 1] },
          fulfilmentClaim: { $add: ['$fulfilmentClaim', 1] },
          updatedAt: '$$NOW',
        },
      },
    ]);
  });

  it.each([
    ['renew', Q.renewFulfilment('pay_1', 7, 100)],
    ['complete', Q.completeFulfilment('pay_1', 7)],
    ['release', Q.releaseFulfilment('pay_1', 7, 'e', 100)],
  ])('%s is fenced: only the holder of token 7, before fulfilment is done', (_name, w) => {
    expect(w.filter).toEqual({ _id: 'pay_1', fulfilmentClaim: 7, fulfilledAt: null });
  });

  it('release keeps the error and makes the payment claimable after retryAfterMs of server time', () => {
    expect(Q.releaseFulfilment('pay_1', 7, 'boom', 250).update).toEqual([
      {
        $set: {
          fulfilmentLeaseUntil: { $add: ['$$NOW', { $literal: 250 }] },
          lastFulfilmentError: { $literal: 'boom' },
        },
      },
    ]);
  });

  it('a due-pending claim compares age and due time with $$NOW and backs off from it', () => {
    const w = Q.claimDuePending({ olderThanMs: 10, recheckMs: 100, maxRecheckMs: 1000 }, ['pay_0']);
    expect(w.filter).toEqual({
      status: 'pending',
      _id: { $nin: ['pay_0'] },
      $expr: {
        $and: [
          { $lte: ['$createdAt', { $subtract: ['$$NOW', { $literal: 10 }] }] },
          { $lte: [{ $ifNull: ['$nextCheckAt', new Date(0)] }, '$$NOW'] },
        ],
      },
    });
    const set = w.update[0]!['$set'] as Record<string, unknown>;
    expect(set['nextCheckAt']).toEqual({
      $add: [
        '$$NOW',
        {
          $min: [
            { $multiply: [{ $literal: 100 }, { $pow: [2, { $min: ['$statusChecks', 40] }] }] },
            { $literal: 1000 },
          ],
        },
      ],
    });
    expect(set['checkDueAt']).toBe('$nextCheckAt');
    expect(set['checkClaimedAt']).toBe('$$NOW');
    expect(
      Q.claimDuePending({ olderThanMs: 0, recheckMs: 1, maxRecheckMs: 1 }, []).filter,
    ).not.toHaveProperty('_id');
  });

  it('a due-fulfilment claim has the cap and the $$NOW lease test of a single claim', () => {
    expect(Q.claimDueFulfilment(100, 5, ['pay_0']).filter).toEqual({
      ...Q.claimable(5),
      _id: { $nin: ['pay_0'] },
    });
  });

  it('only unauthenticated rejections older than the cutoff of server time are pruned', () => {
    expect(Q.prunableRejections(60_000)).toEqual({
      outcome: 'rejected',
      paymentId: null,
      body: null,
      $expr: { $lt: ['$receivedAt', { $subtract: ['$$NOW', { $literal: 60_000 }] }] },
    });
  });

  it('a new payment can only be inserted (the filter never matches a stored payment) and is due at once', () => {
    const w = Q.createPayment(newPayment({ id: 'pay_9' }));
    expect(w.filter).toEqual({ _id: 'pay_9', status: { $exists: false } });
    const set = w.update[0]!['$set'] as Record<string, unknown>;
    expect([set['createdAt'], set['updatedAt'], set['nextCheckAt']]).toEqual(['$$NOW', '$$NOW', '$$NOW']);
    expect(set['status']).toEqual({ $literal: 'pending' });
  });
});
