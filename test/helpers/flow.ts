import {
  createPaymentFlow,
  MemoryPaymentStore,
  type Payment,
  type PaymentFlowOptions,
  type PaymentStore,
} from '../../src/index.js';
import { buildStkCallback } from '../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP } from '../fixtures/constants.js';
import { makeClient } from './client.js';
import { fakeDaraja } from './fake-daraja.js';
import { testLogger } from './logger.js';

/**
 * The fake Daraja as the payment flow tests script it: each accepted push's STK query answers `pending`
 * until the test sets `state.answers`, and an id Daraja never issued "does not exist".
 */
export function scriptedDaraja() {
  return fakeDaraja({ unknownCheckout: 'missing', newCheckout: 'pending' });
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
