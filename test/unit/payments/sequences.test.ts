import fc from 'fast-check';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  createPaymentFlow,
  MemoryCallbackJournal,
  MemoryPaymentStore,
  type Payment,
  type PaymentStore,
  stkResultStatus,
} from '../../../src/index.js';
import { buildStkCallback, buildStkQueryPendingError } from '../../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP, SANDBOX } from '../../fixtures/constants.js';
import { SPIKE_ARREST } from '../../fixtures/daraja-errors.js';
import { makeClient } from '../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../helpers/fake-daraja.js';
import { testLogger } from '../../helpers/logger.js';

// Model-based sequences of everything that can happen to one payment, failures included: Daraja's
// in-flight STK query answers (4999 at HTTP 200, 500.001.1001 with an empty message at HTTP 200, an early
// 400.002.02, "does not exist", an intermittent 500, a 429 spike arrest), replayed over msw through the
// real client; the store going down and coming back (callbacks then go through the journal); a push
// whose answer was lost; give-ups after the horizon; duplicate, spoofed and malformed callbacks.
//
// Checked after every step against Daraja's truth: a final status is Daraja's word; `completed` only if
// Daraja completed; onCompleted and onFailed at most once each. And at the end, once the store is back
// and reconcile has run: no payment that Daraja completed ends anything but `completed`, with its
// receipt whenever a callback carried one.

type QueryAnswer = 'auto' | '4999' | 'empty-200' | 'invalid-id' | 'not-exist' | 'intermittent-500' | '429';

type Event =
  | { kind: 'decide' }
  | { kind: 'callback' }
  | { kind: 'check'; answer: QueryAnswer }
  | { kind: 'reconcile'; answer: QueryAnswer }
  | { kind: 'wait' }
  | { kind: 'invalid' }
  | { kind: 'spoof' }
  | { kind: 'outage' }
  | { kind: 'restore' };

const answer = fc.constantFrom<QueryAnswer>(
  'auto',
  'auto',
  '4999',
  'empty-200',
  'invalid-id',
  'not-exist',
  'intermittent-500',
  '429',
);
const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'decide' as const }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'callback' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('check' as const), answer }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('reconcile' as const), answer }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wait' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'spoof' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'outage' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restore' as const }) },
);
const scenario = fc.record({
  truth: fc.constantFrom(0, 0, 0, 1032, 1037, 1036, 1, 2001, 17),
  pushAnswerLost: fc.boolean(),
  events: fc.array(event, { minLength: 1, maxLength: 14 }),
});

/** What the msw Daraja knows and answers, for the run in progress. */
const daraja = {
  decided: false,
  truth: 0,
  next: 'auto' as QueryAnswer,
  pushAnswerLost: false,
  seq: 0,
};

function queryAnswer(id: string) {
  const a = daraja.next;
  daraja.next = 'auto';
  switch (a) {
    case '4999':
      return HttpResponse.json({
        ResponseCode: '0',
        ResponseDescription: 'The service request has been accepted successsfully',
        MerchantRequestID: 'm-1',
        CheckoutRequestID: id,
        ResultCode: '4999',
        ResultDesc: 'The transaction is still under processing',
      });
    case 'empty-200':
      return HttpResponse.json({ requestId: 'r-1', errorCode: '500.001.1001', errorMessage: '' });
    case 'invalid-id':
      return HttpResponse.json(
        {
          requestId: 'r-2',
          errorCode: '400.002.02',
          errorMessage: 'Bad Request - Invalid CheckoutRequestID',
        },
        { status: 400 },
      );
    case 'not-exist':
      return HttpResponse.json(
        { requestId: 'r-3', errorCode: '500.001.1001', errorMessage: 'The transaction does not Exist' },
        { status: 500 },
      );
    case 'intermittent-500':
      return HttpResponse.json(
        { requestId: 'r-4', errorCode: '500.001.1001', errorMessage: '' },
        { status: 500 },
      );
    case '429':
      return HttpResponse.json(SPIKE_ARREST, { status: 429 });
    default:
      if (!daraja.decided) return HttpResponse.json(buildStkQueryPendingError(id), { status: 500 });
      return HttpResponse.json({
        ResponseCode: '0',
        ResponseDescription: 'The service request has been accepted successsfully',
        MerchantRequestID: 'm-1',
        CheckoutRequestID: id,
        ResultCode: String(daraja.truth),
        ResultDesc: `result ${daraja.truth}`,
      });
  }
}

