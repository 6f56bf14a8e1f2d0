import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { PaymentStatus } from '../core/payment-status.js';
import type { CallbackEvent, NewPayment, PaymentStore, PaymentTransition } from '../payments/types.js';

/**
 * What each group of the conformance suite registers its tests with: `test` gives every test a fresh
 * store from `makeStore`, under the suite's timeout.
 */
export interface ConformanceContext {
  /** Register one test; it receives a fresh store. */
  test(title: string, fn: (store: PaymentStore) => Promise<void>): void;
  /** How many concurrent operations the race tests start (`ConformanceOptions.concurrency`). */
  concurrency: number;
  /** The time unit of the time-based tests, in ms (`ConformanceOptions.tickMs`). */
  tickMs: number;
}

/** The statuses a payment leaves `pending` for. */
export const TERMINAL: Exclude<PaymentStatus, 'pending'>[] = ['completed', 'cancelled', 'failed', 'timeout'];
/** A random id with a readable prefix. */
export const uid = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`;
/** A random M-Pesa-like receipt number (12 upper-case letters and digits at most). */
const receipt = () =>
  uid('R')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 12)
    .toUpperCase();

/** A new payment with test values; `overrides` replace any field. */
export function newPayment(overrides: Partial<NewPayment> = {}): NewPayment {
  return {
    id: uid('pay'),
    ownerId: 'owner-1',
    amount: 500,
    phoneNumber: '254712345678',
    accountReference: 'PRO-42',
    transactionDesc: 'Payment',
    metadata: { plan: 'pro', nested: { months: 1 } },
    idempotencyKey: null,
    ...overrides,
  };
}

/** A final transition to `status` with the result code Daraja gives it; `overrides` replace any field. */
export function transition(
  status: Exclude<PaymentStatus, 'pending'>,
  overrides: Partial<PaymentTransition> = {},
): PaymentTransition {
  return {
    status,
    final: true,
    resultCode:
      status === 'completed' ? '0' : status === 'cancelled' ? '1032' : status === 'timeout' ? '1037' : '1',
    resultDesc: `result ${status}`,
    mpesaReceiptNumber: status === 'completed' ? receipt() : null,
    merchantRequestId: null,
    checkoutRequestId: null,
    callback: { Body: { stkCallback: { ResultCode: status } } },
    settledBy: 'callback',
    ...overrides,
  };
}

/** The flow giving up on a payment: `timeout`, not final, settled by `give-up`. */
export const giveUp = (): PaymentTransition =>
  transition('timeout', {
    final: false,
    resultCode: null,
    resultDesc: 'Gave up',
    callback: null,
    settledBy: 'give-up',
  });

/** An audit row of an applied callback; `overrides` replace any field. */
export function event(overrides: Partial<CallbackEvent> = {}): CallbackEvent {
  return {
    id: uid('cbe'),
    receivedAt: new Date(),
    outcome: 'applied',
    reason: null,
    paymentId: null,
    checkoutRequestId: null,
    remoteAddress: '196.201.214.200',
    body: { Body: { stkCallback: { ResultCode: 0 } } },
    bodyBytes: 40,
    bodySha256: 'a'.repeat(64),
    ...overrides,
  };
}

/** Create a payment and complete it (asserting the transition applied); resolves to its id. */
export async function completed(store: PaymentStore, overrides: Partial<PaymentTransition> = {}) {
  const { payment } = await store.create(newPayment());
  const r = await store.transition(payment.id, transition('completed', overrides));
  assert.equal(r.applied, true);
  return payment.id;
}
