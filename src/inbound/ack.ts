// Every answer you send back to what Daraja POSTs, defined once: the acknowledgement of a result or a
// callback (`{"ResultCode":0,"ResultDesc":"Accepted"}`, used by the result handler and the payment flow),
// and the C2B answers (accept or reject at validation, acknowledge a confirmation).
import { DarajaValidationError } from '../core/errors.js';

/** The JSON body of a {@link ResultAck}. */
export interface ResultAckBody {
  /** Always `0`. */
  ResultCode: 0;
  /** Always `"Accepted"`. */
  ResultDesc: 'Accepted';
}

/** The answer to send back to Daraja: always HTTP 200 with `{"ResultCode":0,"ResultDesc":"Accepted"}`. */
export interface ResultAck {
  /** Always 200. */
  status: 200;
  /** Always `{ ResultCode: 0, ResultDesc: 'Accepted' }`. */
  body: ResultAckBody;
}

/**
 * @internal
 * The acknowledgement body Daraja expects for a result or a callback, frozen. Hand out copies
 * ({@link resultAck}) where the caller may change the answer.
 */
export const ACCEPTED: Readonly<ResultAckBody> = Object.freeze({ ResultCode: 0, ResultDesc: 'Accepted' });

/** @internal A new {@link ResultAck}: HTTP 200 with a copy of {@link ACCEPTED}. */
export function resultAck(): ResultAck {
  return { status: 200, body: { ...ACCEPTED } };
}

/**
 * The C2B validation reject codes: answer a validation request with one of these (through
 * {@link c2bReject}) to refuse the payment.
 */
export const C2B_REJECT_CODES = Object.freeze({
  /** The payer's phone number is not accepted. */
  C2B00011: 'Invalid MSISDN',
  /** The account number (`BillRefNumber`) is unknown. */
  C2B00012: 'Invalid Account Number',
  /** The amount is not accepted (e.g. not the invoice amount). */
  C2B00013: 'Invalid Amount',
  /** The payer's KYC details are not accepted. */
  C2B00014: 'Invalid KYC Details',
  /** The shortcode is not accepted. */
  C2B00015: 'Invalid Shortcode',
  /** Any other reason. */
  C2B00016: 'Other Error',
} as const);

/** A C2B validation reject code, e.g. `C2B00012` (invalid account number). */
export type C2bRejectCode = keyof typeof C2B_REJECT_CODES;

/** What you answer M-Pesa's C2B validation request with. */
export interface C2bValidationResponse {
  /** `"0"` to accept, a {@link C2bRejectCode} to reject. */
  ResultCode: '0' | C2bRejectCode;
  /** `"Accepted"` or `"Rejected"`. */
  ResultDesc: string;
  /** Your id for the payment; M-Pesa echoes it in the confirmation. */
  ThirdPartyTransID?: string;
}

/**
 * Accept a C2B payment at validation: `{"ResultCode":"0","ResultDesc":"Accepted"}`. Answer within about
 * 8 seconds, or M-Pesa applies the registered `ResponseType`.
 *
 * @param thirdPartyTransId - Your id for the payment, echoed back in the confirmation. Optional.
 * @returns The JSON body to send with HTTP 200.
 *
 * @example
 * ```ts
 * res.json(c2bAccept());
 * ```
 */
export function c2bAccept(thirdPartyTransId?: string): C2bValidationResponse {
  return {
    ResultCode: '0',
    ResultDesc: ACCEPTED.ResultDesc,
    ...(thirdPartyTransId === undefined ? {} : { ThirdPartyTransID: thirdPartyTransId }),
  };
}

/**
 * Reject a C2B payment at validation, e.g. `{"ResultCode":"C2B00012","ResultDesc":"Rejected"}` for an
 * unknown account number. The customer's money is not taken.
 *
 * @param code - Why: a {@link C2bRejectCode}. @defaultValue `'C2B00016'` (other error)
 * @returns The JSON body to send with HTTP 200.
 * @throws {@link daraja-sdk!DarajaValidationError} for a code that is not in {@link C2B_REJECT_CODES}.
 *
 * @example
 * ```ts
 * const payment = parseC2bPayload(req.body);
 * res.json(knownAccount(payment.billRefNumber) ? c2bAccept() : c2bReject('C2B00012'));
 * ```
 */
export function c2bReject(code: C2bRejectCode = 'C2B00016'): C2bValidationResponse {
  if (!Object.hasOwn(C2B_REJECT_CODES, code))
    throw new DarajaValidationError(
      'code',
      `"${String(code)}" is not a C2B reject code; use C2B00011 to C2B00016.`,
    );
  return { ResultCode: code, ResultDesc: 'Rejected' };
}

/** The acknowledgement of a C2B confirmation. */
export interface C2bConfirmationAck {
  /** Always `"0"`. */
  ResultCode: '0';
  /** Always `"Success"`. */
  ResultDesc: 'Success';
}

/**
 * The acknowledgement of a C2B confirmation: `{"ResultCode":"0","ResultDesc":"Success"}`. Send it with
 * HTTP 200 once the payment is stored; Safaricom does not resend missed confirmations (reconcile with
 * transaction status or the Pull API).
 *
 * @returns The JSON body to send with HTTP 200.
 */
export function c2bConfirmationAck(): C2bConfirmationAck {
  return { ResultCode: '0', ResultDesc: 'Success' };
}