useMsw(
  fakeDaraja().oauth,
  http.post(`${SANDBOX}/mpesa/stkpush/v1/processrequest`, () => {
    daraja.seq += 1;
    // Daraja accepted the push; with pushAnswerLost, its answer never reaches us.
    if (daraja.pushAnswerLost) return HttpResponse.error();
    return HttpResponse.json({
      MerchantRequestID: `m-${daraja.seq}`,
      CheckoutRequestID: 'ws_CO_SEQ',
      ResponseCode: '0',
      ResponseDescription: 'Success. Request accepted for processing',
      CustomerMessage: 'Success. Request accepted for processing',
    });
  }),
  http.post(`${SANDBOX}/mpesa/stkpushquery/v1/query`, async ({ request }) => {
    const { CheckoutRequestID } = (await request.json()) as { CheckoutRequestID: string };
    return queryAnswer(CheckoutRequestID);
  }),
);

/**
 * A store that fails every call while `down`, as a database does during an outage; `oneByOne` hides its
 * `settleCallback`, as a store written before that method would be, so the flow takes the calls one by one.
 */
function unreliable(store: PaymentStore, oneByOne: boolean) {
  const state = { down: false };
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      if (oneByOne && key === 'settleCallback') return undefined;
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        state.down
          ? Promise.reject(
              Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
            )
          : value.apply(target, args);
    },
  });
  return { store: proxy as PaymentStore, state };
}

const HORIZON = 10 * 60_000;
const RECEIPT = 'SEQRCPT001';

