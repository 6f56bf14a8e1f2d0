/**
 * The `DarajaError` tree. Every error the SDK throws is a `DarajaError`; branch on the subclass
 * (or the `is*` guards, which also work across duplicated copies of this package) to decide what to do.
 *
 * No error message, property or `util.inspect()` output contains a consumer secret, an access token,
 * the STK passkey or password, or a full phone number. That holds for the `cause` chain too: a cause that
 * is not a Daraja error (ky's `TimeoutError`, undici's `SocketError`, a `fetch` `TypeError`) is replaced
 * by a plain error keeping only its `name`, `message` (phone numbers masked) and `code`, so the request,
 * its headers and options never survive in a thrown error.
 *
 * @module
 */

import { maskPhoneNumbersInText, redact } from './utils/mask.js';

/** The operation an error came from, e.g. `stk.push`, `stk.query` or `oauth`. */
export type DarajaOperation = string;

/** Options shared by every {@link DarajaError}. */
export interface DarajaErrorOptions {
  /**
   * The underlying error, kept for debugging. Anything but a Daraja error is stored as a plain error with
   * only its `name`, `message` (phone numbers masked) and `code`.
   */
  cause?: unknown;
}

/** @internal Receives every Daraja error once its constructor (and every subclass constructor) has run. */
export type DarajaErrorObserver = (error: DarajaError) => void;

const observers: DarajaErrorObserver[] = [];

/**
 * @internal
 * Register a function that is handed every {@link DarajaError} created from now on, in a microtask after
 * its construction (so subclass fields are set). For the test suite's leak scan; not exported from the
 * package entry. When no observer is registered, creating an error costs one length check.
 *
 * @param observer - Called once per error; an exception it throws is ignored.
 * @returns A function that unregisters the observer.
 */
export function observeDarajaErrors(observer: DarajaErrorObserver): () => void {
  observers.push(observer);
  return () => {
    const index = observers.indexOf(observer);
    if (index >= 0) observers.splice(index, 1);
  };
}

function notifyObservers(error: DarajaError): void {
  for (const observer of [...observers]) {
    try {
      observer(error);
    } catch {
      // An observer must never change what the SDK does.
    }
  }
}

const MAX_CAUSE_DEPTH = 5;
// `Bearer <token>` / `Basic <base64>` inside a message, in case a fetch implementation echoes a header.
const CREDENTIAL_IN_TEXT = /\b(Bearer|Basic)\s+[A-Za-z0-9+/=._~-]{4,}/gi;

function cleanText(text: string): string {
  return maskPhoneNumbersInText(text).replace(CREDENTIAL_IN_TEXT, '$1 [redacted]');
}

/**
 * @internal
 * Make a `cause` safe to keep on a thrown error. Daraja errors are kept as they are (theirs were cleaned
 * when they were built). Any other error, or error-like object, becomes a plain `Error` with the same
 * `name`, its `message` with phone numbers masked and credentials removed, its `code` when it is a string
 * or number, its stack frames, and its own `cause` cleaned the same way (five levels deep at most).
 * Everything else it held (ky's `request`, `response` and `options`, undici's `socket`, a `Response`) is
 * dropped. A string is masked the same way; other values are dropped.
 */
export function sanitizeCause(cause: unknown, depth = 0): unknown {
  if (cause === undefined || cause === null) return undefined;
  if (cause instanceof DarajaError) return cause;
  if (typeof cause === 'string') return cleanText(cause);
  if (typeof cause !== 'object' || depth >= MAX_CAUSE_DEPTH) return undefined;
  const source = cause as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    stack?: unknown;
    cause?: unknown;
  };
  const isError = cause instanceof Error;
  const name =
    typeof source.name === 'string' && source.name !== ''
      ? source.name
      : isError
        ? 'Error'
        : (cause.constructor?.name ?? 'Object');
  const message =
    typeof source.message === 'string'
      ? cleanText(source.message)
      : isError
        ? ''
        : `a ${name} object (not an Error), dropped`;
  const inner = isError ? sanitizeCause(safeGet(cause, 'cause'), depth + 1) : undefined;
  const plain = new Error(message, inner === undefined ? undefined : { cause: inner });
  plain.name = name;
  const code = safeGet(cause, 'code');
  if (typeof code === 'string' || typeof code === 'number') (plain as { code?: unknown }).code = code;
  const stack = safeGet(cause, 'stack');
  const frames = typeof stack === 'string' ? stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  plain.stack = [`${name}: ${message}`, ...frames].join('\n');
  return plain;
}

/**
 * @internal
 * A response body made safe to keep on an error: text is capped at 2 kB with phone numbers masked; JSON
 * has phone numbers masked and secret-looking fields (token, password, credential…) replaced.
 */
export function sanitizeBody(body: unknown): unknown {
  if (typeof body === 'string') return cleanText(body.length > 2048 ? `${body.slice(0, 2048)}…` : body);
  return redact(body);
}

