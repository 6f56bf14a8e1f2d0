import { toRefusalError } from '../../core/http/api-errors.js';
import type { RequestOptions, TransportResponse } from '../../core/http/transport.js';
import { STK_ACCOUNT_REFERENCE_MAX, STK_MAX_AMOUNT, STK_TRANSACTION_DESC_MAX } from '../../core/limits.js';
import { ApiResource, type PostSpec } from '../../core/resource.js';
import { maskPhoneNumbersInText } from '../../core/utils/mask.js';
import { normalizePhoneNumber } from '../../core/utils/phone.js';
import { isRecord, type Json, textOf } from '../../core/utils/readers.js';
import { darajaTimestamp } from '../../core/utils/timestamp.js';
import {
  digitsField,
  invalid,
  matching,
  oneOf,
  requireParams,
  text,
  urlField,
  wholeShillings,
} from '../../core/utils/validate.js';

/**
 * How often a standing order debits the customer, by name, mapped to the `Frequency` Daraja is sent.
 *
 * **Unconfirmed: check before going live.** These are the values of the newest Daraja portal capture
 * ("version B"): starnerz/laravel-daraja's capture of 15 August 2026 and newtonmunene99/mpesa-api's
 * transcriptions of 29 September and 7 October 2026 agree on them (1 One Off, 2 Daily, 3 Weekly,
 * 4 Bi-weekly, 5 Monthly, 6 Bi-monthly, 7 Quarterly, 8 Half Yearly, 9 Yearly). No sandbox run has
 * confirmed them: the only live attempt on record was refused for its shortcode. The previous portal table
 * ("version A", December 2025 to May 2026) had 1 to 8 with **4 = Monthly**: code written to it sends `4`
 * for monthly, which version B reads as bi-weekly, twice as often as agreed; and if Daraja still read
 * version A, `monthly` (`5`) here would be bi-monthly. If Safaricom's live table differs, send the value it
 * gives you with `wireValues.frequency` ({@link RatibaWireValues}) for that call.
 *
 * A test pins every entry (`test/unit/resources/ratiba/tables.test.ts`).
 */
export const RATIBA_FREQUENCIES = Object.freeze({
  /** `1` One Off: a single debit. */
  oneOff: '1',
  /** `2` Daily. */
  daily: '2',
  /** `3` Weekly. */
  weekly: '3',
  /** `4` Bi-weekly: every two weeks (version A's `4` was Monthly). */
  biWeekly: '4',
  /** `5` Monthly (version A's `5` was Bi-Monthly). */
  monthly: '5',
  /** `6` Bi-monthly: every two months. */
  biMonthly: '6',
  /** `7` Quarterly. */
  quarterly: '7',
  /** `8` Half Yearly. */
  halfYearly: '8',
  /** `9` Yearly (version A had no `9`). */
  yearly: '9',
} as const);

/** A standing order's frequency by name: a key of {@link RATIBA_FREQUENCIES}. */
export type RatibaFrequency = keyof typeof RATIBA_FREQUENCIES;

/**
 * What a standing order pays, by name, mapped to the `TransactionType` Daraja is sent: `payBill` pays a
 * PayBill (`ReceiverPartyIdentifierType` `"4"`), `buyGoods` a till (`"2"`).
 *
 * **Unconfirmed: check before going live.** The strings are newtonmunene99/mpesa-api's transcription of
 * the portal of 29 September and 7 October 2026 (JoseModi97/daraja4j sends the same), the newest capture
 * of version B: `Standing Order Pay Bill Ext-Third Party` and `Standing Order Merchant Payment Ext-Third
 * Party`. starnerz/laravel-daraja's earlier capture of 15 August 2026 spells them `Standing Order Pay Bill
 * External Third Party` and `Standing Order Pay Merchant External Third Party`; the 2025 portal had
 * `Standing Order Customer Pay Bill` and `…Pay Marchant`. No sandbox run has confirmed any of them. If
 * Safaricom gives you another string, send it with `wireValues.transactionType` ({@link RatibaWireValues}).
 *
 * A test pins every entry (`test/unit/resources/ratiba/tables.test.ts`).
 */
export const RATIBA_TRANSACTION_TYPES = Object.freeze({
  /** Pays a PayBill. newtonmunene99/mpesa-api, portal transcribed 2026-09-29 and 2026-10-07. */
  payBill: 'Standing Order Pay Bill Ext-Third Party',
  /** Pays a till (Buy Goods). newtonmunene99/mpesa-api, portal transcribed 2026-09-29 and 2026-10-07. */
  buyGoods: 'Standing Order Merchant Payment Ext-Third Party',
} as const);

