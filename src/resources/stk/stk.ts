import * as z from 'zod/mini';
import { readErrorEnvelope, toRefusalError } from '../../core/http/api-errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import { STK_TRANSACTION_TYPES, type StkTransactionType } from '../../core/limits.js';
import type { PaymentStatus } from '../../core/payment-status.js';
import { ApiResource, type PostSpec, requireSettings } from '../../core/resource.js';
import { stkPassword } from '../../core/utils/password.js';
import { darajaTimestamp } from '../../core/utils/timestamp.js';
import { matching, oneOf, requireParams, urlField } from '../../core/utils/validate.js';
import { normalizeStkFields } from './fields.js';
import { describeStkResultCode } from './result-codes.js';

/** Input of {@link Stk.push}. */
export interface StkPushParams {
  /** The customer's phone number in any Kenyan form (`0712…`, `0112…`, `+254…`, `254…`, `712…`). */
  phoneNumber: string | number;
  /** Whole shillings, 1 to 250,000. Daraja has no cents. */
  amount: number;
  /** Shown to the customer on the prompt; 1 to 12 characters (e.g. an invoice or plan id). */
  accountReference: string;
  /** Up to 13 characters. @defaultValue `'Payment'` */
  transactionDesc?: string;
  /** Where Daraja POSTs the result. @defaultValue the client's `callbackUrl` */
  callbackUrl?: string;
  /**
   * `CustomerPayBillOnline` (PartyB = shortcode) or `CustomerBuyGoodsOnline` (PartyB = till number).
   * @defaultValue the client's `transactionType`
   */
  transactionType?: StkTransactionType;
  /** For Buy Goods: the till number receiving the money. @defaultValue the client's `tillNumber` */
  tillNumber?: string | number;
}

/** Daraja's acknowledgement of an STK push: the prompt was accepted for sending, not yet paid. */
export interface StkPushResponse {
  /** Daraja's id of the request. */
  merchantRequestId: string;
  /** The id to query the payment with and to match its callback. Keep it server-side. */
  checkoutRequestId: string;
  /** `"0"` when accepted. */
  responseCode: string;
  /** e.g. "Success. Request accepted for processing". */
  responseDescription: string;
  /** A message you may show the customer. */
  customerMessage: string;
  /** The normalised phone number the prompt was sent to (`2547…`). */
  phoneNumber: string;
  /** The amount requested, in shillings. */
  amount: number;
  /** The `Timestamp` sent (Nairobi time, `YYYYMMDDHHmmss`). */
  timestamp: string;
}

/** Input of {@link Stk.query}. */
export interface StkQueryParams {
  /** The id of the push to query: {@link StkPushResponse.checkoutRequestId}. */
  checkoutRequestId: string;
}

/**
 * Daraja's answer to {@link Stk.query}: the state of the push when asked (`pending` until the customer
 * answers), not the callback.
 */
export interface StkQueryResponse {
  /**
   * `pending` while Daraja has no final answer ("The transaction is being processed", `ResultCode 4999`
   * "still under processing", or a result code not in the catalogue), else the final status.
   */
  status: PaymentStatus;
  /**
   * True when `resultCode` is a known, final answer: only then does the result settle a payment. False
   * for every `pending` result, including an unknown code (kept in `resultCode`).
   */
  final: boolean;
  /** The queried id. */
  checkoutRequestId: string;
  /** Daraja's id of the original request, when returned. */
  merchantRequestId: string | undefined;
  /** The result code as a string (`"0"`, `"1032"`, …); `undefined` while pending. */
  resultCode: string | undefined;
  /** Daraja's description of the result (or of the pending state). */
  resultDesc: string;
  /** Plain-words meaning of the result code, from the catalogue. */
  meaning: string;
  /** The parsed response body, for auditing. */
  raw: unknown;
}

/** @deprecated Use {@link StkQueryResponse}. */
export type StkQueryResult = StkQueryResponse;

const PushResponseSchema = z.object({
  MerchantRequestID: z.string(),
  CheckoutRequestID: z.string().check(z.minLength(1)),
  ResponseCode: z.union([z.string(), z.number()]),
  ResponseDescription: z.optional(z.string()),
  CustomerMessage: z.optional(z.string()),
});

const QueryResponseSchema = z.object({
  MerchantRequestID: z.optional(z.string()),
  CheckoutRequestID: z.optional(z.string()),
  ResponseCode: z.optional(z.union([z.string(), z.number()])),
  ResponseDescription: z.optional(z.string()),
  ResultCode: z.optional(z.union([z.string(), z.number()])),
  ResultDesc: z.optional(z.string()),
});

const BEING_PROCESSED = /being processed/i;
const CHECKOUT_ID = /^[\w.-]{1,100}$/;
const CHECKOUT_ID_FIX = 'pass the CheckoutRequestID returned by stk.push (e.g. "ws_CO_191220191020363925").';
const TILL_FIX =
  'Buy Goods needs the till number (5 to 8 digits) as PartyB; the shortcode is the store number. Pass `tillNumber`.';
const NO_CALLBACK_URL =
  'no callback URL: pass `callbackUrl` to stk.push() or new Daraja(), or set MPESA_CALLBACK_URL.';
