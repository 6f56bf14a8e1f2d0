/**
 * `daraja-sdk/results`: parsing of Daraja's asynchronous results: the `Result` envelope POSTed to your
 * `ResultURL` by B2C, B2B, tax, transaction status, account balance and reversal, the B2B Express
 * Checkout and M-Pesa Ratiba callbacks, the C2B validation and confirmation payloads, Bill Manager's
 * payment push, and framework-agnostic handlers for these routes.
 *
 * The result-code catalogues (`describeResultCode`, `B2C_RESULT_CODES`, …) are in the main entry.
 *
 * @packageDocumentation
 * @module daraja-sdk/results
 */
export type {
  C2bConfirmationAck,
  C2bRejectCode,
  C2bValidationResponse,
  ResultAck,
  ResultAckBody,
} from './ack.js';
export { C2B_REJECT_CODES, c2bAccept, c2bConfirmationAck, c2bReject } from './ack.js';
export type { B2bExpressResult } from './b2b-express.js';
export { parseB2bExpressResult } from './b2b-express.js';
export type {
  BillPayment,
  BillPaymentAck,
  BillPaymentAckBody,
  BillPaymentHandler,
  BillPaymentHandlerOptions,
  BillPaymentRequest,
} from './bill-payment.js';
export { createBillPaymentHandler, parseBillPayment } from './bill-payment.js';
export type {
  C2bAck,
  C2bHandler,
  C2bHandlerOptions,
  C2bRequest,
  C2bValidationDecision,
} from './c2b-handler.js';
export { C2B_VALIDATION_ERROR_CODE, createC2bHandler } from './c2b-handler.js';
export type { C2bPayload } from './c2b-payload.js';
export { parseC2bPayload } from './c2b-payload.js';
export type {
  RatibaResult,
  RatibaResultCodeEntry,
  RatibaResultItem,
  RatibaResultStatus,
} from './ratiba-result.js';
export { parseRatibaResult, RATIBA_RESULT_CODES } from './ratiba-result.js';
export type { DarajaResult, QueueTimeoutNotice, ResultItem, ResultValue } from './result.js';
export { parseQueueTimeout, parseResult } from './result.js';
export type {
  ResultHandler,
  ResultHandlerOptions,
  ResultKind,
  ResultKinds,
  ResultRequest,
} from './result-handler.js';
export { createResultHandler } from './result-handler.js';
export type {
  AccountBalanceResult,
  B2bResult,
  B2cResult,
  ReversalResult,
  TransactionStatusResult,
} from './result-kinds.js';
export {
  parseAccountBalanceResult,
  parseB2bResult,
  parseB2cResult,
  parseReversalResult,
  parseTransactionStatusResult,
} from './result-kinds.js';
export type { AccountBalance, PublicName } from './result-values.js';
export { parseAccountBalances, parsePublicName } from './result-values.js';
export type { WebC2bHandlers, WebInboundRequest } from './web.js';
export { createWebBillPaymentHandler, createWebC2bHandler, createWebResultHandler } from './web.js';
export type { ClientAddressSource, WebHandlerContext } from './web-address.js';
export type { WebHandler, WebHandlerOptions } from './web-request.js';