/** What a standing order pays by name: a key of {@link RATIBA_TRANSACTION_TYPES}. */
export type RatibaTransactionType = keyof typeof RATIBA_TRANSACTION_TYPES;

/** `ReceiverPartyIdentifierType` by transaction type: `"4"` a PayBill, `"2"` a till (both portal versions). */
const RECEIVER_IDENTIFIER_TYPES: Readonly<Record<RatibaTransactionType, '2' | '4'>> = Object.freeze({
  payBill: '4',
  buyGoods: '2',
});

/**
 * The escape hatch for Ratiba's unconfirmed tables: strings sent verbatim instead of the table's value.
 * Use it only with a value Safaricom gave you (on go-live, or in a sandbox answer); each use is logged as
 * a warning.
 */
export interface RatibaWireValues {
  /** Sent as `Frequency` instead of {@link RATIBA_FREQUENCIES}' value: digits only, e.g. `'4'`. */
  frequency?: string;
  /** Sent as `TransactionType` instead of {@link RATIBA_TRANSACTION_TYPES}' value: 1 to 100 characters. */
  transactionType?: string;
}

/** Input of {@link Ratiba.createStandingOrder}. */
export interface RatibaStandingOrderParams {
  /**
   * `StandingOrderName`: unique per customer. Daraja refuses a second order with the same name for the
   * same customer with result code 1050 in the callback (after prompting them). 1 to 100 characters.
   */
  standingOrderName: string;
  /** `StartDate`: a `Date` (its day in Nairobi time) or a `yyyymmdd` string, e.g. `'20270101'`. */
  startDate: Date | string;
  /** `EndDate`: as `startDate`, on or after it. */
  endDate: Date | string;
  /**
   * `BusinessShortCode`: the PayBill or till receiving the payments. In the sandbox it must be the shortcode
   * Safaricom issued to your app for Ratiba (the one live attempt on record was refused for three others).
   */
  businessShortCode: string | number;
  /** `payBill` or `buyGoods`, mapped by {@link RATIBA_TRANSACTION_TYPES}. */
  transactionType: RatibaTransactionType;
  /** `Amount` of each execution: whole shillings, 1 to 250,000. */
  amount: number;
  /** `PartyA`: the paying customer's phone number, in any Kenyan form. Masked in every log and error. */
  phoneNumber: string | number;
  /** `CallBackURL`: where the result is POSTed (parse it with `parseRatibaResult`). */
  callbackUrl: string;
  /** `AccountReference`: 1 to 12 characters. */
  accountReference: string;
  /** `TransactionDesc`: 1 to 13 characters. */
  transactionDesc: string;
  /** How often the customer is debited, mapped by {@link RATIBA_FREQUENCIES}. */
  frequency: RatibaFrequency;
  /**
   * `CustomStoId`: your id of the order, which the portal says is echoed in the callback's `requestRefID`
   * (unverified). 1 to 100 letters, digits, `_`, `-`, `.` or `:`. @defaultValue a new `crypto.randomUUID()`
   */
  customStoId?: string;
  /** Strings to send instead of the tables' values; see {@link RatibaWireValues}. */
  wireValues?: RatibaWireValues;
}

/** Daraja's acceptance of a standing order request; the result arrives on `callbackUrl`. */
export interface RatibaStandingOrderResponse {
  /** The `CustomStoId` sent (yours, or the generated one): keep it to match the callback. */
  customStoId: string;
  /** The `StandingOrderName` sent. */
  standingOrderName: string;
  /** `ResponseHeader.responseRefID`. */
  responseRefId: string;
  /** `ResponseHeader.responseCode`: `"200"`. */
  responseCode: string;
  /** `ResponseHeader.responseDescription`, e.g. "Request accepted for processing". */
  responseDescription: string;
}

const OPERATION = 'ratiba.createStandingOrder';
const STO_ID = /^[\w.:-]{1,100}$/;
const NOT_RESENT_ADVICE =
  'It was NOT resent: every send pushes a PIN prompt to the customer, and a second order with the same standingOrderName is refused with 1050 in the callback only after prompting them. Wait for the callback on callbackUrl (match customStoId or standingOrderName); if none comes, ask the customer before creating it again.';

