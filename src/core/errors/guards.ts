/**
 * The `is*` guards of the error tree. They compare `name`, so they also recognise errors from another
 * copy of the package (e.g. one bundled by a dependency), where `instanceof` would fail.
 *
 * @module
 */

import type {
  DarajaApiError,
  DarajaAuthError,
  DarajaDuplicateError,
  DarajaNotFoundError,
  DarajaProductNotEnabledError,
  DarajaRateLimitError,
} from './api.js';
import { DarajaError } from './base.js';
import type { DarajaCallbackError, DarajaConfigError, DarajaValidationError } from './input.js';
import type { DarajaNetworkError, DarajaTimeoutError, DarajaUnknownOutcomeError } from './network.js';

function hasName(value: unknown, names: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    names.includes((value as { name: string }).name)
  );
}

/** The guard for the errors named `names` (a class and the subclasses it lists). */
function guardFor<T extends DarajaError>(...names: readonly string[]): (value: unknown) => value is T {
  return (value: unknown): value is T => hasName(value, names);
}

const API_NAMES = [
  'DarajaApiError',
  'DarajaAuthError',
  'DarajaNotFoundError',
  'DarajaDuplicateError',
  'DarajaProductNotEnabledError',
  'DarajaRateLimitError',
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
/** True for a {@link DarajaConfigError}, from any copy of the package. @function */
export const isDarajaConfigError = guardFor<DarajaConfigError>('DarajaConfigError');
/** True for a {@link DarajaValidationError}, from any copy of the package. @function */
export const isDarajaValidationError = guardFor<DarajaValidationError>('DarajaValidationError');
/** True for a {@link DarajaApiError} or one of its subclasses, from any copy of the package. @function */
export const isDarajaApiError = guardFor<DarajaApiError>(...API_NAMES);
/** True for a {@link DarajaAuthError}, from any copy of the package. @function */
export const isDarajaAuthError = guardFor<DarajaAuthError>('DarajaAuthError');
/** True for a {@link DarajaNotFoundError}, from any copy of the package. @function */
export const isDarajaNotFoundError = guardFor<DarajaNotFoundError>('DarajaNotFoundError');
/** True for a {@link DarajaDuplicateError}, from any copy of the package. @function */
export const isDarajaDuplicateError = guardFor<DarajaDuplicateError>('DarajaDuplicateError');
/** True for a {@link DarajaProductNotEnabledError}, from any copy of the package. @function */
export const isDarajaProductNotEnabledError = guardFor<DarajaProductNotEnabledError>(
  'DarajaProductNotEnabledError',
);
/** True for a {@link DarajaRateLimitError} (429, spike arrest, quota), from any copy of the package. @function */
export const isDarajaRateLimitError = guardFor<DarajaRateLimitError>('DarajaRateLimitError');
/** True for a {@link DarajaNetworkError} or {@link DarajaTimeoutError}, from any copy of the package. @function */
export const isDarajaNetworkError = guardFor<DarajaNetworkError>(...NETWORK_NAMES);
/** True for a {@link DarajaTimeoutError}, from any copy of the package. @function */
export const isDarajaTimeoutError = guardFor<DarajaTimeoutError>('DarajaTimeoutError');
/** True for a {@link DarajaUnknownOutcomeError}, from any copy of the package. @function */
export const isDarajaUnknownOutcomeError = guardFor<DarajaUnknownOutcomeError>('DarajaUnknownOutcomeError');
/** True for a {@link DarajaCallbackError}, from any copy of the package. @function */
export const isDarajaCallbackError = guardFor<DarajaCallbackError>('DarajaCallbackError');