describe('model-based payment sequences, with failures (1,000 runs)', () => {
  it('a Daraja-completed payment always ends completed with its receipt; final statuses are Daraja’s word; effects once', async () => {
    let runs = 0;
    const seen = { lateSuccess: 0, enriched: 0, deferred: 0, gaveUp: 0 };
    // Both paths of the flow: settleCallback when the store has it, the calls one by one when it has not.
    const paths = { atOnce: 0, oneByOne: 0 };
    await fc.assert(
      fc.asyncProperty(scenario, fc.boolean(), async ({ truth, pushAnswerLost, events }, oneByOne) => {
        runs += 1;
        paths[oneByOne ? 'oneByOne' : 'atOnce'] += 1;
        Object.assign(daraja, { decided: false, truth, next: 'auto', pushAnswerLost });
        let now = new Date('2026-06-01T10:00:00Z');
        const clock = () => now;
        const { store, state } = unreliable(new MemoryPaymentStore({ now: clock }), oneByOne);
        const completed: Payment[] = [];
        const failed: Payment[] = [];
        const flow = createPaymentFlow({
          daraja: makeClient({ maxRetries: 0 }),
          store,
          journal: new MemoryCallbackJournal(),
          callbackUrl: FLOW_CALLBACK_URL,
          callbackSecret: CALLBACK_SECRET,
          onCompleted: (p) => void completed.push(p),
          onFailed: (p) => void failed.push(p),
          statusQueryIntervalMs: 0,
          queryBudget: false,
          giveUpAfterMs: HORIZON,
          unknownOutcomeGiveUpAfterMs: HORIZON / 2,
          recheckIntervalMs: 30_000,
          maxRecheckIntervalMs: 120_000,
          logger: testLogger,
          now: clock,
        });
        const { payment } = await flow.initiate({
          ownerId: 'u',
          amount: 500,
          phoneNumber: '0712345678',
          accountReference: 'SEQ',
        });
        expect(payment.checkoutRequestId).toBe(pushAnswerLost ? null : 'ws_CO_SEQ');
        const url = new URL(flow.callbackUrlFor(payment.id));
        const send = async (body: unknown, path = url.pathname + url.search) => {
          const ack = await flow.handleCallback({ body, url: path, remoteAddress: SAFARICOM_IP });
          await ack.afterAck;
          if (ack.outcome === 'late_success') seen.lateSuccess += 1;
          if (ack.outcome === 'enriched') seen.enriched += 1;
          if (ack.outcome === 'deferred') seen.deferred += 1;
          return ack;
        };
        const genuine = buildStkCallback({
          checkoutRequestId: 'ws_CO_SEQ',
          resultCode: truth,
          amount: 500,
          phoneNumber: 254712345678,
          mpesaReceiptNumber: RECEIPT,
        });
        const truthStatus = stkResultStatus(truth);
        let callbackDelivered = false;

        const check = async () => {
          if (state.down) return;
          const p = (await store.get(payment.id))!;
          expect(completed.length).toBeLessThanOrEqual(1);
          expect(failed.length).toBeLessThanOrEqual(1);
          if (p.status === 'completed') {
            expect(truthStatus, 'completed only if Daraja completed').toBe('completed');
            expect(p.final).toBe(true);
          }
          if (p.final) expect(p.status, 'a final status is Daraja’s word').toBe(truthStatus);
          else if (p.status !== 'pending')
            expect(p).toMatchObject({ status: 'timeout', settledBy: 'give-up' });
          if (completed.length === 1) expect(truthStatus).toBe('completed');
          if (p.settledBy === 'give-up') seen.gaveUp += 1;
        };

        for (const e of events) {
          now = new Date(now.getTime() + 61_000);
          switch (e.kind) {
            case 'decide':
              daraja.decided = true;
              break;
            case 'callback':
              if (!daraja.decided) break; // Daraja calls back only once it has a result
              callbackDelivered = true;
              expect((await send(genuine)).status).not.toBe(500);
              break;
            case 'check':
              daraja.next = e.answer;
              await flow.checkStatus(payment.id, { ownerId: 'u' }).catch(() => undefined);
              break;
            case 'reconcile':
              daraja.next = e.answer;
              await flow.reconcile({ olderThanMs: 0 }).catch(() => undefined);
              break;
            case 'wait':
              now = new Date(now.getTime() + HORIZON);
              break;
            case 'invalid':
              expect(
                (await send({ Body: { stkCallback: { CheckoutRequestID: 'ws_CO_SEQ' } } })).outcome,
              ).toMatch(/invalid|deferred/);
              break;
            case 'spoof': {
              const forged = buildStkCallback({
                checkoutRequestId: 'ws_CO_SEQ',
                amount: 500,
                phoneNumber: 254712345678,
              });
              const ack = await send(forged, `${url.pathname}?payment=${payment.id}&token=${'A'.repeat(43)}`);
              expect(ack).toMatchObject({ outcome: 'rejected', reason: 'bad_token' });
              break;
            }
            case 'outage':
              state.down = true;
              break;
            case 'restore':
              state.down = false;
              break;
          }
          await check();
        }

        // The store comes back; time passes beyond any backoff; reconcile and a status check run.
        state.down = false;
        daraja.decided = true;
        daraja.next = 'auto';
        now = new Date(now.getTime() + 10 * 60_000);
        await flow.reconcile({ olderThanMs: 0 });
        await flow.checkStatus(payment.id, { ownerId: 'u' });
        await flow.reconcile({ olderThanMs: 0 });
        await check();
        const end = (await store.get(payment.id))!;
        if (truthStatus === 'completed' && (callbackDelivered || !pushAnswerLost)) {
          expect(end.status, 'a payment Daraja completed ends completed').toBe('completed');
          expect(completed, 'onCompleted ran once').toHaveLength(1);
          expect(end.fulfilledAt).toBeInstanceOf(Date);
          if (callbackDelivered)
            expect(end.mpesaReceiptNumber, 'with the receipt a callback carried').toBe(RECEIPT);
        }
        if (truthStatus !== 'completed' && !pushAnswerLost) {
          // Daraja's failure, or the flow's own give-up if it came first (only a success corrects that).
          if (end.status !== truthStatus)
            expect(end).toMatchObject({ status: 'timeout', settledBy: 'give-up' });
        }
        // Nothing that arrived is lost: every genuine callback delivered left an audit record.
        if (callbackDelivered) {
          const events = await store.listCallbacks({ paymentId: payment.id });
          expect(
            events.some((x) => x.body !== null && JSON.stringify(x.body) === JSON.stringify(genuine)),
          ).toBe(true);
        }
      }),
      { numRuns: 1_000 },
    );
    expect(runs).toBe(1_000);
    // The alphabet reaches the interesting states (not a vacuous pass).
    expect(seen.lateSuccess).toBeGreaterThan(0);
    expect(seen.enriched).toBeGreaterThan(0);
    expect(seen.deferred).toBeGreaterThan(0);
    expect(seen.gaveUp).toBeGreaterThan(0);
    expect(paths.atOnce).toBeGreaterThan(100);
    expect(paths.oneByOne).toBeGreaterThan(100);
  }, 240_000);
});
