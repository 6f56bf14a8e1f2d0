// The M-Pesa Ratiba callback: what Daraja POSTs to the `CallBackURL` of a standing order request
// (`resources/ratiba/ratiba.ts`). Its own envelope, `responseHeader` / `responseBody.responseData[{name,
// value}]`, with camelCase keys on success and PascalCase on failure, so every key is read
// case-insensitively.
import { amountOf, fail, isRecord, type Json, readBody, textOf } from '../core/utils/readers.js';

/**
 * Where a standing order request ended, by the callback's result code:
 *
 * - `created` (0): the customer entered their PIN; the order exists.
 * - `cancelled` (1032): the customer cancelled the prompt, or it timed out (as the STK catalogue maps 1032).
 * - `timeout` (1037): the customer could not be reached or did not answer in time.
 * - `failed`: another known code (1001, 1025, 1050, 1051, 2001): no order was created.
 * - `unknown`: a code in no catalogue. Never read it as failed: check with Safaricom before acting.
 */
export type RatibaResultStatus = 'created' | 'cancelled' | 'timeout' | 'failed' | 'unknown';

/** One known Ratiba callback code: what it means and the status it maps to. */
export interface RatibaResultCodeEntry {
  /** What the code means, with what to do where that is known. */
  readonly meaning: string;
  /** The status it maps to. */
  readonly status: Exclude<RatibaResultStatus, 'unknown'>;
}

const failed = (meaning: string): RatibaResultCodeEntry => ({ meaning, status: 'failed' });

/**
 * The Ratiba callback's result codes (the reference's table, from the portal's Error tab as KEPAS and
 * STARNERZ pasted it; none seen live): what each means and the {@link RatibaResultStatus} it maps to.
 */
export const RATIBA_RESULT_CODES: Readonly<Record<string, RatibaResultCodeEntry>> = Object.freeze({
  '0': { meaning: 'The standing order was created.', status: 'created' },
  '1001': failed(
    'Unable to lock the subscriber: the customer has another USSD session open. Retry in 2 to 3 minutes.',
  ),
  '1025': failed('Error sending the PIN prompt (partner or system side).'),
  '1032': { meaning: 'The customer cancelled the prompt, or it timed out.', status: 'cancelled' },
  '1037': {
    meaning: 'DS timeout: the customer could not be reached (phone off, old SIM) or did not answer in time.',
    status: 'timeout',
  },
  '1050': failed(
    'The customer already has a standing order with this name: choose another standingOrderName.',
  ),
  '1051': failed('Bad request: a field of the request is invalid.'),
  '2001': failed('The customer entered a wrong M-Pesa PIN.'),
});

/** One `{name, value}` item of `responseBody.responseData`, as sent. */
export interface RatibaResultItem {
  /** The `name` (or `Name`), e.g. `TransactionID`. */
  readonly name: string;
  /** The `value` (or `Value`), as text; `undefined` when absent. */
  readonly value: string | undefined;
}

/**
 * A Ratiba callback, parsed: the success samples of both portal versions and the failure sample read the
 * same way.
 */
export interface RatibaResult {
  /** The header's `responseCode` (else the data's `responseCode`), as a string: `"0"` when created. */
  resultCode: string;
  /** The header's `responseDescription`, e.g. "Standing order created successfully". */
  resultDesc: string;
  /** True when `resultCode` is `"0"`. */
  success: boolean;
  /** The code's status ({@link RATIBA_RESULT_CODES}); `unknown` for a code in no catalogue. */
  status: RatibaResultStatus;
  /** The code's meaning. */
  meaning: string;
  /**
   * The standing order's id: `TransactionID` of a successful callback. In the 2026 portal's sample
   * (version B) it equals `reminderScheduleId`, so it is the order's id, not an M-Pesa receipt; in the 2025
   * sample (version A) it looks like a receipt (`SC8F2IQMH5`). `undefined` when the order was not created
   * (the failure sample sends the placeholder `0000000000`; it stays in {@link RatibaResult.transactionId}).
   */
  standingOrderId: string | undefined;
  /** `TransactionID` as sent. */
  transactionId: string | undefined;
  /** The header's `requestRefID`: the portal says it echoes your `customStoId` (unverified). */
  requestRefId: string | undefined;
  /** The header's `responseRefID`. */
  responseRefId: string | undefined;
  /** `standingOrderName` (version B only). */
  standingOrderName: string | undefined;
  /** `amount` (version B only, e.g. `"500.00"`), in shillings. */
  amount: number | undefined;
  /** `firstPaymentReminderDate` (version B only), `yyyymmdd` as sent. */
  firstPaymentReminderDate: string | undefined;
  /** `issuePaymentReminderUntil` (version B only), `yyyymmdd` as sent. */
  issuePaymentReminderUntil: string | undefined;
  /** `reminderScheduleId` (version B only). */
  reminderScheduleId: string | undefined;
  /** The lower-case `status` item of version B, e.g. `ACTIVE`: the order's state. */
  orderStatus: string | undefined;
  /** The `Status` item: `OKAY` or `ERROR`. */
  resultStatus: string | undefined;
  /** `Msisdn`: the customer, already masked by Daraja (e.g. `*********867`). */
  msisdn: string | undefined;
  /** Every `responseData` item, in order. */
  data: readonly RatibaResultItem[];
  /** The body as received. */
  raw: unknown;
}