const PUSH_UNREADABLE = '[daraja] stk.push: Daraja answered 2xx without a CheckoutRequestID.';
const QUERY_UNREADABLE =
  '[daraja] stk.query: Daraja answered 2xx with a body that is not an STK query result.';

/**
 * M-Pesa Express (STK push): send a payment prompt to a customer's phone and query its result.
 * Use it as `daraja.stk`.
 */
export class Stk extends ApiResource {
  /**
   * Send an STK push: the customer gets a prompt to enter their M-Pesa PIN. The result arrives later,
   * on the callback URL (see `parseStkCallback`), or by {@link Stk.query}.
   *
   * Input is validated before anything is sent. The push is **never resent** once it may have reached
   * Daraja: an ambiguous failure throws {@link DarajaUnknownOutcomeError}.
   *
   * @param params - Phone number, amount, account reference and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acknowledgement, with the `checkoutRequestId` to match the callback.
   * @throws {@link DarajaValidationError} for bad input, {@link DarajaConfigError} when the shortcode,
   * passkey or callback URL is missing, {@link DarajaApiError} when Daraja rejects the request,
   * {@link DarajaUnknownOutcomeError} when the outcome is unknown.
   *
   * @example
   * ```ts
   * const { checkoutRequestId } = await daraja.stk.push({
   *   phoneNumber: '0712345678', amount: 100, accountReference: 'PRO-42',
   * });
   * ```
   */
  async push(params: StkPushParams, options: RequestOptions = {}): Promise<StkPushResponse> {
    const { body, fields } = this.#pushRequest(params);
    const { phoneNumber, amount } = fields;
    this.ctx.log.debug('stk push sending', { phoneNumber, amount, ...fields.logged });
    const spec = {
      operation: 'stk.push',
      product: 'M-Pesa Express',
      path: '/mpesa/stkpush/v1/processrequest',
      body,
      moneyMoving: true,
    };
    const response = await this.post(spec, options);
    const parsed = PushResponseSchema.safeParse(response.body);
    // A 2xx we cannot read: the prompt may well be on the phone.
    if (!parsed.success)
      return this.unreadable(spec, response.status, '[unreadable STK push answer]', PUSH_UNREADABLE);
    const data = parsed.data;
    const responseCode = String(data.ResponseCode);
    if (responseCode !== '0') {
      const errorMessage = readErrorEnvelope(response.body).errorMessage;
      const fields = { requestId: data.MerchantRequestID, errorCode: responseCode, errorMessage };
      throw toRefusalError('stk.push', response.status, fields, response.body);
    }
    const result: StkPushResponse = {
      merchantRequestId: data.MerchantRequestID,
      checkoutRequestId: data.CheckoutRequestID,
      responseCode,
      responseDescription: data.ResponseDescription ?? '',
      customerMessage: data.CustomerMessage ?? '',
      phoneNumber,
      amount,
      timestamp: body.Timestamp,
    };
    const { checkoutRequestId, merchantRequestId } = result;
    this.ctx.log.info('stk push accepted', { checkoutRequestId, merchantRequestId, phoneNumber, amount });
    return result;
  }

  /**
   * Ask Daraja for the result of an STK push. "The transaction is being processed" (the customer has not
   * answered yet), `ResultCode 4999` ("still under processing") and any result code not in the catalogue
   * are a `pending` result with `final: false`, not an error and never a failure. Safe to repeat: retried
   * with backoff on network errors, 429 and gateway 5xx.
   *
   * @param params - `{ checkoutRequestId }`, from {@link StkPushResponse.checkoutRequestId}.
   * @param options - Per-call timeout and abort signal.
   * @returns The status (`pending`, `completed`, `cancelled`, `timeout`, `failed`) and result details.
   * @throws {@link DarajaNotFoundError} when Daraja does not know the id, {@link DarajaApiError} for other
   * error answers, {@link DarajaNetworkError} / {@link DarajaTimeoutError} after the retries.
   *
   * @example
   * ```ts
   * const result = await daraja.stk.query({ checkoutRequestId: 'ws_CO_191220191020363925' });
   * if (result.status === 'completed') { ... }
   * ```
   */
  query(params: StkQueryParams, options?: RequestOptions): Promise<StkQueryResponse>;
  /**
   * The same query by the bare id.
   *
   * @deprecated Pass `{ checkoutRequestId }`, like every other method takes its parameters.
   * @param checkoutRequestId - From {@link StkPushResponse.checkoutRequestId}.
   * @param options - Per-call timeout and abort signal.
   */
  query(checkoutRequestId: string, options?: RequestOptions): Promise<StkQueryResponse>;
  async query(params: StkQueryParams | string, options: RequestOptions = {}): Promise<StkQueryResponse> {
    const { shortcode, passkey } = this.#stkSettings();
    const id = typeof params === 'object' && params !== null ? params.checkoutRequestId : params;
    const checkoutRequestId = matching('checkoutRequestId', id, CHECKOUT_ID, CHECKOUT_ID_FIX);
    const timestamp = darajaTimestamp();
    const Password = stkPassword(shortcode, passkey, timestamp);
    const spec: PostSpec = {
      operation: 'stk.query',
      product: 'M-Pesa Express',
      path: '/mpesa/stkpushquery/v1/query',
      body: {
        BusinessShortCode: shortcode,
        Password,
        Timestamp: timestamp,
        CheckoutRequestID: checkoutRequestId,
      },
      moneyMoving: false,
      isExpectedError: (status, body) =>
        status >= 500 && BEING_PROCESSED.test(readErrorEnvelope(body).errorMessage ?? ''),
    };
    const response = await this.post(spec, options);
    if (response.status >= 400) {
      this.ctx.log.debug('stk query pending', { checkoutRequestId });
      return beingProcessed(checkoutRequestId, response.body);
    }
    const parsed = QueryResponseSchema.safeParse(response.body);
    if (!parsed.success) return this.unreadable(spec, response.status, response.body, QUERY_UNREADABLE);
    const answer = readQueryAnswer(checkoutRequestId, parsed.data, response.body);
    if (answer.resultCode !== undefined) {
      const { resultCode, status, final } = answer;
      this.ctx.log.info('stk query result', { checkoutRequestId, resultCode, status, final });
    }
    return answer;
  }

