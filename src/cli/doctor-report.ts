import type { PaymentStatus } from '../core/payment-status.js';
import type { ErrorReport } from './context.js';

/** @internal Defaults of `daraja doctor`. */
export const DOCTOR_DEFAULTS = Object.freeze({
  /** Shillings sent by `--push`. */
  amount: 1,
  /** How long `--push` waits for the final status, in ms. */
  timeoutMs: 120_000,
  /** Delay between two status queries, in ms. */
  intervalMs: 3_000,
  /** The phone number normalised when `--push` is not given. */
  examplePhone: '0712345678',
  /** The timeout of each request to Daraja, in ms. */
  requestTimeoutMs: 15_000,
  /** `AccountReference` of the test push (≤ 12 characters; shown on the prompt). */
  accountReference: 'DOCTOR',
  /** `TransactionDesc` of the test push (≤ 13 characters). */
  transactionDesc: 'daraja doctor',
});

/** @internal The state of one doctor check. */
export type CheckStatus = 'ok' | 'warning' | 'failed' | 'skipped';

/** @internal One doctor check. */
export interface CheckReport {
  /** `configuration`, `phone-number`, `access-token`, `callback-url` or `stk-push`. */
  name: string;
  /** Its state. `warning` does not fail the run. */
  status: CheckStatus;
  /** What was found. */
  message: string;
  /** What to do, when something is wrong (one line per problem when there are several). */
  fix?: string;
  /** More of what was found, one line each. */
  details?: string[];
  /** Warnings, for `warning`. */
  warnings?: string[];
  /** The error, when the check failed on one. */
  error?: ErrorReport;
  /** Milliseconds the check took, for network checks. */
  durationMs?: number;
}

/** @internal What `--push` did. */
export interface PushReport {
  /** The masked phone number the prompt went to. */
  phoneNumber: string;
  /** The amount requested, in shillings. */
  amount: number;
  /** The CallBackURL sent (query values hidden). */
  callbackUrl: string;
  /** `not-sent` when the push was skipped or rejected, `unknown` when its outcome is unknown, else the payment status (`pending` when no final status came in time). */
  status: PaymentStatus | 'not-sent' | 'unknown';
  /** From the push answer. */
  checkoutRequestId?: string;
  /** From the push answer. */
  merchantRequestId?: string;
  /** The final result code (`"0"`, `"1032"`, …). */
  resultCode?: string;
  /** Daraja's description of the result. */
  resultDesc?: string;
  /** Plain-words meaning of the result code. */
  meaning?: string;
  /** Status queries sent. */
  queries: number;
  /** Milliseconds from the accepted push to the final status (or the give-up). */
  waitedMs: number;
}
