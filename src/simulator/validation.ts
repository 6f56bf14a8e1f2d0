import { timingSafeEqual } from 'node:crypto';
import { parseNairobiTimestamp } from '../wire/time.js';
import {
  errorEnvelope,
  invalidField,
  invalidPayload,
  type RouteRequest,
  type RouteResponse,
} from './routes.js';

// The simulator's own STK limits. It is the oracle the SDK is tested against, so it must not take its
// limits from the SDK it checks (a wrong SDK limit would then pass its own tests).

/** @internal The smallest STK `Amount` Daraja accepts, KES 1 (Daraja's documented limit). */
export const SIM_STK_MIN_AMOUNT = 1;
/** @internal The largest STK `Amount` Daraja accepts, KES 250,000 per transaction (Daraja's documented limit). */
export const SIM_STK_MAX_AMOUNT = 250_000;
/** @internal The longest STK `AccountReference` Daraja accepts, 12 characters (Daraja's documented limit). */
export const SIM_STK_ACCOUNT_REFERENCE_MAX = 12;
/**
 * @internal
 * The longest STK `TransactionDesc` the simulator accepts. The docs say 13 characters, but Safaricom's
 * own Node library sends the 20-character "Lipa na mpesa online" in its live-sandbox integration test,
 * so Daraja accepts at least 20 (seen in its live sandbox); the real limit is
 * unknown. The simulator must not reject what Daraja accepts, so it allows a generous 100.
 */
export const SIM_STK_TRANSACTION_DESC_MAX = 100;

/** @internal A request body field and the check its value must pass. */
export interface FieldRule {
  field: string;
  check: (value: unknown) => boolean;
  /** An absent (`undefined` or `null`) optional field passes. */
  optional?: boolean;
}

/** @internal A JSON object body. */
export type JsonBody = Record<string, unknown>;

/**
 * @internal
 * The request's JSON object body, or Daraja's answer when there is none. A body that is not sent as
 * JSON (e.g. form-encoded) is answered `notJson`: "Invalid BusinessShortCode" by default, as Daraja's
 * STK API was seen to do; JSON that does not parse, or is not an object, "Invalid Request
 * Payload".
 */
export function readJsonObject(
  request: RouteRequest,
  notJson: () => RouteResponse = () => invalidField('BusinessShortCode'),
): { body: JsonBody; error?: undefined } | { body?: undefined; error: RouteResponse } {
  if (!request.isJson) return { error: notJson() };
  const body = request.json;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: invalidPayload() };
  return { body: body as JsonBody };
}

/**
 * @internal
 * Check the fields in order and answer `400.002.02 Bad Request - Invalid <Field>` for the first bad one.
 *
 * @returns `undefined` when every field passes.
 */
export function checkFields(body: JsonBody, rules: readonly FieldRule[]): RouteResponse | undefined {
  for (const rule of rules) {
    const value = body[rule.field];
    if ((value === undefined || value === null) && rule.optional) continue;
    if (!rule.check(value)) return invalidField(rule.field);
  }
  return undefined;
}

/**
 * @internal
 * Bearer token (`denied` is the token check's answer), JSON body, then the fields in order: Daraja's
 * order of checks for every API but STK (which has its own first answer and its password).
 */
export function readFields(
  request: RouteRequest,
  rules: readonly FieldRule[],
  denied: RouteResponse | undefined,
): { body: JsonBody } | { error: RouteResponse } {
  if (denied) return { error: denied };
  const read = readJsonObject(request, invalidPayload);
  if (read.error) return { error: read.error };
  const error = checkFields(read.body, rules);
  return error ? { error } : { body: read.body };
}

/** @internal The digits of a field sent as a number or a string of digits, else `undefined`. */
export function digitsOf(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return undefined;
}

/** @internal A number, or a string holding one (`"100"`, `"100.00"`), else `undefined`. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\d+(?:\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

/** @internal A string, or a number written as one, else `undefined`. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

const MSISDN = /^254[17]\d{8}$/;

/**
 * An absolute http(s) URL without whitespace: what Daraja's gateway takes as a callback or result URL
 * (it answers "Invalid CallBackURL" to one with a space). The sandbox takes http:// too.
 */
