import type { PaymentStatus } from '../../core/payment-status.js';

/** One entry of a result-code catalogue. */
export interface ResultCodeEntry {
  /** What the code means, in plain words. */
  readonly meaning: string;
  /** The payment status the code maps to (`pending` for an answer that is not final). */
  readonly status: PaymentStatus;
  /**
   * True when the code is a final answer: the payment's result will not change. False for in-flight
   * answers such as `4999` ("still under processing"): ask again later.
   */
  readonly final: boolean;
}

/** What a result code means, as returned by {@link describeStkResultCode}. */
export interface ResultCodeInfo extends ResultCodeEntry {
  /** The code as a string (Daraja sends numbers and strings). */
  readonly code: string;
  /**
   * False when the code is not in the catalogue. An unknown code is never treated as a failure: it maps
   * to `pending`, not final, and keeps its raw value, so the payment is checked again.
   */
  readonly known: boolean;
}

/**
 * The known STK push (M-Pesa Express) result codes, from callbacks and STK query: what each means, the
 * payment status it maps to, and whether it is final. `0` → `completed`, `1032` → `cancelled`, `1037`
 * and `1036` → `timeout`, `4999` ("still under processing", seen in real STK query answers while the
 * prompt is open) → `pending` and not final, every other known code → `failed`. A code that is not
 * here is unknown and never treated as final (see {@link describeStkResultCode}).
 */
export const STK_RESULT_CODES: Readonly<Record<string, ResultCodeEntry>> = Object.freeze({
  '0': { meaning: 'The payment was processed successfully.', status: 'completed', final: true },
  '1': {
    meaning: "The customer's M-Pesa balance (including Fuliza) is insufficient.",
    status: 'failed',
    final: true,
  },
  '2': { meaning: 'Declined: the amount is below the minimum (KES 1).', status: 'failed', final: true },
  '3': {
    meaning: 'Declined: the amount is above the maximum per transaction.',
    status: 'failed',
    final: true,
  },
  '4': {
    meaning: "Declined: it would exceed the customer's daily transfer limit.",
    status: 'failed',
    final: true,
  },
  '8': { meaning: 'Declined: it would exceed the maximum account balance.', status: 'failed', final: true },
  '17': {
    meaning:
      'Rule limited: the same amount was requested from the same customer within 2 minutes. Wait 2 minutes.',
    status: 'failed',
    final: true,
  },
  '26': { meaning: 'Traffic blocking: the system is busy. Try again later.', status: 'failed', final: true },
  '1001': {
    meaning: 'Unable to lock the subscriber: another M-Pesa session is in progress.',
    status: 'failed',
    final: true,
  },
  '1019': { meaning: 'The transaction expired before it was processed.', status: 'failed', final: true },
  '1025': {
    meaning: 'Error sending the push: the prompt text is too long. Shorten accountReference.',
    status: 'failed',
    final: true,
  },
  '1032': { meaning: 'The customer cancelled the request.', status: 'cancelled', final: true },
  '1036': {
    meaning:
      'SMSC ACK timeout: the prompt never reached the phone (same customer meaning as 1037). Ask the customer to try again.',
    status: 'timeout',
    final: true,
  },
  '1037': {
    meaning:
      'The customer could not be reached or did not answer the prompt in time (phone off, SIM outdated).',
    status: 'timeout',
    final: true,
  },
  '2001': { meaning: 'The customer entered the wrong M-Pesa PIN.', status: 'failed', final: true },
  '2028': {
    meaning: 'Not permitted by product assignment: check TransactionType and PartyB (paybill vs till).',
    status: 'failed',
    final: true,
  },
  '4999': {
    meaning:
      'The transaction is still under processing (an STK query answer while the prompt is open): not final, ask again later.',
    status: 'pending',
    final: false,
  },
  '8006': { meaning: 'The security credential is locked.', status: 'failed', final: true },
  '9999': { meaning: 'Error sending the push request.', status: 'failed', final: true },
  SFC_IC0003: {
    meaning: 'The operator does not exist: check TransactionType and PartyB (paybill vs till).',
    status: 'failed',
    final: true,
  },
});

/**
 * Look up an STK result code (number or string). An unknown code is **never** treated as a failure:
 * it maps to `pending`, not final, and keeps its raw value, so a payment that got it stays pending and is
 * checked again (only Daraja's known, final answers settle a payment).
 *
 * @param code - `ResultCode` from a callback or query, e.g. `1032` or `"1032"`.
 * @returns The code's meaning, payment status and whether it is final.
 *
 * @example
 * ```ts
 * describeStkResultCode(1032); // { code: '1032', status: 'cancelled', final: true, known: true, meaning: '…' }
 * describeStkResultCode('4999'); // { code: '4999', status: 'pending', final: false, known: true, … }
 * describeStkResultCode('4242'); // { code: '4242', status: 'pending', final: false, known: false, … }
 * ```
 */
export function describeStkResultCode(code: string | number): ResultCodeInfo {
  const key = String(code).trim();
  const entry = Object.hasOwn(STK_RESULT_CODES, key) ? STK_RESULT_CODES[key] : undefined;
  if (entry)
    return { code: key, known: true, meaning: entry.meaning, status: entry.status, final: entry.final };
  return {
    code: key,
    known: false,
    meaning: `Unknown result code ${key}: not treated as final; the payment stays pending and is checked again.`,
    status: 'pending',
    final: false,
  };
}

/**
 * The payment status for an STK result code: `0` → `completed`, `1032` → `cancelled`, `1037` and
 * `1036` → `timeout`, other known final codes → `failed`, and `pending` for `4999` and for any code not
 * in the catalogue.
 *
 * @param code - `ResultCode` from a callback or query.
 */
export function stkResultStatus(code: string | number): PaymentStatus {
  return describeStkResultCode(code).status;
}
