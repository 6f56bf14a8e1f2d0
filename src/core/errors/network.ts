/**
 * The errors of a request that got no clear answer: no connection, a timeout, and the unknown outcome of
 * a money-moving call.
 *
 * @module
 */

import { DarajaApiError } from './api.js';
import { cleanText, DarajaError, type DarajaErrorOptions, type DarajaOperation } from './base.js';

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