/** M-Pesa Ratiba: standing orders a customer approves with their PIN. Use it as `daraja.ratiba`. */
export class Ratiba extends ApiResource {
  /**
   * Create a standing order (`POST /standingorder/v1/createStandingOrderExternal`, product "M-Pesa
   * Ratiba"). Daraja pushes a PIN prompt to the customer; their PIN opts them in and creates a debit
   * mandate, and the result is POSTed to `callbackUrl`. The call is money-moving and carries no key
   * Daraja deduplicates, so it is never resent after an ambiguous failure.
   *
   * The frequency and transaction-type values sent come from {@link RATIBA_FREQUENCIES} and
   * {@link RATIBA_TRANSACTION_TYPES}, the newest portal capture, **not confirmed in the sandbox**; see
   * `wireValues` to send others.
   *
   * @param params - The order: name, dates, shortcode, type, amount, customer, frequency, callback URL.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance, with the `customStoId` sent.
   * @throws {@link DarajaValidationError} before sending; {@link DarajaApiError} for a refusal (also
   * Ratiba's `{requestRefId, responseMessage, responseCode: 400}` answer, its code and message kept);
   * {@link DarajaUnknownOutcomeError} when the request may have reached Daraja but the answer is missing
   * or unreadable (not resent).
   *
   * @example
   * ```ts
   * const { customStoId } = await daraja.ratiba.createStandingOrder({
   *   standingOrderName: 'Gym membership', startDate: '20270101', endDate: '20271231',
   *   businessShortCode: '174379', transactionType: 'payBill', amount: 1500, phoneNumber: '0708374149',
   *   callbackUrl: 'https://example.com/mpesa/ratiba', accountReference: 'MEMBER-42',
   *   transactionDesc: 'Gym monthly', frequency: 'monthly',
   * });
   * ```
   */
  async createStandingOrder(
    params: RatibaStandingOrderParams,
    options: RequestOptions = {},
  ): Promise<RatibaStandingOrderResponse> {
    const body = this.#body(requireParams(params, '{ standingOrderName, startDate, endDate, … }'));
    const spec: PostSpec = {
      operation: OPERATION,
      product: 'M-Pesa Ratiba',
      path: '/standingorder/v1/createStandingOrderExternal',
      body,
      moneyMoving: true,
      unknownOutcomeAdvice: NOT_RESENT_ADVICE,
      isExpectedError: (status, answer) => status >= 400 && status < 500 && isRatibaRefusal(answer),
    };
    this.ctx.log.debug('ratiba standing order sending', { customStoId: body.CustomStoId });
    const response = await this.post(spec, options);
    return this.#read(spec, response, body);
  }

