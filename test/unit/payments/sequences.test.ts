import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createPaymentFlow,
  type Daraja,
  MemoryPaymentStore,
  type Payment,
  type PaymentStatus,
  type StkQueryResult,
  stkResultStatus,
} from '../../../src/index.js';
import { buildStkCallback } from '../../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP } from '../../fixtures/constants.js';
import { testLogger } from '../../helpers/logger.js';

// Random sequences of everything that can happen to one payment, checked against a model: the first
// final result wins, a terminal status never changes, and fulfilment / failure reporting run once.

type Event =
  | { kind: 'callback'; code: number }
  | { kind: 'duplicate' }
  | { kind: 'query'; answer: number | 'pending' }
  | { kind: 'reconcile'; answer: number | 'pending' }
  | { kind: 'invalid' };

const codes = fc.constantFrom(0, 1032, 1037, 1, 2001, 1019, 17);
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('callback' as const), code: codes }),
  fc.constant({ kind: 'duplicate' as const }),
  fc.record({
    kind: fc.constant('query' as const),
    answer: fc.oneof(codes, fc.constant('pending' as const)),
  }),
  fc.record({
    kind: fc.constant('reconcile' as const),
    answer: fc.oneof(codes, fc.constant('pending' as const)),
  }),
  fc.constant({ kind: 'invalid' as const }),
);

/** A stand-in for the client: push accepted, query answering what the sequence says. */
function fakeDaraja() {
  let answer: number | 'pending' = 'pending';
  const daraja = {
    environment: 'sandbox',
    stk: {
      push: async () => ({
        merchantRequestId: 'm-1',
        checkoutRequestId: 'ws_CO_SEQ',
        responseCode: '0',
        responseDescription: '',
        customerMessage: 'ok',
        phoneNumber: '254712345678',
        amount: 500,
        timestamp: '',
      }),
      query: async (checkoutRequestId: string): Promise<StkQueryResult> =>
        answer === 'pending'
          ? {
              status: 'pending',
              checkoutRequestId,
              merchantRequestId: undefined,
              resultCode: undefined,
              resultDesc: 'The transaction is being processed',
              meaning: '',
              raw: {},
            }
          : {
              status: stkResultStatus(answer),
              checkoutRequestId,
              merchantRequestId: 'm-1',
              resultCode: String(answer),
              resultDesc: 'x',
              meaning: '',
              raw: {},
            },
    },
  };
  return { daraja: daraja as unknown as Daraja, set: (a: number | 'pending') => (answer = a) };
}

describe('random event sequences (1,200 runs)', () => {
  it('never overwrite a terminal status and fulfil or report once', async () => {
    let now = new Date('2026-06-01T10:00:00Z');
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 12 }), async (events) => {
        const { daraja, set } = fakeDaraja();
        const store = new MemoryPaymentStore();
        const completed: Payment[] = [];
        const failed: Payment[] = [];
        const flow = createPaymentFlow({
          daraja,
          store,
          callbackUrl: FLOW_CALLBACK_URL,
          callbackSecret: CALLBACK_SECRET,
          onCompleted: (p) => void completed.push(p),
          onFailed: (p) => void failed.push(p),
          statusQueryIntervalMs: 0,
          logger: testLogger,
          now: () => now,
        });
        const { payment } = await flow.initiate({
          ownerId: 'u',
          amount: 500,
          phoneNumber: '0712345678',
          accountReference: 'SEQ',
        });
        const url = new URL(flow.callbackUrlFor(payment.id));
        const send = (body: unknown) =>
          flow.handleCallback({ body, url: url.pathname + url.search, remoteAddress: SAFARICOM_IP });
        let model: PaymentStatus = 'pending';
        let lastCallback: unknown;
        for (const e of events) {
          now = new Date(now.getTime() + 61_000);
          let outcome: PaymentStatus | undefined;
          if (e.kind === 'callback') {
            lastCallback = buildStkCallback({
              checkoutRequestId: 'ws_CO_SEQ',
              resultCode: e.code,
              amount: 500,
              phoneNumber: 254712345678,
            });
            await send(lastCallback);
            outcome = stkResultStatus(e.code);
          } else if (e.kind === 'duplicate') {
            if (lastCallback) {
              const r = await send(lastCallback);
              expect(['duplicate', 'rejected', 'applied']).toContain(r.outcome);
              outcome = stkResultStatus(
                (lastCallback as { Body: { stkCallback: { ResultCode: number } } }).Body.stkCallback
                  .ResultCode,
              );
            }
          } else if (e.kind === 'invalid') {
            expect((await send({ Body: { stkCallback: { CheckoutRequestID: 'ws_CO_SEQ' } } })).outcome).toBe(
              'invalid',
            );
          } else {
            set(e.answer);
            if (e.kind === 'query') await flow.checkStatus(payment.id, { ownerId: 'u' });
            else await flow.reconcile({ olderThanMs: 0 });
            if (e.answer !== 'pending') outcome = stkResultStatus(e.answer);
          }
          if (model === 'pending' && outcome !== undefined) model = outcome;
          const stored = await store.get(payment.id);
          expect(stored?.status).toBe(model);
          expect(completed).toHaveLength(model === 'completed' ? 1 : 0);
          expect(failed).toHaveLength(model !== 'pending' && model !== 'completed' ? 1 : 0);
        }
      }),
      { numRuns: 1_200 },
    );
  });
});
