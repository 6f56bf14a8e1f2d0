import { HttpResponse, http } from 'msw';
import {
  createPaymentFlow,
  MemoryPaymentStore,
  type Payment,
  type PaymentFlowOptions,
  type PaymentStore,
} from '../../src/index.js';
import {
  buildStkCallback,
  buildStkQueryPendingError,
  buildStkQueryResponse,
} from '../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP, SANDBOX } from '../fixtures/constants.js';
import { makeClient } from './client.js';
import { testLogger } from './logger.js';

/** What the scripted Daraja answers an STK query with, per CheckoutRequestID. */
export type QueryAnswer = number | 'pending' | 'missing' | 'error';

/** msw handlers for STK push and query whose answers tests script, plus what they saw. */
export function scriptedDaraja(base = SANDBOX) {
  const state = {
    pushes: [] as Array<Record<string, unknown>>,
    queries: [] as string[],
    answers: new Map<string, QueryAnswer>(),
    /** How the next pushes are answered: accepted, or a scripted failure. */
    pushMode: 'ok' as 'ok' | 'reject' | 'html-500' | 'drop',
    seq: 0,
  };
  const handlers = [
    http.post(`${base}/mpesa/stkpush/v1/processrequest`, async ({ request }) => {
      const body = (await request.json()) as Record<string, unknown>;
      state.pushes.push(body);
      if (state.pushMode === 'reject')
        return HttpResponse.json(
          { requestId: 'r', errorCode: '400.002.02', errorMessage: 'Bad Request - Invalid PhoneNumber' },
          { status: 400 },
        );
      if (state.pushMode === 'html-500') return new HttpResponse('<html>500</html>', { status: 500 });
      if (state.pushMode === 'drop') return HttpResponse.error();
      state.seq += 1;
      const id = `ws_CO_TEST${String(state.seq).padStart(6, '0')}`;
      state.answers.set(id, state.answers.get(id) ?? 'pending');
      return HttpResponse.json({
        MerchantRequestID: `m-${state.seq}`,
        CheckoutRequestID: id,
        ResponseCode: '0',
        ResponseDescription: 'Success. Request accepted for processing',
        CustomerMessage: 'Success. Request accepted for processing',
      });
    }),
    http.post(`${base}/mpesa/stkpushquery/v1/query`, async ({ request }) => {
      const { CheckoutRequestID: id } = (await request.json()) as { CheckoutRequestID: string };
      state.queries.push(id);
      const answer = state.answers.get(id) ?? 'missing';
      if (answer === 'pending') return HttpResponse.json(buildStkQueryPendingError(id), { status: 500 });
      if (answer === 'missing')
        return HttpResponse.json(
          { requestId: id, errorCode: '500.001.1001', errorMessage: 'The transaction does not Exist' },
          { status: 500 },
        );
      if (answer === 'error') return new HttpResponse('<html>bad gateway</html>', { status: 502 });
      return HttpResponse.json(buildStkQueryResponse(id, answer));
    }),
  ];
  return { state, handlers };
}

/** A flow with a memory store (or the given one), counting fulfilments and failures. */
export function makeFlow(overrides: Partial<PaymentFlowOptions> & { store?: PaymentStore } = {}) {
  const fulfilled: Payment[] = [];
  const failed: Payment[] = [];
  // The store's clock follows the flow's test clock, as the database's would follow real time.
  const store = overrides.store ?? new MemoryPaymentStore(overrides.now ? { now: overrides.now } : {});
  const flow = createPaymentFlow({
    daraja: makeClient({ maxRetries: 0 }),
    store,
    callbackUrl: FLOW_CALLBACK_URL,
    callbackSecret: CALLBACK_SECRET,
    onCompleted: (p) => {
      fulfilled.push(p);
    },
    onFailed: (p) => {
      failed.push(p);
    },
    logger: testLogger,
    statusQueryIntervalMs: 0,
    queryBudget: false,
    ...overrides,
  });
  return { flow, store, fulfilled, failed };
}

/** The callback request Daraja would send for a payment: to its URL, from a Safaricom address. */
export function callbackFor(
  flow: ReturnType<typeof makeFlow>['flow'],
  payment: Payment,
  fixture: Partial<Parameters<typeof buildStkCallback>[0]> = {},
) {
  const url = new URL(flow.callbackUrlFor(payment.id));
  return {
    body: buildStkCallback({
      checkoutRequestId: payment.checkoutRequestId ?? 'ws_CO_UNKNOWN',
      amount: payment.amount,
      phoneNumber: Number(payment.phoneNumber),
      ...fixture,
    }),
    url: url.pathname + url.search,
    remoteAddress: SAFARICOM_IP,
    headers: { 'content-type': 'application/json;charset=UTF-8' },
  };
}

export const initiateParams = {
  ownerId: 'user-1',
  amount: 500,
  phoneNumber: '0712345678',
  accountReference: 'PRO-42',
  metadata: { plan: 'pro' },
};
