/**
 * `daraja-sdk/testing`: the `PaymentStore` conformance suite and Daraja payload builders, for people who
 * write their own store or test their integration.
 *
 * @packageDocumentation
 * @module daraja-sdk/testing
 */
export type { PaymentStore } from '../payments/types.js';
export type { StkCallbackFixture } from './builders.js';
export {
  buildStkCallback,
  buildStkPushResponse,
  buildStkQueryPendingError,
  buildStkQueryResponse,
  fakeReceiptNumber,
} from './builders.js';
export type { ConformanceOptions, TestHarness } from './conformance.js';
export { describePaymentStoreConformance } from './conformance.js';
