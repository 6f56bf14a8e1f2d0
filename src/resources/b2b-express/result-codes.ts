// Data table: the B2B Express Checkout codes, from the portal's Error tab as quoted by two peer SDKs
// (reference §3.5). Developer detail only: what a code means and what to do.

/**
 * What a B2B Express Checkout push has come to, as {@link daraja-sdk/results!parseB2bExpressResult} reads a callback:
 * `completed` (the merchant paid, `0`), `cancelled` (the merchant cancelled, `4001`), `failed` (a known
 * failure: `4102`, `4104`, `4201`, `4203`), or `unknown` (a code in no catalogue). Unknown is never
 * failed: the push may still have been paid.
 */
export type B2bExpressStatus = 'completed' | 'cancelled' | 'failed' | 'unknown';

/** One entry of {@link B2B_EXPRESS_RESULT_CODES}. */
export interface B2bExpressCodeEntry {
  /** What the code means, for the developer, with what to do where that is known. */
  readonly meaning: string;
  /** The status the code maps to. */
  readonly status: Exclude<B2bExpressStatus, 'unknown'>;
}

/** What a B2B Express Checkout code means, as returned by {@link describeB2bExpressCode}. */
export interface B2bExpressCodeInfo {
  /** The code as a string. */
  readonly code: string;
  /** False when the code is not in {@link B2B_EXPRESS_RESULT_CODES}: `status` is then `unknown`. */
  readonly known: boolean;
  /** What the code means, in plain words. */
  readonly meaning: string;
  /** The status the code maps to; `unknown` for a code in no catalogue. */
  readonly status: B2bExpressStatus;
}

/**
 * The B2B Express Checkout codes, from the Daraja portal's Error tab (not seen live). `4102` and `4104`
 * are listed by one peer as synchronous `code` values and by another as callback `resultCode` values;
 * the SDK reads them in both places: in the acknowledgement they are a `DarajaApiError`, in a callback
 * a `failed` result.
 */
export const B2B_EXPRESS_RESULT_CODES: Readonly<Record<string, B2bExpressCodeEntry>> = Object.freeze({
  '0': { meaning: 'The merchant approved the push and paid.', status: 'completed' },
  '4001': { meaning: 'The merchant (till operator) cancelled the USSD prompt.', status: 'cancelled' },
  '4102': {
    meaning:
      "Merchant KYC failure: the till's owner failed Safaricom's KYC check. The merchant must contact Safaricom.",
    status: 'failed',
  },
  '4104': {
    meaning:
      'The till has no Nominated Number: the merchant must set one under Organization Details on the M-Pesa org portal; only that phone can receive the push.',
    status: 'failed',
  },
  '4201': {
    meaning: 'USSD network error: the prompt could not be delivered. Push again later.',
    status: 'failed',
  },
  '4203': { meaning: 'USSD exception error on Safaricom’s side. Push again later.', status: 'failed' },
});

/**
 * Look up a B2B Express Checkout code (an acknowledgement's `code` or a callback's `resultCode`).
 *
 * @param code - The code as sent: `"0"`, `4001`, `"4104"`…
 * @returns Its meaning and status; an unknown code keeps its raw value and maps to `unknown`.
 *
 * @example
 * ```ts
 * describeB2bExpressCode('4001').status; // 'cancelled'
 * describeB2bExpressCode('9999').status; // 'unknown': never read as failed
 * ```
 */
export function describeB2bExpressCode(code: string | number): B2bExpressCodeInfo {
  const key = String(code).trim();
  const entry = Object.hasOwn(B2B_EXPRESS_RESULT_CODES, key) ? B2B_EXPRESS_RESULT_CODES[key] : undefined;
  if (entry) return { code: key, known: true, meaning: entry.meaning, status: entry.status };
  return {
    code: key,
    known: false,
    meaning: `Unknown B2B Express Checkout code ${key}; see resultDesc. Not read as a failure: check the payment before pushing again.`,
    status: 'unknown',
  };
}
