import { isNotAcceptedAnswer } from './api-errors.js';
import { parseRetryAfter } from './retry-after.js';

/** Retry settings for operations that are safe to repeat (OAuth, STK query). */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Delay before the first retry, in ms; doubles each retry. */
  baseDelayMs: number;
  /** Upper bound of any single delay, in ms (also caps `Retry-After`). */
  maxDelayMs: number;
}

/** @internal What went wrong with one attempt, as far as retrying is concerned. */
export type AttemptFailure =
  /** The request provably never left: connection refused, DNS or TLS failure. */
  | { kind: 'not_sent' }
  /** No answer: timeout, reset, abort after sending. The request may have been processed. */
  | { kind: 'no_answer' }
  /** Daraja (or its gateway) answered with an error status. */
  | { kind: 'http'; status: number; errorCode: string | undefined; errorMessage?: string | undefined };

/**
 * @internal
 * The retry ladder, one rule per line, first match wins:
 * 1. out of retries → stop;
 * 2. the request never left (refused, DNS, TLS) → retry, even for a money-moving call;
 * 3. a money-moving call without an idempotency key (STK push, B2B, reversal, tax) → stop: anything
 *    else may have reached Daraja, and Daraja could not tell a resend from a new payment;
 * 4. no answer (timeout, reset) → retry (for a money-moving call with an idempotency key, such as B2C
 *    with its `OriginatorConversationID`, too: Daraja rejects the resend as a duplicate if the first
 *    attempt got through);
 * 5. 429 → retry;
 * 6. `500.002.*` whose message says Daraja did not accept the request ("System internal error.",
 *    "Service is currently under maintenance. Please try again later") → retry, like rule 8;
 * 7. 5xx with a Daraja business answer (`500.001.*` such as "being processed", "wrong credentials",
 *    "does not exist"; `500.002.*` duplicate, or any `500.002.*` message not known to be rule 6) → stop:
 *    asking again gives the same answer;
 * 8. other 5xx (gateway HTML, spike arrest `500.003.02`, quota, busy) → retry;
 * 9. other 4xx → stop: the request is wrong and will stay wrong.
 *
 * Why rule 6 resends even a B2C payment (rule 3 already stopped every money-moving call without a key):
 * Daraja uses `500.002.1001` for "Duplicate OriginatorConversationID." but also for internal errors and
 * maintenance, and those say the payout was not taken on. The resend carries the same
 * `OriginatorConversationID`, so it cannot pay twice: had the first attempt been accepted after all,
 * Daraja answers "Duplicate", which the caller gets as a `DarajaDuplicateError` saying the original was
 * accepted. An internal error is often gone a second later, so the short ladder is worth it; maintenance
 * usually outlasts it, and the final `DarajaApiError` then says to retry later with the same id. An
 * unrecognised `500.002.*` message is not resent: the SDK only resends on answers it can read.
 */
export function shouldRetry(
  failure: AttemptFailure,
  attempt: number,
  policy: RetryPolicy,
  moneyMoving: boolean,
  idempotent = false,
): boolean {
  if (attempt >= policy.maxRetries) return false;
  if (failure.kind === 'not_sent') return true;
  if (moneyMoving && !idempotent) return false;
  if (failure.kind === 'no_answer') return true;
  if (failure.status === 429) return true;
  if (failure.status >= 500) {
    if (isNotAcceptedAnswer(failure.errorCode, failure.errorMessage)) return true;
    const code = failure.errorCode ?? '';
    return !(code.startsWith('500.001') || code.startsWith('500.002'));
  }
  return false;
}

/**
 * @internal
 * Capped exponential backoff with jitter: `min(max, base·2^attempt)` scaled by a random factor in
 * [0.5, 1], never below `base / 2`. A `Retry-After` (seconds or HTTP date) longer than that is honoured
 * up to `maxDelayMs`.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfter?: string | null,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  let delay = Math.max(policy.baseDelayMs / 2, exp * (0.5 + random() * 0.5));
  const after = parseRetryAfter(retryAfter);
  if (after !== undefined && after > delay) delay = after;
  return Math.min(policy.maxDelayMs, Math.round(delay));
}

/**
 * @internal
 * The SDK's one wait: resolves after `ms` milliseconds (at once when `ms <= 0`), or rejects with the
 * signal's reason as soon as `signal` aborts, clearing its timer; at once if it is already aborted. Every
 * wait of the SDK should use it (the standalone simulator keeps its own).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
