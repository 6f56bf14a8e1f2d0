/**
 * The errors built from an error answer of Daraja (or of its gateway): {@link DarajaApiError} and its
 * subclasses. `toApiError` in `../http/api-errors.ts` picks the class for an answer.
 *
 * @module
 */

import {
  cleanText,
  DarajaError,
  type DarajaErrorOptions,
  type DarajaOperation,
  sanitizeBody,
} from './base.js';

/** The fields of an error answer from Daraja. */
export interface DarajaApiErrorDetails {
  /** The operation that failed, e.g. `stk.push`. */
  operation: DarajaOperation;
  /** HTTP status of the answer. */
  status: number;
  /** Daraja's `requestId`, when the body carried one. */
  requestId?: string | undefined;
  /** Daraja's `errorCode` (e.g. `400.002.02`), or a `ResponseCode` / Apigee fault code. */
  errorCode?: string | undefined;
  /** Daraja's `errorMessage`, or the gateway's fault string. */
  errorMessage?: string | undefined;
  /**
   * The response body: parsed JSON when it was JSON, otherwise the text (truncated to 2 kB). Phone numbers
   * are masked and secret-looking fields replaced when the error is built.
   */
  body: unknown;
}

/**
 * Daraja answered with an error. Carries the HTTP `status`, Daraja's `requestId`, `errorCode` and
 * `errorMessage`, and the raw `body` (HTML and empty bodies from Daraja's gateway included).
 */
export class DarajaApiError extends DarajaError {
  /** Always `'DarajaApiError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaApiError';
  /** The operation that failed, e.g. `stk.push`. */
  readonly operation: DarajaOperation;
  /** HTTP status of the answer. */
  readonly status: number;
  /** Daraja's `requestId`, when present. */
  readonly requestId: string | undefined;
  /** Daraja's `errorCode`, e.g. `400.002.02` or `500.001.1001`. */
  readonly errorCode: string | undefined;
  /** Daraja's `errorMessage`, e.g. `Bad Request - Invalid PhoneNumber`. */
  readonly errorMessage: string | undefined;
  /** The response body: parsed JSON, or text for HTML and other non-JSON answers. */
  readonly body: unknown;

  constructor(details: DarajaApiErrorDetails, message?: string, options: DarajaErrorOptions = {}) {
    const errorMessage = details.errorMessage === undefined ? undefined : cleanText(details.errorMessage);
    super(message ?? describeApiError({ ...details, errorMessage }), options);
    this.operation = details.operation;
    this.status = details.status;
    this.requestId = details.requestId;
    this.errorCode = details.errorCode;
    this.errorMessage = errorMessage;
    this.body = sanitizeBody(details.body);
  }
}

/**
 * Authentication failed: Daraja rejected the consumer key and secret, or rejected the access token
 * again after the SDK fetched a fresh one.
 */
export class DarajaAuthError extends DarajaApiError {
  /** Always `'DarajaAuthError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaAuthError';
}

/**
 * Daraja says the transaction does not exist, e.g. an STK query for an unknown `CheckoutRequestID`
 * ("The transaction does not Exist").
 */
export class DarajaNotFoundError extends DarajaApiError {
  /** Always `'DarajaNotFoundError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaNotFoundError';
}

/**
 * Daraja refused the call because the app is not subscribed to the API product it needs (`401.003.01`
 * "no apiproduct match found"). The access token is fine, so the SDK neither refreshes it nor replays the
 * call: a new token gets the same answer. Fix it on the Daraja portal: add the product named by `product`
 * to the app whose consumer key and secret the client uses, or use the credentials of an app that has it.
 * For C2B it is often the API version: the app has C2B v1 but the call used v2, or the reverse.
 *
 * @example
 * ```ts
 * if (isDarajaProductNotEnabledError(error)) console.error(`Enable "${error.product}" for this app`);
 * ```
 */
export class DarajaProductNotEnabledError extends DarajaApiError {
  /** Always `'DarajaProductNotEnabledError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaProductNotEnabledError';
  /** The Daraja API product the operation needs, as the portal names it, e.g. `M-Pesa Express`. */
  readonly product: string;

