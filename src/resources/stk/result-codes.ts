import type { PaymentStatus } from '../../core/payment-status.js';

/**
 * What a code of a result-code catalogue means: the shape every catalogue's lookup returns, STK
 * ({@link describeStkResultCode}, as {@link ResultCodeInfo}) and initiator results
 * ({@link "daraja-sdk"!describeResultCode | describeResultCode}, as
 * {@link "daraja-sdk"!ApiResultCodeInfo | ApiResultCodeInfo}), each adding what its codes decide.
 */
export interface ResultCodeMeaning {
  /** The code as a string (Daraja sends numbers, strings and codes such as `SFC_IC0003` or `R000002`). */
  readonly code: string;
  /** False when the code is in no catalogue: `meaning` then says so and `code` keeps the raw value. */
  readonly known: boolean;
  /** What the code means, in plain words, with what to do where that is known. */
  readonly meaning: string;
}

/** One entry of the STK result-code catalogue. */
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

/** What an STK result code means, as returned by {@link describeStkResultCode}. */
export interface ResultCodeInfo extends ResultCodeMeaning, ResultCodeEntry {
  /**
   * False when the code is not in the catalogue. An unknown code is never treated as a failure: it maps
   * to `pending`, not final, and keeps its raw value, so the payment is checked again.
   */
  readonly known: boolean;
}

/** A known, final failure of the STK catalogue. */
const failed = (meaning: string): ResultCodeEntry => ({ meaning, status: 'failed', final: true });

/**
 * The known STK push (M-Pesa Express) result codes, from callbacks and STK query: what each means, the
 * payment status it maps to, and whether it is final. `0` → `completed`, `1032` → `cancelled`, `1037`
 * and `1036` → `timeout`, `4999` ("still under processing", seen in real STK query answers while the
 * prompt is open) → `pending` and not final, every other known code → `failed`. A code that is not
 * here is unknown and never treated as final (see {@link describeStkResultCode}).
 */
export const STK_RESULT_CODES: Readonly<Record<string, ResultCodeEntry>> = Object.freeze({
  '0': { meaning: 'The payment was processed successfully.', status: 'completed', final: true },
  '1': failed("The customer's M-Pesa balance (including Fuliza) is insufficient."),
  '2': failed('Declined: the amount is below the minimum (KES 1).'),
  '3': failed('Declined: the amount is above the maximum per transaction.'),
  '4': failed("Declined: it would exceed the customer's daily transfer limit."),
  '8': failed('Declined: it would exceed the maximum account balance.'),
  '17': failed(
    'Rule limited: the same amount was requested from the same customer within 2 minutes. Wait 2 minutes.',
  ),
  '26': failed('Traffic blocking: the system is busy. Try again later.'),
  '1001': failed('Unable to lock the subscriber: another M-Pesa session is in progress.'),
  '1019': failed('The transaction expired before it was processed.'),
  '1025': failed('Error sending the push: the prompt text is too long. Shorten accountReference.'),
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
  '2001': failed('The customer entered the wrong M-Pesa PIN.'),
  '2028': failed('Not permitted by product assignment: check TransactionType and PartyB (paybill vs till).'),
  '4999': {
    meaning:
      'The transaction is still under processing (an STK query answer while the prompt is open): not final, ask again later.',
    status: 'pending',
    final: false,
  },
  '8006': failed('The security credential is locked.'),
  '9999': failed('Error sending the push request.'),
  SFC_IC0003: failed('The operator does not exist: check TransactionType and PartyB (paybill vs till).'),
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
