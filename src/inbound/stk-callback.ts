import { CALLBACK_BODY_MAX_BYTES } from '../core/limits.js';
import { tryNormalizePhoneNumber } from '../core/utils/phone.js';
import {
  type BodyRules,
  fail,
  isRecord,
  type Json,
  own,
  readBody,
  readPositiveAmount,
  requireString,
} from '../core/utils/readers.js';
import { parseDarajaTimestamp } from '../core/utils/timestamp.js';
import { describeStkResultCode } from '../resources/stk/result-codes.js';

/** Fields every parsed STK callback has, whatever its outcome. */
export interface StkCallbackBase {
  /** Daraja's id of the original request. */
  merchantRequestId: string | undefined;
  /** The id returned by the STK push; matches the payment. */
  checkoutRequestId: string;
  /** The result code as a string (Daraja sends numbers and strings). */
  resultCode: string;
  /** Daraja's description. Its wording varies: switch on `status` or `resultCode`, never on this text. */
  resultDesc: string;
  /** Plain-words meaning of the result code, from the catalogue. */
  meaning: string;
  /** The body as received, for auditing. */
  raw: unknown;
}

/** The customer paid (result code 0). */
export interface StkCallbackCompleted extends StkCallbackBase {
  /** Always `'completed'`. */
  status: 'completed';
  /** Amount paid, in shillings (`1` and `1.00` both give `1`). */
  amount: number;
  /** M-Pesa's receipt number, e.g. `NLJ7RT61SV`. */
  mpesaReceiptNumber: string;
  /** When M-Pesa processed the payment (sent as Nairobi time `YYYYMMDDHHmmss`). */
  transactionDate: Date;
  /**
   * The payer's number normalised to `2547…`, when the callback carries a full number; `undefined` when
   * it is missing, masked (`2547****5678`) or hashed. See `phoneNumberRaw`.
   */
  phoneNumber: string | undefined;
  /** The `PhoneNumber` value as sent, as a string (full, masked or a SHA-256 hash), if present. */
  phoneNumberRaw: string | undefined;
}

/** The customer cancelled the prompt (1032). */
export interface StkCallbackCancelled extends StkCallbackBase {
  /** Always `'cancelled'`. */
  status: 'cancelled';
}

/** The customer could not be reached or did not answer in time (1037). */
export interface StkCallbackTimeout extends StkCallbackBase {
  /** Always `'timeout'`. */
  status: 'timeout';
}

/** Any other known, final result: insufficient funds, wrong PIN, expired… */
export interface StkCallbackFailed extends StkCallbackBase {
  /** Always `'failed'`. */
  status: 'failed';
}

/**
 * A callback whose result code is not a final answer: `4999` ("still under processing"), or a code not
 * in the catalogue. Unknown is never failed: keep the payment pending and confirm it with an STK query.
 */
export interface StkCallbackPending extends StkCallbackBase {
  /** Always `'pending'`. */
  status: 'pending';
}

/** A parsed STK callback: a union on `status`. */
export type StkCallbackResult =
  | StkCallbackCompleted
  | StkCallbackCancelled
  | StkCallbackTimeout
  | StkCallbackFailed
  | StkCallbackPending;

const PATH = 'Body.stkCallback';
const ITEMS = `${PATH}.CallbackMetadata.Item`;

/** How the STK callback words a malformed body: its reasons predate the shared defaults. */
const STK_BODY: BodyRules = {
  maxChars: CALLBACK_BODY_MAX_BYTES,
  keepBom: true,
  notJson: ['invalid_json', 'the body is not valid JSON.'],
  notObject: 'the body must be a JSON object with a "Body" field.',
};

/**
 * An STK `ResultCode` is an integer (a number, or a string of digits). The only exceptions accepted are
 * the non-numeric codes in the catalogue (`SFC_IC0003`); anything else (`"abc"`) is an invalid callback,
 * which changes nothing, rather than a failure.
 */
function readResultCode(v: unknown, path: string): string {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string') {
    const text = v.trim();
    if (/^\d{1,10}$/.test(text)) return String(Number(text));
    if (/^[A-Za-z0-9_]{1,32}$/.test(text) && describeStkResultCode(text).known) return text;
  }
  return fail('invalid_field', `${path} must be an integer result code (e.g. 0 or 1032).`, path);
}

/**
 * Parse the body Daraja POSTs to an STK push's `CallBackURL` into a typed result.
 *
 * Accepts Daraja's real variations: metadata items in any order, items with no `Value` (such as
 * `Balance`), `ResultCode` as a number or a string, amounts as `1` or `1.00` (or numeric strings), a full,
 * masked or hashed phone number, and unknown extra fields. Reads only the object's own properties, so
 * `__proto__` or `constructor` keys in the body are inert.
 *
 * @param body - The parsed JSON body (or the raw JSON text).
 * @returns A union on `status`: `completed` (with amount, receipt, date, phone), `cancelled` (1032),
 * `timeout` (1037, 1036), `failed` (any other known final code), or `pending` for a code that is not
 * final or not known (keep the payment pending and confirm it with an STK query).
 * @throws {@link DarajaCallbackError} naming what is wrong (`reason` and `path`) for a malformed body.
 *
 * @example
 * ```ts
 * const result = parseStkCallback(req.body);
 * if (result.status === 'completed') console.log(result.mpesaReceiptNumber, result.amount);
 * ```
 */
