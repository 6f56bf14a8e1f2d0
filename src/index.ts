/**
 * `daraja-sdk`: a typed, money-safe client for Safaricom's M-Pesa Daraja API.
 *
 * @packageDocumentation
 * @module daraja-sdk
 */

export type { DarajaEnvironment, DarajaOptions } from './client.js';
export {
  DARAJA_BASE_URLS,
  DARAJA_ENV_VARS,
  Daraja,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
} from './client.js';
export type { CachedToken, CachedTokenFailure, TokenCache, TokenLock } from './core/auth/token-cache.js';
export { DEFAULT_TOKEN_FAILURE_TTL_MS, MemoryTokenCache } from './core/auth/token-cache.js';
export { DEFAULT_TOKEN_LOCK_TTL_MS, DEFAULT_TOKEN_REFRESH_MARGIN_MS } from './core/auth/token-manager.js';
export type {
  DarajaApiErrorDetails,
  DarajaCallbackErrorOptions,
  DarajaConfigIssue,
  DarajaErrorOptions,
  DarajaNetworkErrorOptions,
  DarajaOperation,
  DarajaRateLimitSource,
} from './core/errors.js';
export {
  DarajaApiError,
  DarajaAuthError,
  DarajaCallbackError,
  DarajaConfigError,
  DarajaDuplicateError,
  DarajaError,
  DarajaNetworkError,
  DarajaNotFoundError,
  DarajaProductNotEnabledError,
  DarajaRateLimitError,
  DarajaTimeoutError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
  isDarajaApiError,
  isDarajaAuthError,
  isDarajaCallbackError,
  isDarajaConfigError,
  isDarajaDuplicateError,
  isDarajaError,
  isDarajaNetworkError,
  isDarajaNotFoundError,
  isDarajaProductNotEnabledError,
  isDarajaRateLimitError,
  isDarajaTimeoutError,
  isDarajaUnknownOutcomeError,
  isDarajaValidationError,
} from './core/errors.js';
export type { DarajaHooks, DarajaHttpEvent } from './core/http/hooks.js';
export { DARAJA_CHANNELS } from './core/http/hooks.js';
export type { DarajaResponseMeta, RequestOptions } from './core/http/transport.js';
// Every name in core/limits.ts and in each resource file is public: adding a constant or an operation's
// types there needs no line here. A helper those files share with other layers lives in a file of its own.
export * from './core/limits.js';
export type { DarajaLogger, DarajaLogLevel } from './core/logger.js';
export type { PaymentStatus } from './core/payment-status.js';
export { isTerminalPaymentStatus, TERMINAL_PAYMENT_STATUSES } from './core/payment-status.js';
export type { WithResponse } from './core/response.js';
export { ApiPromise, withResponse } from './core/response.js';
export { maskPhoneNumber, maskPhoneNumbersInText, redact } from './core/utils/mask.js';
export { stkPassword } from './core/utils/password.js';
export { normalizePhoneNumber, tryNormalizePhoneNumber } from './core/utils/phone.js';
export { darajaTimestamp, parseDarajaTimestamp } from './core/utils/timestamp.js';
export { VERSION } from './core/version.js';
export type { ApiResultCodeInfo, ResultCatalogue } from './inbound/result-codes.js';
export {
  API_RESULT_CODES,
  B2C_RESULT_CODES,
  describeResultCode,
  REVERSAL_RESULT_CODES,
} from './inbound/result-codes.js';
export type {
  StkCallbackBase,
  StkCallbackCancelled,
  StkCallbackCompleted,
  StkCallbackFailed,
  StkCallbackPending,
  StkCallbackResult,
  StkCallbackTimeout,
} from './inbound/stk-callback.js';
export { parseStkCallback } from './inbound/stk-callback.js';
export type { ClientAddressSource, WebHandlerContext } from './inbound/web-address.js';
export type { WebHandler, WebHandlerOptions } from './inbound/web-request.js';
export type {
  CallbackAck,
  CallbackProbeAck,
  CallbackRequest,
  CallbackResponse,
  CallbackRetryLater,
  CallbackUrlParams,
  InitiateParams,
  InitiateResponse,
  InitiateResult,
  PaymentFlow,
  PaymentFlowOptions,
  ReconcileSummary,
} from './payments/flow/index.js';
export {
  CALLBACK_ACK,
  CALLBACK_RETRY_LATER,
  CALLBACK_URL_PARAMS,
  createPaymentFlow,
} from './payments/flow/index.js';
export type {
  CallbackJournal,
  JournalEntry,
  JournaledCallback,
  JournaledCheckout,
  MemoryCallbackJournalOptions,
} from './payments/journal.js';
export { MemoryCallbackJournal } from './payments/journal.js';
export type { MemoryPaymentStoreOptions } from './payments/memory-store.js';
export { MemoryPaymentStore } from './payments/memory-store.js';
export type {
  CallbackProbeProblem,
  CallbackProbeProblemReason,
  CallbackProbeReport,
} from './payments/probe.js';
export {
  CALLBACK_PROBE_MERCHANT_REQUEST_ID,
  CALLBACK_PROBE_PARAM,
  callbackProbeBody,
} from './payments/probe.js';
export type { QueryBudget } from './payments/query-budget.js';
export { DEFAULT_QUERY_BUDGET, SANDBOX_QUERY_BUDGET } from './payments/query-budget.js';
export { SAFARICOM_CALLBACK_IPS } from './payments/security.js';
export type {
  CallbackEvent,
  CallbackOutcome,
  CallbackSettlement,
  CallbackSettlementResult,
  CreateResult,
  DuePendingClaim,
  EnrichmentResult,
  FulfilmentClaim,
  NewPayment,
  Payment,
  PaymentStore,
  PaymentTransition,
  ReceiptEnrichment,
  SettledBy,
  TransitionResult,
} from './payments/types.js';
export type { WebCallbackHandlerOptions, WebReconcileHandlerOptions } from './payments/web.js';
export { createWebCallbackHandler, createWebReconcileHandler } from './payments/web.js';
export * from './resources/b2b-express/b2b-express.js';
export * from './resources/b2b-express/result-codes.js';
export * from './resources/bill-manager/bill-manager.js';
export * from './resources/c2b/c2b.js';
export * from './resources/c2b/pull.js';
export * from './resources/initiator/account.js';
export * from './resources/initiator/b2b.js';
export * from './resources/initiator/b2c.js';
export type { InitiatorOptions } from './resources/initiator/config.js';
export type { DarajaCertificate } from './resources/initiator/credential.js';
export { encryptSecurityCredential } from './resources/initiator/credential.js';
export type { InitiatorCallParams, InitiatorResponse } from './resources/initiator/shared.js';
export * from './resources/qr/qr.js';
export * from './resources/ratiba/ratiba.js';
export type { ResultCodeEntry, ResultCodeInfo, ResultCodeMeaning } from './resources/stk/result-codes.js';
export { describeStkResultCode, STK_RESULT_CODES, stkResultStatus } from './resources/stk/result-codes.js';
export * from './resources/stk/stk.js';
