/**
 * `daraja-sdk/results`: parsing of Daraja's asynchronous results: the `Result` envelope POSTed to your
 * `ResultURL` by B2C, B2B, tax, transaction status, account balance and reversal, the C2B validation and
 * confirmation payloads, and a framework-agnostic handler for these routes that never throws.
 *
 * The result-code catalogues (`describeResultCode`, `B2C_RESULT_CODES`, …) are in the main entry.
 *
 * @packageDocumentation
 * @module daraja-sdk/results
 */
export type { C2bConfirmationAck, C2bPayload, C2bRejectCode, C2bValidationResponse } from './c2b-payload.js';
export {
  C2B_REJECT_CODES,
  c2bAccept,
  c2bConfirmationAck,
  c2bReject,
  parseC2bPayload,
} from './c2b-payload.js';
export type {
  AccountBalance,
  AccountBalanceResult,
  B2bResult,
  B2cResult,
  DarajaResult,
  PublicName,
  QueueTimeoutNotice,
  ResultItem,
  ResultValue,
  ReversalResult,
  TransactionStatusResult,
} from './result.js';
export {
  parseAccountBalanceResult,
  parseAccountBalances,
  parseB2bResult,
  parseB2cResult,
  parsePublicName,
  parseQueueTimeout,
  parseResult,
  parseReversalResult,
  parseTransactionStatusResult,
} from './result.js';
export type {
  ResultAck,
  ResultAckBody,
  ResultHandler,
  ResultHandlerOptions,
  ResultKind,
  ResultKinds,
  ResultRequest,
} from './result-handler.js';
export { createResultHandler } from './result-handler.js';