export function parseStkCallback(body: unknown): StkCallbackResult {
  const cb = readStkCallback(body);
  const checkoutRequestId = requireString(cb, 'CheckoutRequestID', `${PATH}.CheckoutRequestID`, 100);
  const merchantRaw = own(cb, 'MerchantRequestID');
  const merchantRequestId =
    typeof merchantRaw === 'string' && merchantRaw.length <= 100 && merchantRaw !== ''
      ? merchantRaw
      : undefined;
  if (!Object.hasOwn(cb, 'ResultCode'))
    fail('missing_field', `${PATH}.ResultCode is missing.`, `${PATH}.ResultCode`);
  const resultCode = readResultCode(own(cb, 'ResultCode'), `${PATH}.ResultCode`);
  const descRaw = own(cb, 'ResultDesc');
  if (descRaw !== undefined && typeof descRaw !== 'string')
    fail('invalid_field', `${PATH}.ResultDesc must be a string.`, `${PATH}.ResultDesc`);
  const info = describeStkResultCode(resultCode);
  const resultDesc = typeof descRaw === 'string' ? descRaw.slice(0, 1000) : '';
  // Results are built as plain literals: spreading a shared base and adding keys is several times
  // slower in V8, and this runs for every callback.
  if (info.status !== 'completed') {
    // Not final (4999, or a code the catalogue does not know) → pending: unknown is never failed.
    const status = info.final ? info.status : 'pending';
    return {
      status,
      merchantRequestId,
      checkoutRequestId,
      resultCode: info.code,
      resultDesc,
      meaning: info.meaning,
      raw: body,
    };
  }
  const paid = readPayment(cb);
  return {
    status: 'completed',
    merchantRequestId,
    checkoutRequestId,
    resultCode: info.code,
    resultDesc,
    meaning: info.meaning,
    raw: body,
    amount: paid.amount,
    mpesaReceiptNumber: paid.mpesaReceiptNumber,
    transactionDate: paid.transactionDate,
    phoneNumber: paid.phoneNumberRaw === undefined ? undefined : tryNormalizePhoneNumber(paid.phoneNumberRaw),
    phoneNumberRaw: paid.phoneNumberRaw,
  };
}

/** The `Body.stkCallback` object of a callback body (parsed, text or bytes). */
function readStkCallback(body: unknown): Json {
  const value = readBody(body, STK_BODY);
  const outer = own(value, 'Body');
  if (!isRecord(outer)) fail('missing_field', 'Body must be an object.', 'Body');
  const cb = own(outer, 'stkCallback');
  if (!isRecord(cb)) fail('missing_field', 'Body.stkCallback must be an object.', PATH);
  return cb;
}

/** What a successful callback's metadata says was paid: amount, receipt, date and phone as sent. */
function readPayment(cb: Json) {
  const items = readItems(cb);
  const amount = readPositiveAmount(items.get('Amount'), `${ITEMS}[Amount]`);
  const receipt = items.get('MpesaReceiptNumber');
  if (typeof receipt !== 'string' || !/^[A-Za-z0-9]{6,20}$/.test(receipt.trim())) {
    fail(
      'invalid_field',
      'MpesaReceiptNumber must be a receipt such as "NLJ7RT61SV".',
      `${ITEMS}[MpesaReceiptNumber]`,
    );
  }
  const dateRaw = items.get('TransactionDate');
  const transactionDate =
    typeof dateRaw === 'number' || typeof dateRaw === 'string' ? parseDarajaTimestamp(dateRaw) : undefined;
  if (!transactionDate) {
    fail('invalid_field', 'TransactionDate must be a YYYYMMDDHHmmss timestamp.', `${ITEMS}[TransactionDate]`);
  }
  const phone = items.get('PhoneNumber');
  const phoneNumberRaw =
    typeof phone === 'number' && Number.isSafeInteger(phone)
      ? String(phone)
      : typeof phone === 'string' && phone.length <= 128
        ? phone
        : undefined;
  return { amount, mpesaReceiptNumber: receipt.trim().toUpperCase(), transactionDate, phoneNumberRaw };
}

/** Read `CallbackMetadata.Item` into a map by `Name`; items without `Value` are skipped. */
function readItems(cb: Json): Map<string, unknown> {
  const meta = own(cb, 'CallbackMetadata');
  if (!isRecord(meta)) {
    fail('missing_field', 'a successful callback must carry CallbackMetadata.', `${PATH}.CallbackMetadata`);
  }
  let list = own(meta, 'Item');
  if (isRecord(list)) list = [list]; // a single item sent as an object
  if (!Array.isArray(list) || list.length > 50) {
    fail('invalid_field', 'CallbackMetadata.Item must be a list of {Name, Value}.', ITEMS);
  }
  const items = new Map<string, unknown>();
  for (const [i, item] of list.entries()) {
    if (!isRecord(item)) fail('invalid_field', `Item[${i}] must be an object.`, `${ITEMS}[${i}]`);
    const name = own(item, 'Name');
    if (typeof name !== 'string')
      fail('invalid_field', `Item[${i}].Name must be a string.`, `${ITEMS}[${i}].Name`);
    if (!Object.hasOwn(item, 'Value') || own(item, 'Value') === null) continue; // e.g. {"Name":"Balance"}
    const v = own(item, 'Value');
    if (items.has(name) && items.get(name) !== v) {
      fail('conflicting_field', `Item "${name}" appears twice with different values.`, ITEMS);
    }
    items.set(name, v);
  }
  return items;
}