  /** Validate every field and build the body, Daraja's field order of the version-B sample. */
  #body(p: RatibaStandingOrderParams) {
    const transactionType = oneOf<RatibaTransactionType>(
      'transactionType',
      p.transactionType,
      Object.keys(RATIBA_TRANSACTION_TYPES) as RatibaTransactionType[],
    );
    const frequency = oneOf<RatibaFrequency>(
      'frequency',
      p.frequency,
      Object.keys(RATIBA_FREQUENCIES) as RatibaFrequency[],
    );
    const startDate = dayField('startDate', p.startDate);
    const endDate = dayField('endDate', p.endDate);
    if (endDate < startDate)
      invalid('endDate', `must be on or after startDate (${startDate}), got ${endDate}.`);
    const wire = this.#wireValues(p.wireValues);
    const customStoId =
      p.customStoId === undefined
        ? crypto.randomUUID()
        : matching(
            'customStoId',
            p.customStoId,
            STO_ID,
            'must be 1 to 100 letters, digits, "_", "-", "." or ":" (e.g. a UUID).',
          );
    return {
      StandingOrderName: text('standingOrderName', p.standingOrderName, {
        min: 1,
        max: 100,
        plain: { purpose: 'unique per customer' },
      }),
      ReceiverPartyIdentifierType: RECEIVER_IDENTIFIER_TYPES[transactionType],
      TransactionType: wire.transactionType ?? RATIBA_TRANSACTION_TYPES[transactionType],
      BusinessShortCode: digitsField(
        'businessShortCode',
        p.businessShortCode,
        5,
        8,
        'the PayBill or till receiving the payments',
      ),
      PartyA: normalizePhoneNumber(p.phoneNumber, 'phoneNumber'),
      Amount: String(wholeShillings('amount', p.amount, STK_MAX_AMOUNT)),
      StartDate: startDate,
      EndDate: endDate,
      Frequency: wire.frequency ?? RATIBA_FREQUENCIES[frequency],
      CustomStoId: customStoId,
      AccountReference: text('accountReference', p.accountReference, {
        min: 1,
        max: STK_ACCOUNT_REFERENCE_MAX,
      }),
      TransactionDesc: text('transactionDesc', p.transactionDesc, { min: 1, max: STK_TRANSACTION_DESC_MAX }),
      CallBackURL: urlField('callbackUrl', p.callbackUrl, this.ctx.production, this.ctx.darajaHost),
    };
  }

  /** The override strings, checked; a warning is logged for each one used. */
  #wireValues(values: RatibaWireValues | undefined): Record<keyof RatibaWireValues, string | undefined> {
    if (values === undefined) return { frequency: undefined, transactionType: undefined };
    if (typeof values !== 'object' || values === null)
      invalid('wireValues', 'must be an object: { frequency?, transactionType? }.');
    const frequency =
      values.frequency === undefined
        ? undefined
        : matching(
            'wireValues.frequency',
            values.frequency,
            /^\d{1,3}$/,
            'must be the digits Daraja expects for Frequency, e.g. "5".',
          );
    const transactionType =
      values.transactionType === undefined
        ? undefined
        : text('wireValues.transactionType', values.transactionType, {
            min: 1,
            max: 100,
            plain: { purpose: 'sent as TransactionType' },
          });
    if (frequency !== undefined || transactionType !== undefined)
      this.ctx.log.warn('ratiba: sending wire values instead of the tables (wireValues)', {
        frequency,
        transactionType,
      });
    return { frequency, transactionType };
  }

  /** Read the acknowledgement: `ResponseHeader.responseCode "200"`, Ratiba's 400 refusal, or unreadable. */
  #read(
    spec: PostSpec,
    response: TransportResponse,
    body: { CustomStoId: string; StandingOrderName: string },
  ): RatibaStandingOrderResponse {
    const answer = response.body;
    if (isRatibaRefusal(answer)) {
      const fields = {
        requestId: textOf(answer.requestRefId),
        errorCode: textOf(answer.responseCode),
        errorMessage: maskPhoneNumbersInText(textOf(answer.responseMessage) ?? ''),
      };
      this.ctx.log.error('request failed', { operation: OPERATION, status: response.status, ...fields });
      throw toRefusalError(OPERATION, response.status, fields, answer);
    }
    const top = isRecord(answer) ? answer : {};
    const found = top['ResponseHeader'] ?? top['responseHeader'];
    const header: Json | undefined = isRecord(found) ? found : undefined;
    const code = textOf(header?.['responseCode']);
    if (header === undefined || code === undefined) {
      const message = `[daraja] ${OPERATION}: Daraja answered ${response.status} without ResponseHeader.responseCode.`;
      return this.unreadable(spec, response.status, '[unreadable answer]', message);
    }
    const result = {
      customStoId: body.CustomStoId,
      standingOrderName: body.StandingOrderName,
      responseRefId: textOf(header['responseRefID']) ?? '',
      responseCode: code.trim(),
      responseDescription: textOf(header['responseDescription']) ?? '',
    };
    if (result.responseCode !== '200') {
      const fields = {
        requestId: result.responseRefId || undefined,
        errorCode: result.responseCode,
        errorMessage: result.responseDescription || undefined,
      };
      throw toRefusalError(OPERATION, response.status, fields, answer);
    }
    this.ctx.log.info('request accepted', { operation: OPERATION, customStoId: result.customStoId });
    return result;
  }
}

/** A `Date` (its Nairobi day) or a real `yyyymmdd` date, as `yyyymmdd`. */
function dayField(field: string, value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) invalid(field, 'is an invalid Date.');
    return darajaTimestamp(value).slice(0, 8);
  }
  const fix = `must be a Date or a real date as "yyyymmdd", e.g. "20270131", got ${JSON.stringify(value)}.`;
  const m = typeof value === 'string' ? /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim()) : null;
  if (!m) return invalid(field, fix);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d)
    invalid(field, fix);
  return m[0];
}

/** Ratiba's refusal envelope `{requestRefId, responseMessage, responseCode: 400, timestamp}` (sandbox, 2026-10-08). */
function isRatibaRefusal(
  body: unknown,
): body is { requestRefId?: unknown; responseMessage: unknown; responseCode: unknown } {
  return isRecord(body) && 'responseMessage' in body && 'responseCode' in body && !('ResponseHeader' in body);
}