  /**
   * @param details - The error answer.
   * @param product - The Daraja API product the operation needs, e.g. `M-Pesa Express`.
   * @param message - Overrides the default message.
   */
  constructor(details: DarajaApiErrorDetails, product: string, message?: string) {
    super(details, message ?? productNotEnabledMessage(details, product));
    this.product = product;
  }
}

/** @internal The default message of a {@link DarajaProductNotEnabledError}. */
export function productNotEnabledMessage(details: DarajaApiErrorDetails, product: string): string {
  const answer =
    `HTTP ${details.status}${details.errorCode ? ` ${details.errorCode}` : ''}` +
    `${details.errorMessage ? `: ${details.errorMessage}` : ''}${details.requestId ? `, requestId ${details.requestId}` : ''}`;
  return (
    `[daraja] ${details.operation}: this app is not subscribed to the Daraja API product "${product}" (${answer}). ` +
    'A new access token will not help. On the Daraja portal (developer.safaricom.co.ke, My Apps), add ' +
    `"${product}" to the app whose consumer key and secret this client uses, or use the credentials of an app ` +
    'that has it (sandbox and production apps are separate).'
  );
}

/**
 * Daraja rejected a request as a duplicate of one it already received (`500.002.1001` "Duplicate
 * OriginatorConversationID"). For a B2C payment this is the idempotency key at work: **the original
 * request was already accepted**, by an earlier attempt of this call whose answer was lost or by an
 * earlier call with the same `originatorConversationId`, and its result will arrive on your ResultURL.
 * Do not send the payment again under a new id; wait for the result, or ask
 * `daraja.transactions.status({ originalConversationId })`.
 *
 * Only an answer whose message says "duplicate" is one: Daraja also sends `500.002.1001` with "System
 * internal error." or "Service is currently under maintenance", which mean the request was **not**
 * accepted; those are plain {@link DarajaApiError}s.
 */
export class DarajaDuplicateError extends DarajaApiError {
  /** Always `'DarajaDuplicateError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaDuplicateError';
  /** The idempotency key Daraja saw twice (the `OriginatorConversationID`), when the SDK knows it. */
  readonly idempotencyKey: string | undefined;

  /**
   * @param details - The error answer.
   * @param idempotencyKey - The key that was sent twice, e.g. the B2C `OriginatorConversationID`.
   * @param message - Overrides the default message.
   */
  constructor(details: DarajaApiErrorDetails, idempotencyKey?: string, message?: string) {
    super(
      details,
      message ??
        `[daraja] ${details.operation}: Daraja already received this OriginatorConversationID${idempotencyKey === undefined ? '' : ` "${idempotencyKey}"`} (${details.errorCode ?? 'duplicate'}). ` +
          'The original request was accepted (an earlier attempt or call); its result will arrive on your ResultURL. Do not resend under a new id.',
    );
    this.idempotencyKey = idempotencyKey;
  }
}

/** Where a {@link DarajaRateLimitError} came from. */
export type DarajaRateLimitSource = 'http-429' | 'spike-arrest' | 'quota';

/**
 * Daraja (or its gateway) is rate-limiting this app: an HTTP `429`, a `500.003.02` Spike Arrest answer
 * (too many calls in a short window) or a `500.003.03` Quota answer (the app's quota is used up). Calls
 * that are safe to repeat were already retried with backoff, honouring `Retry-After`; this error means
 * the retries ran out (a money-moving call without an idempotency key is never resent). Wait
 * `retryAfterMs` when Daraja sent `Retry-After`, otherwise back off, then try again.
 *
 * @example
 * ```ts
 * if (isDarajaRateLimitError(error)) await new Promise((r) => setTimeout(r, error.retryAfterMs ?? 5_000));
 * ```
 */
export class DarajaRateLimitError extends DarajaApiError {
  /** Always `'DarajaRateLimitError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaRateLimitError';
  /** Which limit answered: `http-429`, `spike-arrest` (`500.003.02`) or `quota` (`500.003.03`). */
  readonly source: DarajaRateLimitSource;
  /** How long Daraja asked to wait, in ms, from its `Retry-After` header; `undefined` when it sent none. */
  readonly retryAfterMs: number | undefined;

  /**
   * @param details - The error answer.
   * @param source - Which limit answered.
   * @param retryAfterMs - The wait Daraja asked for in `Retry-After`, in ms.
   * @param message - Overrides the default message.
   */
  constructor(
    details: DarajaApiErrorDetails,
    source: DarajaRateLimitSource,
    retryAfterMs?: number,
    message?: string,
  ) {
    super(details, message ?? rateLimitMessage(details, source, retryAfterMs));
    this.source = source;
    this.retryAfterMs = retryAfterMs;
  }
}

/** @internal The default message of a {@link DarajaRateLimitError}. */
export function rateLimitMessage(
  details: DarajaApiErrorDetails,
  source: DarajaRateLimitSource,
  retryAfterMs: number | undefined,
): string {
  const what =
    source === 'quota'
      ? "the app's quota is used up"
      : source === 'spike-arrest'
        ? 'too many calls in a short window (spike arrest)'
        : 'too many requests';
  const wait =
    retryAfterMs === undefined
      ? 'Slow down and retry later.'
      : `Daraja asked to wait ${Math.ceil(retryAfterMs / 1000)} s (Retry-After) before retrying.`;
  return `${describeApiError(details)}. Daraja is rate-limiting this app: ${what}. ${wait}`;
}

/** @internal The default message of a {@link DarajaApiError}: operation, status, code, message, requestId. */
export function describeApiError(d: DarajaApiErrorDetails): string {
  const code = d.errorCode ? ` ${d.errorCode}` : '';
  const text = d.errorMessage ? `: ${d.errorMessage}` : d.body === '' ? ' (empty body)' : '';
  const request = d.requestId ? ` (requestId ${d.requestId})` : '';
  return `[daraja] ${d.operation} failed with HTTP ${d.status}${code}${text}${request}`;
}
