/**
 * The errors about what the SDK was handed: the client's options, a call's arguments, a callback body.
 *
 * @module
 */

import { DarajaError, type DarajaErrorOptions } from './base.js';

/** One problem found in the client's options or environment variables. */
export interface DarajaConfigIssue {
  /** The option (`consumerKey`) or environment variable (`MPESA_CONSUMER_KEY`) at fault. */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/**
 * A setting the SDK needs is missing or invalid (a call's own arguments are a {@link DarajaValidationError}
 * instead). `issues` lists every problem at once. Nothing has been sent to Daraja when it is thrown.
 *
 * Thrown:
 * - synchronously by `new Daraja()` and `Daraja.fromEnv()`, for invalid options or environment variables;
 * - synchronously by the other functions that take options: `createPaymentFlow()`, `createResultHandler()`,
 *   `encryptSecurityCredential()` (an unreadable certificate);
 * - at call time, by a call that needs a setting the client was built without (an STK push with no
 *   callback URL, shortcode or passkey; an initiator call with no initiator name, security credential,
 *   shortcode or result URLs; a C2B or pull call with no shortcode), or that the environment does not allow
 *   (`c2b.simulate` in production);
 * - by `PostgresPaymentStore` when its tables are missing or older than the SDK (run `migrate()`).
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