  /** The shortcode and passkey every STK call needs. */
  #stkSettings(): { shortcode: string; passkey: string } {
    const { shortcode, passkey } = this.ctx;
    requireSettings([
      ['shortcode', !shortcode, 'missing: pass `shortcode` to new Daraja() or set MPESA_SHORTCODE.'],
      ['passkey', !passkey, 'missing: pass `passkey` to new Daraja() or set MPESA_PASSKEY.'],
    ]);
    return { shortcode: shortcode!, passkey: passkey! };
  }

  /** Validate a push's parameters against the client's settings and build its body. */
  #pushRequest(params: StkPushParams) {
    const ctx = this.ctx;
    const { shortcode, passkey } = this.#stkSettings();
    const p = requireParams(params, '{ phoneNumber, amount, accountReference }');
    const { phoneNumber, amount, accountReference, transactionDesc } = normalizeStkFields(p);
    const callbackUrl = p.callbackUrl ?? ctx.callbackUrl;
    requireSettings([['callbackUrl', callbackUrl === undefined, NO_CALLBACK_URL]]);
    const CallBackURL = urlField('callbackUrl', callbackUrl, ctx.production, ctx.darajaHost);
    const transactionType = oneOf(
      'transactionType',
      p.transactionType ?? ctx.transactionType,
      STK_TRANSACTION_TYPES,
      'use "CustomerPayBillOnline" (PayBill) or "CustomerBuyGoodsOnline" (till / Buy Goods).',
    );
    const till = p.tillNumber ?? ctx.tillNumber;
    const partyB =
      transactionType === 'CustomerBuyGoodsOnline'
        ? matching('tillNumber', till === undefined ? '' : String(till).trim(), /^\d{5,8}$/, TILL_FIX)
        : shortcode;
    const timestamp = darajaTimestamp();
    const body = {
      BusinessShortCode: Number(shortcode),
      Password: stkPassword(shortcode, passkey, timestamp),
      Timestamp: timestamp,
      TransactionType: transactionType,
      Amount: String(amount),
      PartyA: phoneNumber,
      PartyB: partyB,
      PhoneNumber: phoneNumber,
      CallBackURL,
      AccountReference: accountReference,
      TransactionDesc: transactionDesc,
    };
    return { body, fields: { phoneNumber, amount, logged: { accountReference, transactionType } } };
  }
}

/** The answer of a query Daraja turned away because the customer has not answered the prompt yet. */
function beingProcessed(checkoutRequestId: string, raw: unknown): StkQueryResponse {
  return {
    status: 'pending',
    final: false,
    checkoutRequestId,
    merchantRequestId: undefined,
    resultCode: undefined,
    resultDesc: readErrorEnvelope(raw).errorMessage ?? 'The transaction is being processed',
    meaning: 'The customer has not answered the prompt yet.',
    raw,
  };
}

/** Read a 2xx query answer: pending without a `ResultCode`, else what the catalogue says of the code. */
function readQueryAnswer(
  checkoutRequestId: string,
  data: z.infer<typeof QueryResponseSchema>,
  raw: unknown,
): StkQueryResponse {
  const merchantRequestId = data.MerchantRequestID;
  if (data.ResultCode === undefined || String(data.ResultCode).trim() === '') {
    const resultDesc = data.ResultDesc ?? data.ResponseDescription ?? 'No result yet';
    const meaning = 'Daraja has no final result yet.';
    const resultCode = undefined;
    return {
      status: 'pending',
      final: false,
      checkoutRequestId,
      merchantRequestId,
      resultCode,
      resultDesc,
      meaning,
      raw,
    };
  }
  const info = describeStkResultCode(data.ResultCode);
  return {
    status: info.status,
    final: info.final,
    checkoutRequestId: data.CheckoutRequestID ?? checkoutRequestId,
    merchantRequestId,
    resultCode: info.code,
    resultDesc: data.ResultDesc ?? info.meaning,
    meaning: info.meaning,
    raw,
  };
}
