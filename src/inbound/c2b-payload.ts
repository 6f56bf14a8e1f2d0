import { DarajaCallbackError, DarajaValidationError } from '../core/errors.js';
import { tryNormalizePhoneNumber } from '../core/utils/phone.js';
import { readAmount, readBody } from '../core/utils/readers.js';
import { parseDarajaTimestamp } from '../core/utils/timestamp.js';

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
    ResultDesc: 'Accepted',
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

/**
 * A C2B validation or confirmation payload, parsed. Daraja sends every value as a string; amounts are
 * parsed to numbers, `TransTime` to a `Date`. The payer's number is masked (v2, `2547 ***** 126`) or a
 * SHA-256 hash (v1): the full number is no longer disclosed, and names may be empty.
 */
export interface C2bPayload {
  /** "Pay Bill" or "Buy Goods" (human text), or the raw value. */
  transactionType: string;
  /** The M-Pesa receipt, e.g. `RKL51ZDR4F` (`TransID`). */
  transactionId: string;
  /** When the payment was made (`TransTime`, Nairobi time). */
  transactionTime: Date;
  /** The amount paid, in shillings (`TransAmount`). */
  amount: number;
  /** The shortcode paid (`BusinessShortCode`). */
  businessShortcode: string;
  /** The account number the customer typed (`BillRefNumber`); empty for Buy Goods. */
  billRefNumber: string;
  /** `InvoiceNumber`, usually empty. */
  invoiceNumber: string;
  /** The organisation's balance after the payment (`OrgAccountBalance`); `undefined` in validation requests, where it is blank. */
  orgAccountBalance: number | undefined;
  /** The id you returned at validation (`ThirdPartyTransID`), or empty. */
  thirdPartyTransId: string;
  /** `MSISDN` exactly as sent: masked (`2547 ***** 126`), hashed, or (older payloads) a full number. */
  msisdn: string;
  /** The normalised phone number, only when `msisdn` is a full number. */
  phoneNumber: string | undefined;
  /** `FirstName`, possibly empty. */
  firstName: string;
  /** `MiddleName`, possibly empty. */
  middleName: string;
  /** `LastName`, possibly empty. */
  lastName: string;
  /** The body as received. */
  raw: unknown;
}

/**
 * Parse the body M-Pesa POSTs to your C2B validation or confirmation URL.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed payload.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming the missing or malformed field.
 *
 * @example
 * ```ts
 * app.post('/payments/c2b/confirmation', async (req, res) => {
 *   const payment = parseC2bPayload(req.body);
 *   await savePayment(payment.transactionId, payment.amount, payment.billRefNumber);
 *   res.json(c2bConfirmationAck());
 * });
 * ```
 */
export function parseC2bPayload(body: unknown): C2bPayload {
  const b = readBody(body);
  const str = (key: string, required = false): string => {
    const v = b[key];
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (v === undefined || v === null) {
      if (!required) return '';
      throw new DarajaCallbackError(`${key} is missing.`, { reason: 'missing_field', path: key });
    }
    throw new DarajaCallbackError(`${key} must be a string, got ${typeof v}.`, {
      reason: 'invalid_field',
      path: key,
    });
  };
  const transactionId = str('TransID', true);
  const time = str('TransTime', true);
  const transactionTime = parseDarajaTimestamp(time);
  if (!transactionTime)
    throw new DarajaCallbackError('TransTime is not a YYYYMMDDHHmmss timestamp.', {
      reason: 'invalid_field',
      path: 'TransTime',
    });
  const amount = readAmount(b['TransAmount'], 'TransAmount');
  if (amount === undefined)
    throw new DarajaCallbackError('TransAmount is missing.', {
      reason: 'missing_field',
      path: 'TransAmount',
    });
  const msisdn = str('MSISDN');
  return {
    transactionType: str('TransactionType'),
    transactionId,
    transactionTime,
    amount,
    businessShortcode: str('BusinessShortCode', true),
    billRefNumber: str('BillRefNumber'),
    invoiceNumber: str('InvoiceNumber'),
    orgAccountBalance: readAmount(b['OrgAccountBalance'], 'OrgAccountBalance'),
    thirdPartyTransId: str('ThirdPartyTransID'),
    msisdn,
    phoneNumber: tryNormalizePhoneNumber(msisdn),
    firstName: str('FirstName'),
    middleName: str('MiddleName'),
    lastName: str('LastName'),
    raw: body,
  };
}
