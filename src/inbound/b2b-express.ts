// The B2B Express Checkout callback: a flat camelCase body POSTed to the push's `callbackUrl` (no
// `Result` envelope), read into a typed result whose status comes from the product's code catalogue.
import { CALLBACK_BODY_MAX_BYTES } from '../core/limits.js';
import {
  fail,
  type Json,
  own,
  readAmount,
  readBody,
  readText,
  requireString,
} from '../core/utils/readers.js';
import { type B2bExpressStatus, describeB2bExpressCode } from '../resources/b2b-express/result-codes.js';

/**
 * A B2B Express Checkout callback, read. Only `resultCode` and `requestId` are always there; the
 * portal's samples show `paymentReference` only on a cancel, and `resultType`, `conversationID`,
 * `transactionId` and `status` only on a success.
 */
export interface B2bExpressResult {
  /**
   * `completed` (`0`), `cancelled` (`4001`), `failed` (`4102`, `4104`, `4201`, `4203`) or `unknown` (a
   * code the catalogue does not know). Unknown is never failed: check before pushing again.
   */
  status: B2bExpressStatus;
  /** `resultCode` as a string (`"0"`, `"4001"`…). */
  resultCode: string;
  /** `resultDesc` as sent ('' when absent). Its wording varies: switch on `status` or `resultCode`. */
  resultDesc: string;
  /** Plain-words meaning of the code, from {@link "daraja-sdk"!B2B_EXPRESS_RESULT_CODES | B2B_EXPRESS_RESULT_CODES}. */
  meaning: string;
  /**
   * `requestId`: per the portal, the `RequestRefID` you sent (`requestRefId` of the push). Unverified:
   * no live callback is on record.
   */
  requestId: string;
  /** `amount` in shillings (sent as a decimal string, `"71.0"`). */
  amount: number | undefined;
  /** `paymentReference`: the push's `paymentRef` (seen on the cancel sample only). */
  paymentReference: string | undefined;
  /** `resultType` (seen on the success sample only). */
  resultType: string | undefined;
  /** `conversationID` (or `conversationId`): Daraja's id of the payment. */
  conversationId: string | undefined;
  /** `transactionId`: the M-Pesa receipt of a successful payment, e.g. `RDQ01NFT1Q`. */
  transactionId: string | undefined;
  /** The body's own `status` as sent (`SUCCESS`, `Failed`). */
  statusText: string | undefined;
  /** The body as received, for auditing. */
  raw: unknown;
}

const CODE = /^[A-Za-z0-9_]{1,32}$/;

/** `resultCode`, a string or a number: a missing or malformed one is an invalid callback, never a failure. */
function readCode(body: Json): string {
  const v = own(body, 'resultCode');
  if (v === undefined || v === null) fail('missing_field', 'resultCode is missing.', 'resultCode');
  const text =
    typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!CODE.test(text))
    fail('invalid_field', 'resultCode must be a code such as "0" or "4001".', 'resultCode');
  return /^\d+$/.test(text) ? String(Number(text)) : text;
}

/**
 * Parse the body Daraja POSTs to a B2B Express Checkout push's `callbackUrl`: `0` → `completed` (with
 * the receipt in `transactionId`), `4001` → `cancelled`, `4102`/`4104`/`4201`/`4203` → `failed`, any
 * other code → `unknown` (never failed). Every field but `resultCode` and `requestId` is optional;
 * `conversationID` is read in both spellings; `amount` (`"71.0"`) is a number. Reads only own
 * properties, so `__proto__` keys are inert.
 *
 * Built from the portal's two samples (success and cancel); no live callback is on record. The portal's
 * "Failed Result Parameter Definition" table describes a `Result{…}` envelope that contradicts its own
 * samples (it is copied from the B2B pages), so it is not read.
 *
 * @param body - The parsed JSON body (or its text or bytes).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const result = parseB2bExpressResult(req.body);
 * if (result.status === 'completed') await orders.markPaid(result.requestId, result.transactionId);
 * ```
 */
export function parseB2bExpressResult(body: unknown): B2bExpressResult {
  const b = readBody(body, { maxChars: CALLBACK_BODY_MAX_BYTES });
  const info = describeB2bExpressCode(readCode(b));
  const requestId = requireString(b, 'requestId', 'requestId', 100);
  const text = (key: string) => readText(own(b, key), key);
  return {
    status: info.status,
    resultCode: info.code,
    resultDesc: (text('resultDesc') ?? '').slice(0, 1000),
    meaning: info.meaning,
    requestId,
    amount: readAmount(own(b, 'amount'), 'amount'),
    paymentReference: text('paymentReference'),
    resultType: text('resultType'),
    conversationId: text('conversationID') ?? text('conversationId'),
    transactionId: text('transactionId'),
    statusText: text('status'),
    raw: body,
  };
}
