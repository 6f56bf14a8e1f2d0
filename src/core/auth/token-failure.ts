/**
 * The negative cache's record of a failed OAuth request: what is kept (no token, key or secret) and the
 * error rebuilt from it, of the same class, for the callers that find it.
 *
 * @module
 */
import {
  DarajaApiError,
  DarajaAuthError,
  type DarajaError,
  DarajaNetworkError,
  DarajaRateLimitError,
  DarajaTimeoutError,
} from '../errors.js';
import type { CachedTokenFailure } from './token-cache.js';

/** @internal The record of `error` for the negative cache, or `undefined` for an error not to share. */
export function toTokenFailure(error: unknown, failedAt: number): CachedTokenFailure | undefined {
  if (error instanceof DarajaApiError) {
    return {
      name: error.name,
      message: error.message,
      status: error.status,
      errorCode: error.errorCode,
      errorMessage: error.errorMessage,
      failedAt,
    };
  }
  if (error instanceof DarajaNetworkError) return { name: error.name, message: error.message, failedAt };
  return undefined;
}

/** @internal The error a caller gets for a failure another caller recorded: the same class and message. */
export function fromTokenFailure(failure: CachedTokenFailure): DarajaError {
  const ageS = Math.max(0, Math.round((Date.now() - failure.failedAt) / 1000));
  const message = `${failure.message} (OAuth failed ${ageS} s ago in a process sharing this token cache; not retried until the negative cache expires)`;
  const details = {
    operation: 'oauth' as const,
    status: typeof failure.status === 'number' ? failure.status : 0,
    errorCode: failure.errorCode,
    errorMessage: failure.errorMessage,
    body: undefined,
  };
  switch (failure.name) {
    case 'DarajaAuthError':
      return new DarajaAuthError(details, message);
    case 'DarajaRateLimitError':
      return new DarajaRateLimitError(details, 'http-429', undefined, message);
    case 'DarajaTimeoutError':
      return new DarajaTimeoutError(message, { operation: 'oauth', timeoutMs: 0 });
    case 'DarajaNetworkError':
      return new DarajaNetworkError(message, { operation: 'oauth' });
    default:
      return failure.status === undefined
        ? new DarajaNetworkError(message, { operation: 'oauth' })
        : new DarajaApiError(details, message);
  }
}