/** The own key of `obj` equal to `name` ignoring case (an exact match first). */
function pick(obj: Json | undefined, name: string): unknown {
  if (obj === undefined) return undefined;
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : obj[key];
}

const recordOf = (value: unknown): Json | undefined => (isRecord(value) ? value : undefined);

/** The `responseData` items, `name`/`value` in either casing. */
function itemsOf(list: unknown): RatibaResultItem[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list))
    fail('invalid_field', 'responseBody.responseData must be an array.', 'responseBody.responseData');
  return list.flatMap((entry) => {
    const item = recordOf(entry);
    const name = textOf(pick(item, 'name'));
    return name === undefined ? [] : [{ name, value: textOf(pick(item, 'value')) }];
  });
}

/** The first item named `name`, ignoring case. */
function itemValue(items: readonly RatibaResultItem[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return items.find((i) => i.name.toLowerCase() === lower)?.value;
}

/**
 * Parse the callback Daraja POSTs to a standing order's `CallBackURL`. Keys are read case-insensitively
 * (success bodies are camelCase, failure bodies PascalCase). The result code is the header's
 * `responseCode`, else the data's `responseCode`; an unknown code gives status `unknown`, never `failed`.
 *
 * @param body - The request body: parsed JSON, or its text or bytes.
 * @returns The parsed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} when the body is not an object or carries no result code.
 *
 * @example
 * ```ts
 * const result = parseRatibaResult(req.body);
 * if (result.status === 'created') await orders.activate(result.requestRefId, result.standingOrderId);
 * ```
 */
export function parseRatibaResult(body: unknown): RatibaResult {
  const top = readBody(body);
  const header = recordOf(pick(top, 'responseHeader'));
  const data = itemsOf(pick(recordOf(pick(top, 'responseBody')), 'responseData'));
  const code = textOf(pick(header, 'responseCode')) ?? itemValue(data, 'responseCode');
  if (code === undefined || code.trim() === '')
    fail('missing_field', 'responseHeader.responseCode is missing.', 'responseHeader.responseCode');
  const resultCode = code.trim();
  const entry = Object.hasOwn(RATIBA_RESULT_CODES, resultCode) ? RATIBA_RESULT_CODES[resultCode] : undefined;
  const transactionId = itemValue(data, 'TransactionID');
  const statuses = data.filter((i) => i.name.toLowerCase() === 'status').map((i) => i.value);
  const amount = amountOf(itemValue(data, 'amount'));
  return {
    resultCode,
    resultDesc: textOf(pick(header, 'responseDescription')) ?? '',
    success: resultCode === '0',
    status: entry?.status ?? 'unknown',
    meaning:
      entry?.meaning ??
      `Unknown Ratiba result code ${resultCode}: not treated as failed; check the order with Safaricom.`,
    standingOrderId: resultCode === '0' ? transactionId : undefined,
    transactionId,
    requestRefId: textOf(pick(header, 'requestRefID')),
    responseRefId: textOf(pick(header, 'responseRefID')),
    standingOrderName: itemValue(data, 'standingOrderName'),
    amount: Number.isFinite(amount) ? amount : undefined,
    firstPaymentReminderDate: itemValue(data, 'firstPaymentReminderDate'),
    issuePaymentReminderUntil: itemValue(data, 'issuePaymentReminderUntil'),
    reminderScheduleId: itemValue(data, 'reminderScheduleId'),
    orderStatus: statuses.find((s) => s !== undefined && !/^(OKAY|ERROR)$/i.test(s)),
    resultStatus: statuses.find((s) => s !== undefined && /^(OKAY|ERROR)$/i.test(s)),
    msisdn: itemValue(data, 'Msisdn'),
    data,
    raw: body,
  };
}
