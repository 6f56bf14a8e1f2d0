import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DarajaCallbackError, MemoryPaymentStore, parseStkCallback } from '../../../src/index.js';
import { buildStkCallback } from '../../../src/testing/index.js';
import { callbackFor, makeFlow } from '../../helpers/flow.js';

// Property tests over generated and mutated callback bodies: the parser throws nothing but
// DarajaCallbackError, the flow never throws and only ever changes state for a body the parser accepts,
// and Object.prototype is never touched.

const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
let runs = 0;

beforeAll(() => {
  runs = 0;
});
afterAll(() => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(runs).toBeGreaterThanOrEqual(22_000);
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Valid callbacks of every kind, as starting points for mutation. */
const validBody = fc
  .record({
    code: fc.constantFrom<number | string>(0, '0', 1032, '1032', 1037, 1, 2001, 17, 'SFC_IC0003', 4242),
    amount: fc.oneof(fc.integer({ min: 1, max: 250_000 }), fc.constant('1.00'), fc.constant(1.0)),
    phone: fc.oneof(
      fc.constant<number | string>(254708374149),
      fc.constant('2547****149'),
      fc.stringMatching(/^[0-9a-f]{64}$/),
    ),
    balance: fc.boolean(),
    reverse: fc.boolean(),
  })
  .map(({ code, amount, phone, balance, reverse }) => {
    const body = buildStkCallback({
      checkoutRequestId: 'ws_CO_FUZZ000001',
      resultCode: code,
      amount,
      phoneNumber: phone,
      mpesaReceiptNumber: 'NLJ7RT61SV',
      withBalanceItem: balance,
    }) as { Body: { stkCallback: { CallbackMetadata?: { Item: unknown[] } } } };
    if (reverse) body.Body.stkCallback.CallbackMetadata?.Item.reverse();
    return body as unknown as Json;
  });

const hostileKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'Body',
  'stkCallback',
  'ResultCode',
  'Item',
  'Value',
  'Name',
);

/** One mutation of a JSON tree at the `pick`-th node. */
const mutation = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom('delete', 'replace', 'proto', 'wrapArray', 'toString', 'duplicate', 'deepen'),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  key: hostileKey,
});

function nodes(v: Json, out: Array<{ parent: Json[] | Record<string, Json>; key: string | number }> = []) {
  if (Array.isArray(v)) {
    for (const [i, child] of v.entries()) {
      out.push({ parent: v, key: i });
      nodes(child, out);
    }
  } else if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      out.push({ parent: v, key: k });
      nodes(v[k]!, out);
    }
  }
  return out;
}

function mutate(body: Json, ops: Array<{ pick: number; kind: string; value: Json; key: string }>): unknown {
  let tree = JSON.parse(JSON.stringify(body)) as Json;
  for (const op of ops) {
    const all = nodes(tree);
    if (all.length === 0) {
      tree = op.value;
      continue;
    }
    const { parent, key } = all[op.pick % all.length]!;
    const p = parent as Record<string | number, Json>;
    switch (op.kind) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete p[key];
        break;
      case 'replace':
        p[key] = op.value;
        break;
      case 'proto': {
        // A real own "__proto__" (or constructor) key, as JSON.parse creates it from a hostile body.
        const injected = JSON.parse(`{${JSON.stringify(op.key)}:{"polluted":true,"ResultCode":0}}`) as Json;
        p[key] = {
          ...(typeof p[key] === 'object' && p[key] !== null ? (p[key] as object) : {}),
          ...(injected as object),
        } as Json;
        if (p[key] && typeof p[key] === 'object')
          Object.defineProperty(p[key], op.key, {
            value: { polluted: true },
            enumerable: true,
            configurable: true,
            writable: true,
          });
        break;
      }
      case 'wrapArray':
        p[key] = [p[key]!];
        break;
      case 'toString':
        p[key] = JSON.stringify(p[key]);
        break;
      case 'duplicate':
        if (Array.isArray(parent)) parent.push(JSON.parse(JSON.stringify(parent[key as number] ?? null)));
        break;
      case 'deepen':
        p[key] = { [op.key]: p[key]! };
        break;
    }
  }
  // Half of the bodies go through JSON text, as they arrive over HTTP.
  return ops.length % 2 === 0 ? JSON.stringify(tree) : tree;
}

const deepBody = fc.integer({ min: 100, max: 2_000 }).map((depth) => {
  let v: Json = { Body: { stkCallback: { CheckoutRequestID: 'ws', ResultCode: 0 } } };
  for (let i = 0; i < depth; i++) v = { Body: v };
  return v;
});

const anyBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(validBody, fc.array(mutation, { minLength: 1, maxLength: 6 }))
      .map(([b, ops]) => mutate(b, ops)),
  },
  { weight: 2, arbitrary: fc.jsonValue() },
  {
    weight: 1,
    arbitrary: fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withTypedArray: true,
    }),
  },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: deepBody },
  { weight: 1, arbitrary: validBody },
);

describe('callback fuzzing', () => {
  it('parseStkCallback throws nothing but DarajaCallbackError on 12,000 bodies', () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        runs += 1;
        try {
          const r = parseStkCallback(body);
          expect(['completed', 'cancelled', 'timeout', 'failed', 'pending']).toContain(r.status);
          expect(typeof r.checkoutRequestId).toBe('string');
          if (r.status === 'completed') {
            expect(r.amount).toBeGreaterThan(0);
            expect(r.transactionDate.getTime()).not.toBeNaN();
          }
        } catch (error) {
          if (!(error instanceof DarajaCallbackError)) throw error;
        }
      }),
      { numRuns: 12_000 },
    );
  });

  it('handleCallback acks 10,000 bodies and only a parsable one can change a payment', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, async (body) => {
        runs += 1;
        const { flow, store, fulfilled } = makeFlow({ store: new MemoryPaymentStore(), allowedIps: false });
        const { payment } = await store.create({
          id: 'pay_fuzz',
          ownerId: 'u',
          amount: 1,
          phoneNumber: '254708374149',
          accountReference: 'F',
          transactionDesc: 'Payment',
          metadata: {},
          idempotencyKey: null,
        });
        await store.attachCheckout(payment.id, {
          merchantRequestId: 'm',
          checkoutRequestId: 'ws_CO_FUZZ000001',
        });
        const before = await store.get(payment.id);
        const request = { ...callbackFor(flow, { ...payment, checkoutRequestId: 'ws_CO_FUZZ000001' }), body };
        const ack = await flow.handleCallback(request);
        expect(ack.status).toBe(200);
        expect(ack.body).toEqual({ ResultCode: 0, ResultDesc: 'Accepted' });
        const after = await store.get(payment.id);
        let parsable = true;
        try {
          parseStkCallback(body);
        } catch {
          parsable = false;
        }
        if (!parsable) {
          expect(after).toEqual(before);
          expect(fulfilled).toHaveLength(0);
          expect(ack.outcome).toBe('invalid');
        }
        expect((await store.listCallbacks()).length).toBe(1); // kept, whatever it was
      }),
      { numRuns: 10_000 },
    );
  });
});
