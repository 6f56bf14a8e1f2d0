import type { PaymentStatus } from '../payment-status.js';

/** One entry of a result-code catalogue. */
export interface ResultCodeEntry {
  /** What the code means, in plain words. */
  readonly meaning: string;
  /** The payment status the code maps to. */
  readonly status: PaymentStatus;
}

/** What a result code means, as returned by {@link describeStkResultCode}. */
export interface ResultCodeInfo extends ResultCodeEntry {
  /** The code as a string (Daraja sends numbers and strings). */
  readonly code: string;
  /** False when the code is not in the catalogue: it then maps to `failed` and keeps its raw value. */
  readonly known: boolean;
}

/**
 * The known STK push (M-Pesa Express) result codes, from callbacks and STK query: what each means and
 * the payment status it maps to. `0` → `completed`, `1032` → `cancelled`, `1037` → `timeout`, every
 * other code → `failed`.
 */
export const STK_RESULT_CODES: Readonly<Record<string, ResultCodeEntry>> = Object.freeze({
  '0': { meaning: 'The payment was processed successfully.', status: 'completed' },
  '1': { meaning: "The customer's M-Pesa balance (including Fuliza) is insufficient.", status: 'failed' },
  '2': { meaning: 'Declined: the amount is below the minimum (KES 1).', status: 'failed' },
  '3': { meaning: 'Declined: the amount is above the maximum per transaction.', status: 'failed' },
  '4': { meaning: "Declined: it would exceed the customer's daily transfer limit.", status: 'failed' },
  '8': { meaning: 'Declined: it would exceed the maximum account balance.', status: 'failed' },
  '17': {
    meaning:
      'Rule limited: the same amount was requested from the same customer within 2 minutes. Wait 2 minutes.',
    status: 'failed',
  },
  '26': { meaning: 'Traffic blocking: the system is busy. Try again later.', status: 'failed' },
  '1001': {
    meaning: 'Unable to lock the subscriber: another M-Pesa session is in progress.',
    status: 'failed',
  },
  '1019': { meaning: 'The transaction expired before it was processed.', status: 'failed' },
  '1025': {
    meaning: 'Error sending the push: the prompt text is too long. Shorten accountReference.',
    status: 'failed',
  },
  '1032': { meaning: 'The customer cancelled the request.', status: 'cancelled' },
  '1037': {
    meaning:
      'The customer could not be reached or did not answer the prompt in time (phone off, SIM outdated).',
    status: 'timeout',
  },
  '2001': { meaning: 'The customer entered the wrong M-Pesa PIN.', status: 'failed' },
  '2028': {
    meaning: 'Not permitted by product assignment: check TransactionType and PartyB (paybill vs till).',
    status: 'failed',
  },
  '8006': { meaning: 'The security credential is locked.', status: 'failed' },
  '9999': { meaning: 'Error sending the push request.', status: 'failed' },
  SFC_IC0003: {
    meaning: 'The operator does not exist: check TransactionType and PartyB (paybill vs till).',
    status: 'failed',
  },
});

/**
 * Look up an STK result code (number or string). Unknown codes map to `failed` and keep their raw value.
 *
 * @param code - `ResultCode` from a callback or query, e.g. `1032` or `"1032"`.
 * @returns The code's meaning and payment status.
 *
 * @example
 * ```ts
 * describeStkResultCode(1032); // { code: '1032', status: 'cancelled', known: true, meaning: '…' }
 * describeStkResultCode('4242'); // { code: '4242', status: 'failed', known: false, … }
 * ```
 */
export function describeStkResultCode(code: string | number): ResultCodeInfo {
  const key = String(code).trim();
  const entry = Object.hasOwn(STK_RESULT_CODES, key) ? STK_RESULT_CODES[key] : undefined;
  if (entry) return { code: key, known: true, meaning: entry.meaning, status: entry.status };
  return {
    code: key,
    known: false,
    meaning: `Unknown result code ${key}: the transaction failed.`,
    status: 'failed',
  };
}

/**
 * The payment status for an STK result code: `0` → `completed`, `1032` → `cancelled`, `1037` →
 * `timeout`, anything else → `failed`.
 *
 * @param code - `ResultCode` from a callback or query.
 */
export function stkResultStatus(code: string | number): PaymentStatus {
  return describeStkResultCode(code).status;
}