// Reading a property of a foreign object can throw (a getter, a revoked proxy).
function safeGet(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * Base class of every error thrown by `daraja-sdk`.
 *
 * @example
 * ```ts
 * try {
 *   await daraja.stk.push({ phoneNumber, amount, accountReference });
 * } catch (error) {
 *   if (isDarajaError(error)) console.error(error.name, error.message);
 * }
 * ```
 */
export class DarajaError extends Error {
  /** Always `'DarajaError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaError';

  constructor(message: string, options: DarajaErrorOptions = {}) {
    const cause = sanitizeCause(options.cause);
    super(
      message.startsWith('[daraja]') ? message : `[daraja] ${message}`,
      cause === undefined ? undefined : { cause },
    );
    if (observers.length > 0) queueMicrotask(() => notifyObservers(this));
  }
}

/** One problem found in the client's options or environment variables. */
export interface DarajaConfigIssue {
  /** The option (`consumerKey`) or environment variable (`MPESA_CONSUMER_KEY`) at fault. */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/**
 * The client's options (or environment variables) are missing or invalid. Thrown synchronously by
 * `new Daraja()` and `Daraja.fromEnv()`, listing every problem at once.
 */
export class DarajaConfigError extends DarajaError {
  /** Always `'DarajaConfigError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaConfigError';
  /** Every problem found, not only the first. */
  readonly issues: readonly DarajaConfigIssue[];

  constructor(issues: readonly DarajaConfigIssue[], options: DarajaErrorOptions = {}) {
    const list = issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n');
    super(
      `[daraja] Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${list}`,
      options,
    );
    this.issues = issues;
  }
}

/**
 * An argument failed validation before any request was sent, e.g. a phone number that is not a Kenyan
 * mobile number or an amount with cents. `field` names the argument and the message says how to fix it.
 */
export class DarajaValidationError extends DarajaError {
  /** Always `'DarajaValidationError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaValidationError';
  /** The argument at fault, e.g. `phoneNumber` or `amount`. */
  readonly field: string;

  constructor(field: string, message: string, options: DarajaErrorOptions = {}) {
    super(`[daraja] ${field}: ${message}`, options);
    this.field = field;
  }
}

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

/** Options of a {@link DarajaNetworkError}. */
export interface DarajaNetworkErrorOptions extends DarajaErrorOptions {
  /** The operation that failed. */
  operation: DarajaOperation;
}

/** No answer came back from Daraja: the connection failed, was reset or was aborted. */
export class DarajaNetworkError extends DarajaError {
  /** Always `'DarajaNetworkError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaNetworkError';
  /** The operation that failed. */
  readonly operation: DarajaOperation;

  constructor(message: string, options: DarajaNetworkErrorOptions) {
    super(message, options);
    this.operation = options.operation;
  }
}

/** Daraja did not answer within the timeout (`timeoutMs`). */
export class DarajaTimeoutError extends DarajaNetworkError {
  /** Always `'DarajaTimeoutError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaTimeoutError';
  /** The timeout that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(message: string, options: DarajaNetworkErrorOptions & { timeoutMs: number }) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}

/**
 * A money-moving request (an STK push, a B2C, B2B or tax payment, a reversal, a C2B simulation) may have
 * reached Daraja, but no clear answer came back: a timeout, a connection reset after the request was
 * written, a 5xx without a Daraja error body, or an unreadable success. The money may already be moving.
 *
 * **Do not resend blindly.** The SDK never resends a request that Daraja cannot recognise as a repeat; a
 * B2C payment, which carries an idempotency key (`OriginatorConversationID`), is retried with the same key
 * first, and this error means those retries were also ambiguous (calling again with the same
 * `originatorConversationId` is safe). Wait for the callback or result, or reconcile later. `cause` holds
 * the underlying {@link DarajaTimeoutError}, {@link DarajaNetworkError} or {@link DarajaApiError}.
 */
export class DarajaUnknownOutcomeError extends DarajaError {
  /** Always `'DarajaUnknownOutcomeError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaUnknownOutcomeError';
  /** The operation whose outcome is unknown. */
  readonly operation: DarajaOperation;

  /**
   * @param operation - The operation whose outcome is unknown, e.g. `stk.push`.
   * @param cause - The ambiguous failure.
   * @param advice - What the caller should do; defaults to the STK push advice.
   */
  constructor(operation: DarajaOperation, cause: unknown, advice?: string) {
    super(
      `[daraja] ${operation}: the request may have reached Daraja but no clear answer came back (${describeCause(cause)}). ` +
        (advice ??
          'It was NOT resent, to avoid a second prompt. Wait for the callback or reconcile the payment; do not retry blindly.'),
      { cause },
    );
    this.operation = operation;
  }
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

/** Options of a {@link DarajaCallbackError}. */
export interface DarajaCallbackErrorOptions extends DarajaErrorOptions {
  /** A stable machine-readable reason, e.g. `invalid_body` or `missing_field`. */
  reason: string;
  /** Where in the body the problem is, e.g. `Body.stkCallback.ResultCode`. */
  path?: string | undefined;
}

/** A callback body from Daraja is malformed or failed a check. `reason` and `path` say what was wrong. */
export class DarajaCallbackError extends DarajaError {
  /** Always `'DarajaCallbackError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaCallbackError';
  /** A stable machine-readable reason, e.g. `invalid_body` or `missing_field`. */
  readonly reason: string;
  /** Where in the body the problem is, when it is one field. */
  readonly path: string | undefined;

  constructor(message: string, options: DarajaCallbackErrorOptions) {
    super(`[daraja] Invalid callback: ${message}`, options);
    this.reason = options.reason;
    this.path = options.path;
  }
}

/** @internal The default message of a {@link DarajaApiError}: operation, status, code, message, requestId. */
export function describeApiError(d: DarajaApiErrorDetails): string {
  const code = d.errorCode ? ` ${d.errorCode}` : '';
  const text = d.errorMessage ? `: ${d.errorMessage}` : d.body === '' ? ' (empty body)' : '';
  const request = d.requestId ? ` (requestId ${d.requestId})` : '';
  return `[daraja] ${d.operation} failed with HTTP ${d.status}${code}${text}${request}`;
}

function describeCause(cause: unknown): string {
  if (cause instanceof DarajaTimeoutError) return `no answer within ${cause.timeoutMs} ms`;
  if (cause instanceof DarajaApiError) {
    // The gateway's own words (an Apigee or SOAP fault string) are often the only clue: keep them.
    const code = cause.errorCode ? ` ${cause.errorCode}` : '';
    return `HTTP ${cause.status}${code}${cause.errorMessage ? `: ${cause.errorMessage}` : ''}`;
  }
  if (cause instanceof Error) return cleanText(cause.message.replace(/^\[daraja\] /, ''));
  return 'unknown failure';
}

function hasName(value: unknown, names: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    names.includes((value as { name: string }).name)
  );
}

const API_NAMES = [
  'DarajaApiError',
  'DarajaAuthError',
  'DarajaNotFoundError',
  'DarajaDuplicateError',
  'DarajaProductNotEnabledError',
] as const;
const NETWORK_NAMES = ['DarajaNetworkError', 'DarajaTimeoutError'] as const;
const ALL_NAMES = [
  'DarajaError',
  'DarajaConfigError',
  'DarajaValidationError',
  ...API_NAMES,
  ...NETWORK_NAMES,
  'DarajaUnknownOutcomeError',
  'DarajaCallbackError',
] as const;

/**
 * True for any error thrown by `daraja-sdk`. Compares `name`, so it also recognises errors from another
 * copy of the package (e.g. one bundled by a dependency), where `instanceof` would fail.
 */
export function isDarajaError(value: unknown): value is DarajaError {
  return value instanceof DarajaError || hasName(value, ALL_NAMES);
}
/** True for a {@link DarajaConfigError}, from any copy of the package. */
export function isDarajaConfigError(value: unknown): value is DarajaConfigError {
  return hasName(value, ['DarajaConfigError']);
}
/** True for a {@link DarajaValidationError}, from any copy of the package. */
export function isDarajaValidationError(value: unknown): value is DarajaValidationError {
  return hasName(value, ['DarajaValidationError']);
}
/** True for a {@link DarajaApiError} or one of its subclasses, from any copy of the package. */
export function isDarajaApiError(value: unknown): value is DarajaApiError {
  return hasName(value, API_NAMES);
}
/** True for a {@link DarajaAuthError}, from any copy of the package. */
export function isDarajaAuthError(value: unknown): value is DarajaAuthError {
  return hasName(value, ['DarajaAuthError']);
}
/** True for a {@link DarajaNotFoundError}, from any copy of the package. */
export function isDarajaNotFoundError(value: unknown): value is DarajaNotFoundError {
  return hasName(value, ['DarajaNotFoundError']);
}
/** True for a {@link DarajaDuplicateError}, from any copy of the package. */
export function isDarajaDuplicateError(value: unknown): value is DarajaDuplicateError {
  return hasName(value, ['DarajaDuplicateError']);
}
/** True for a {@link DarajaProductNotEnabledError}, from any copy of the package. */
export function isDarajaProductNotEnabledError(value: unknown): value is DarajaProductNotEnabledError {
  return hasName(value, ['DarajaProductNotEnabledError']);
}
/** True for a {@link DarajaNetworkError} or {@link DarajaTimeoutError}, from any copy of the package. */
export function isDarajaNetworkError(value: unknown): value is DarajaNetworkError {
  return hasName(value, NETWORK_NAMES);
}
/** True for a {@link DarajaTimeoutError}, from any copy of the package. */
export function isDarajaTimeoutError(value: unknown): value is DarajaTimeoutError {
  return hasName(value, ['DarajaTimeoutError']);
}
/** True for a {@link DarajaUnknownOutcomeError}, from any copy of the package. */
export function isDarajaUnknownOutcomeError(value: unknown): value is DarajaUnknownOutcomeError {
  return hasName(value, ['DarajaUnknownOutcomeError']);
}
/** True for a {@link DarajaCallbackError}, from any copy of the package. */
export function isDarajaCallbackError(value: unknown): value is DarajaCallbackError {
  return hasName(value, ['DarajaCallbackError']);
}