function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.trim() === '' || /\s/.test(value)) return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** @internal Checks shared by the Daraja APIs. */
export const checks = {
  /** The configured shortcode, as a number or a string. */
  shortcode: (shortcode: string) => (v: unknown) => digitsOf(v) === shortcode,
  /** A Kenyan mobile number in the `2547XXXXXXXX` / `2541XXXXXXXX` form, as a number or a string. */
  msisdn: (v: unknown) => MSISDN.test(digitsOf(v) ?? ''),
  /** A valid `YYYYMMDDHHmmss` timestamp, as a string or a number. */
  timestamp: (v: unknown) => {
    const text = digitsOf(v);
    return text !== undefined && parseNairobiTimestamp(text) !== undefined;
  },
  /** A non-empty string. */
  nonEmpty: (v: unknown) => typeof v === 'string' && v.trim() !== '',
  /** Text of `min` to `max` characters (numbers are accepted as text). */
  length: (min: number, max: number) => (v: unknown) => {
    const text = textOf(v);
    return text !== undefined && text.length >= min && text.length <= max;
  },
  /** An absolute http(s) URL without whitespace. */
  url: (v: unknown) => isHttpUrl(v),
  /** One of the given strings. */
  oneOf: (values: readonly string[]) => (v: unknown) => typeof v === 'string' && values.includes(v),
  /** One of the given values, sent as a string or a number (identifier types such as `"4"` or `4`). */
  oneOfText: (values: readonly string[]) => (v: unknown) => values.includes(textOf(v) ?? ''),
  /** `min` to `max` digits, as a number or a string (shortcodes, tills). */
  digits: (min: number, max: number) => (v: unknown) => {
    const text = digitsOf(v);
    return text !== undefined && text.length >= min && text.length <= max;
  },
  /** A whole number of shillings from `min` to `max`, as a number or a numeric string. */
  wholeAmount:
    (min: number, max = Number.MAX_SAFE_INTEGER) =>
    (v: unknown) => {
      const n = numberOf(v);
      return n !== undefined && Number.isInteger(n) && n >= min && n <= max;
    },
} as const;

/** @internal The rules of an STK push body, in the order Daraja's answers suggest. */
export function stkPushRules(shortcode: string): FieldRule[] {
  return [
    { field: 'BusinessShortCode', check: checks.shortcode(shortcode) },
    { field: 'Password', check: checks.nonEmpty },
    { field: 'Timestamp', check: checks.timestamp },
    {
      field: 'TransactionType',
      check: checks.oneOf(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline']),
    },
    {
      field: 'Amount',
      check: (v) => {
        const n = numberOf(v);
        return n !== undefined && Number.isInteger(n) && n >= SIM_STK_MIN_AMOUNT && n <= SIM_STK_MAX_AMOUNT;
      },
    },
    { field: 'PartyA', check: checks.msisdn },
    { field: 'PartyB', check: (v) => /^\d{5,8}$/.test(digitsOf(v) ?? '') },
    { field: 'PhoneNumber', check: checks.msisdn },
    { field: 'CallBackURL', check: checks.url },
    { field: 'AccountReference', check: checks.length(1, SIM_STK_ACCOUNT_REFERENCE_MAX) },
    { field: 'TransactionDesc', check: checks.length(0, SIM_STK_TRANSACTION_DESC_MAX), optional: true },
  ];
}

/** @internal The rules of an STK query body. */
export function stkQueryRules(shortcode: string): FieldRule[] {
  return [
    { field: 'BusinessShortCode', check: checks.shortcode(shortcode) },
    { field: 'Password', check: checks.nonEmpty },
    { field: 'Timestamp', check: checks.timestamp },
    { field: 'CheckoutRequestID', check: checks.nonEmpty },
  ];
}

/**
 * @internal
 * Check `Password` = base64(shortcode + passkey + Timestamp), the way Daraja's merchant validation
 * does after the gateway accepted the fields.
 *
 * @returns `undefined` when it matches, else HTTP 500 `500.001.1001 [MerchantValidate] - Wrong credentials`.
 */
export function checkStkPassword(
  body: JsonBody,
  shortcode: string,
  passkey: string,
): RouteResponse | undefined {
  // Daraja's password: base64 of the shortcode, the passkey and the timestamp, run together.
  const expected = Buffer.from(Buffer.from(`${shortcode}${passkey}${body['Timestamp']}`).toString('base64'));
  const sent = Buffer.from(String(body['Password']));
  if (sent.length === expected.length && timingSafeEqual(sent, expected)) return undefined;
  return errorEnvelope(500, '500.001.1001', '[MerchantValidate] - Wrong credentials');
}

/** @internal A copy without the keys whose value is `undefined`. */
export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
