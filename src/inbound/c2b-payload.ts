import { tryNormalizePhoneNumber } from '../core/utils/phone.js';
import { fail, readAmount, readBody, readText } from '../core/utils/readers.js';
import { parseDarajaTimestamp } from '../core/utils/timestamp.js';

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
    const text = readText(b[key], key, true);
    if (text !== undefined) return text.trim();
    if (required) fail('missing_field', `${key} is missing.`, key);
    return '';
  };
  const transactionId = str('TransID', true);
  const time = str('TransTime', true);
  const transactionTime = parseDarajaTimestamp(time);
  if (!transactionTime) fail('invalid_field', 'TransTime is not a YYYYMMDDHHmmss timestamp.', 'TransTime');
  const amount = readAmount(b['TransAmount'], 'TransAmount');
  if (amount === undefined) fail('missing_field', 'TransAmount is missing.', 'TransAmount');
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
