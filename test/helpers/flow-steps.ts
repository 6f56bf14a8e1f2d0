import { expect } from 'vitest';
import { createPaymentFlow, type Payment, type PaymentFlow, type PaymentStore } from '../../src/index.js';
import { buildStkCallback } from '../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP } from '../fixtures/constants.js';
import { makeClient } from './client.js';
import type { startLocalDaraja } from './local-daraja.js';
import { testLogger } from './logger.js';

/** The steps of the flow whose database round trips the round-trip tests count, in the order run. */
export const FLOW_STEPS = [
  'initiate',
  'applied success callback',
  'duplicate callback',
  'failure callback (cancelled)',
  'callback for an unknown payment',
  'malformed callback',
  'checkStatus, still pending',
  'checkStatus, settled by the query',
] as const;
/** One of {@link FLOW_STEPS}. */
export type FlowStep = (typeof FLOW_STEPS)[number];

/** What counts round trips: reset before a step, read after it. */
export interface RoundTripCounter {
  readonly count: number;
  reset(): void;
}

function callback(flow: PaymentFlow, paymentId: string, body: unknown) {
  const url = new URL(flow.callbackUrlFor(paymentId));
  return { body, url: url.pathname + url.search, remoteAddress: SAFARICOM_IP };
}

/**
 * Every step once, on a fresh `store` whose statements `counter` counts, against the local Daraja; the
 * round trips of each. A callback's count includes the work after its answer (the fulfilment), which
 * `afterAck` waits for. Each step's outcome is asserted, so a count is never of a step that went wrong.
 */
export async function countFlowSteps(
  daraja: Awaited<ReturnType<typeof startLocalDaraja>>,
  store: PaymentStore,
  counter: RoundTripCounter,
): Promise<Record<FlowStep, number>> {
  const fulfilled: Payment[] = [];
  const flow = createPaymentFlow({
    daraja: makeClient({ baseUrl: daraja.baseUrl, maxRetries: 0 }),
    store,
    callbackUrl: FLOW_CALLBACK_URL,
    callbackSecret: CALLBACK_SECRET,
    onCompleted: (p) => {
      fulfilled.push(p);
    },
    statusQueryIntervalMs: 0,
    queryBudget: false,
    logger: testLogger,
  });
  const counts = {} as Record<FlowStep, number>;
  const measure = async <T>(step: FlowStep, fn: () => Promise<T>): Promise<T> => {
    counter.reset();
    const result = await fn();
    counts[step] = counter.count;
    return result;
  };
  const initiated = () =>
    flow.initiate({ ownerId: 'u1', amount: 500, phoneNumber: '0712345678', accountReference: 'RT' });
  const handle = async (request: ReturnType<typeof callback>) => {
    const ack = await flow.handleCallback(request);
    await ack.afterAck;
    return ack;
  };
  // A first callback lets the flow do its once-per-process work (the journal replay) before counting.
  await handle(callback(flow, 'pay_warmup', 'not json'));

  const paid = await measure('initiate', initiated);
  expect(paid.outcome).toBe('sent');
  const payment = paid.payment;
  const success = buildStkCallback({
    checkoutRequestId: payment.checkoutRequestId!,
    amount: payment.amount,
    phoneNumber: Number(payment.phoneNumber),
  });
  const applied = await measure('applied success callback', () =>
    handle(callback(flow, payment.id, success)),
  );
  expect(applied.outcome).toBe('applied');
  expect(fulfilled.map((p) => p.id)).toEqual([payment.id]);
  const duplicate = await measure('duplicate callback', () => handle(callback(flow, payment.id, success)));
  expect([duplicate.outcome, duplicate.reason]).toEqual(['duplicate', 'already_settled']);

  const other = (await initiated()).payment;
  const cancel = buildStkCallback({ checkoutRequestId: other.checkoutRequestId!, resultCode: 1032 });
  const cancelled = await measure('failure callback (cancelled)', () =>
    handle(callback(flow, other.id, cancel)),
  );
  expect(cancelled.outcome).toBe('applied');
  const unknown = await measure('callback for an unknown payment', () =>
    handle(callback(flow, 'pay_never_created', success)),
  );
  expect([unknown.outcome, unknown.reason]).toEqual(['unmatched', 'unknown_payment']);
  const malformed = await measure('malformed callback', () => handle(callback(flow, payment.id, 'not json')));
  expect(malformed.outcome).toBe('invalid');

  const open = (await initiated()).payment;
  daraja.state.answers.set(open.checkoutRequestId!, 'pending');
  const stillPending = await measure('checkStatus, still pending', () =>
    flow.checkStatus(open.id, { ownerId: 'u1' }),
  );
  expect(stillPending?.status).toBe('pending');
  daraja.state.answers.set(open.checkoutRequestId!, 0);
  const settled = await measure('checkStatus, settled by the query', () =>
    flow.checkStatus(open.id, { ownerId: 'u1' }),
  );
  expect(settled?.status).toBe('completed');
  expect(fulfilled.map((p) => p.id)).toEqual([payment.id, open.id]);
  return counts;
}

/** Print the counts beside their limits, and fail on any step over its limit (or not counted). */
export function expectWithinLimits(
  where: string,
  counts: Record<FlowStep, number>,
  limits: Record<FlowStep, number>,
): void {
  console.log(
    `round trips on ${where}:\n${FLOW_STEPS.map((k) => `  ${k.padEnd(36)} ${counts[k]} (limit ${limits[k]})`).join('\n')}`,
  );
  for (const step of FLOW_STEPS)
    expect({ step, trips: counts[step] }).toEqual({ step, trips: expect.any(Number) });
  const over = FLOW_STEPS.filter((s) => counts[s] > limits[s]);
  expect(over.map((s) => `${s}: ${counts[s]} > ${limits[s]}`)).toEqual([]);
}
