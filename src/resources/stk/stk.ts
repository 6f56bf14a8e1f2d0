import * as z from 'zod/mini';
import {
  DarajaApiError,
  DarajaConfigError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
} from '../../core/errors.js';
import { readErrorEnvelope } from '../../core/http/api-errors.js';
import type { RequestOptions, Transport } from '../../core/http/transport.js';
import type { Log } from '../../core/logger.js';
import type { PaymentStatus } from '../../core/payment-status.js';
import { stkPassword } from '../../core/utils/password.js';
import { normalizePhoneNumber } from '../../core/utils/phone.js';
import { darajaTimestamp } from '../../core/utils/timestamp.js';
import { validateCallbackUrl } from '../../core/utils/url.js';
import { describeStkResultCode } from './result-codes.js';

/** Lipa na M-Pesa transaction types: PayBill or Buy Goods (till). */
export type StkTransactionType = 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';

/** Smallest STK push amount Daraja accepts, in shillings. */
export const STK_MIN_AMOUNT = 1;
/** Largest amount of a single M-Pesa transaction, in shillings. */
export const STK_MAX_AMOUNT = 250_000;
/** Longest `AccountReference` Daraja accepts. */
export const STK_ACCOUNT_REFERENCE_MAX = 12;
/** Longest `TransactionDesc` Daraja accepts. */
export const STK_TRANSACTION_DESC_MAX = 13;

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

/** The result of {@link Stk.query}. */
export interface StkQueryResult {
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

/** @internal What the STK resource needs from its client. */
export interface StkContext {
  transport: Transport;
  log: Log;
  production: boolean;
  /** The client talks to Safaricom's own hosts: callback URLs must be reachable from the internet. */
  publicCallbacks?: boolean;
  shortcode: string | undefined;
  passkey: string | undefined;
  callbackUrl: string | undefined;
  transactionType: StkTransactionType;
  tillNumber: string | undefined;
}

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

/**
 * M-Pesa Express (STK push): send a payment prompt to a customer's phone and query its result.
 * Use it as `daraja.stk`.
 */
export class Stk {
  readonly #ctx: StkContext;

  /** @internal */
  constructor(context: StkContext) {
    this.#ctx = context;
  }

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
    const ctx = this.#ctx;
    const { shortcode, passkey } = requireStkConfig(ctx);
    if (typeof params !== 'object' || params === null) {
      throw new DarajaValidationError('params', 'pass an object: { phoneNumber, amount, accountReference }.');
    }
    const { phoneNumber, amount, accountReference, transactionDesc } = normalizeStkFields(params);
    const callbackUrl = params.callbackUrl ?? ctx.callbackUrl;
    if (callbackUrl === undefined) {
      throw new DarajaConfigError([
        {
          field: 'callbackUrl',
          message:
            'no callback URL: pass `callbackUrl` to stk.push() or new Daraja(), or set MPESA_CALLBACK_URL.',
        },
      ]);
    }
    const urlProblem = validateCallbackUrl(callbackUrl, ctx.production, ctx.publicCallbacks === true);
    if (urlProblem) throw new DarajaValidationError('callbackUrl', urlProblem);
    const transactionType = params.transactionType ?? ctx.transactionType;
    if (transactionType !== 'CustomerPayBillOnline' && transactionType !== 'CustomerBuyGoodsOnline') {
      throw new DarajaValidationError(
        'transactionType',
        'use "CustomerPayBillOnline" (PayBill) or "CustomerBuyGoodsOnline" (till / Buy Goods).',
      );
    }
    let partyB = shortcode;
    if (transactionType === 'CustomerBuyGoodsOnline') {
      const till = params.tillNumber ?? ctx.tillNumber;
      if (till === undefined || !/^\d{5,8}$/.test(String(till).trim())) {
        throw new DarajaValidationError(
          'tillNumber',
          'Buy Goods needs the till number (5 to 8 digits) as PartyB; the shortcode is the store number. Pass `tillNumber`.',
        );
      }
      partyB = String(till).trim();
    }

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
      CallBackURL: callbackUrl,
      AccountReference: accountReference,
      TransactionDesc: transactionDesc,
    };
    ctx.log.debug('stk push sending', { phoneNumber, amount, accountReference, transactionType });
    const response = await ctx.transport.send(
      {
        operation: 'stk.push',
        method: 'POST',
        path: '/mpesa/stkpush/v1/processrequest',
        body,
        auth: 'bearer',
        moneyMoving: true,
      },
      options,
    );

    const parsed = PushResponseSchema.safeParse(response.body);
    if (!parsed.success) {
      // A 2xx we cannot read: the prompt may well be on the phone.
      const cause = new DarajaApiError(
        { operation: 'stk.push', status: response.status, body: '[unreadable STK push answer]' },
        '[daraja] stk.push: Daraja answered 2xx without a CheckoutRequestID.',
      );
      ctx.log.error('outcome unknown; not resending', { operation: 'stk.push', status: response.status });
      throw new DarajaUnknownOutcomeError('stk.push', cause);
    }
    const data = parsed.data;
    const responseCode = String(data.ResponseCode);
    if (responseCode !== '0') {
      const env = readErrorEnvelope(response.body);
      throw new DarajaApiError({
        operation: 'stk.push',
        status: response.status,
        requestId: data.MerchantRequestID,
        errorCode: responseCode,
        errorMessage: env.errorMessage,
        body: response.body,
      });
    }
    const result: StkPushResponse = {
      merchantRequestId: data.MerchantRequestID,
      checkoutRequestId: data.CheckoutRequestID,
      responseCode,
      responseDescription: data.ResponseDescription ?? '',
      customerMessage: data.CustomerMessage ?? '',
      phoneNumber,
      amount,
      timestamp,
    };
    ctx.log.info('stk push accepted', {
      checkoutRequestId: result.checkoutRequestId,
      merchantRequestId: result.merchantRequestId,
      phoneNumber,
      amount,
    });
    return result;
  }

  /**
   * Ask Daraja for the result of an STK push. "The transaction is being processed" (the customer has not
   * answered yet), `ResultCode 4999` ("still under processing") and any result code not in the catalogue
   * are a `pending` result with `final: false`, not an error and never a failure. Safe to repeat: retried
   * with backoff on network errors, 429 and gateway 5xx.
   *
   * @param checkoutRequestId - From {@link StkPushResponse.checkoutRequestId}.
   * @param options - Per-call timeout and abort signal.
   * @returns The status (`pending`, `completed`, `cancelled`, `timeout`, `failed`) and result details.
   * @throws {@link DarajaNotFoundError} when Daraja does not know the id, {@link DarajaApiError} for other
   * error answers, {@link DarajaNetworkError} / {@link DarajaTimeoutError} after the retries.
   *
   * @example
   * ```ts
   * const result = await daraja.stk.query('ws_CO_191220191020363925');
   * if (result.status === 'completed') { ... }
   * ```
   */
  async query(checkoutRequestId: string, options: RequestOptions = {}): Promise<StkQueryResult> {
    const ctx = this.#ctx;
    const { shortcode, passkey } = requireStkConfig(ctx);
    if (typeof checkoutRequestId !== 'string' || !CHECKOUT_ID.test(checkoutRequestId)) {
      throw new DarajaValidationError(
        'checkoutRequestId',
        'pass the CheckoutRequestID returned by stk.push (e.g. "ws_CO_191220191020363925").',
      );
    }
    const timestamp = darajaTimestamp();
    const response = await ctx.transport.send(
      {
        operation: 'stk.query',
        method: 'POST',
        path: '/mpesa/stkpushquery/v1/query',
        body: {
          BusinessShortCode: shortcode,
          Password: stkPassword(shortcode, passkey, timestamp),
          Timestamp: timestamp,
          CheckoutRequestID: checkoutRequestId,
        },
        auth: 'bearer',
        moneyMoving: false,
        isExpectedError: (status, body) =>
          status >= 500 && BEING_PROCESSED.test(readErrorEnvelope(body).errorMessage ?? ''),
      },
      options,
    );

    if (response.status >= 400) {
      const env = readErrorEnvelope(response.body);
      ctx.log.debug('stk query pending', { checkoutRequestId });
      return {
        status: 'pending',
        final: false,
        checkoutRequestId,
        merchantRequestId: undefined,
        resultCode: undefined,
        resultDesc: env.errorMessage ?? 'The transaction is being processed',
        meaning: 'The customer has not answered the prompt yet.',
        raw: response.body,
      };
    }

    const parsed = QueryResponseSchema.safeParse(response.body);
    if (!parsed.success) {
      throw new DarajaApiError(
        { operation: 'stk.query', status: response.status, body: response.body },
        '[daraja] stk.query: Daraja answered 2xx with a body that is not an STK query result.',
      );
    }
    const data = parsed.data;
    if (data.ResultCode === undefined || String(data.ResultCode).trim() === '') {
      return {
        status: 'pending',
        final: false,
        checkoutRequestId,
        merchantRequestId: data.MerchantRequestID,
        resultCode: undefined,
        resultDesc: data.ResultDesc ?? data.ResponseDescription ?? 'No result yet',
        meaning: 'Daraja has no final result yet.',
        raw: response.body,
      };
    }
    const info = describeStkResultCode(data.ResultCode);
    ctx.log.info('stk query result', {
      checkoutRequestId,
      resultCode: info.code,
      status: info.status,
      final: info.final,
    });
    return {
      status: info.status,
      final: info.final,
      checkoutRequestId: data.CheckoutRequestID ?? checkoutRequestId,
      merchantRequestId: data.MerchantRequestID,
      resultCode: info.code,
      resultDesc: data.ResultDesc ?? info.meaning,
      meaning: info.meaning,
      raw: response.body,
    };
  }
}

function requireStkConfig(ctx: StkContext): { shortcode: string; passkey: string } {
  const issues = [];
  if (!ctx.shortcode)
    issues.push({
      field: 'shortcode',
      message: 'missing: pass `shortcode` to new Daraja() or set MPESA_SHORTCODE.',
    });
  if (!ctx.passkey)
    issues.push({
      field: 'passkey',
      message: 'missing: pass `passkey` to new Daraja() or set MPESA_PASSKEY.',
    });
  if (issues.length > 0) throw new DarajaConfigError(issues);
  return { shortcode: ctx.shortcode!, passkey: ctx.passkey! };
}

/**
 * @internal
 * Validate and normalise the customer-facing fields of an STK push (phone number, amount, account
 * reference, description). Shared by `stk.push` and the payment flow, which checks them before it writes
 * the payment record.
 */
export function normalizeStkFields(
  params: Pick<StkPushParams, 'phoneNumber' | 'amount' | 'accountReference' | 'transactionDesc'>,
) {
  return {
    phoneNumber: normalizePhoneNumber(params.phoneNumber, 'phoneNumber'),
    amount: validateAmount(params.amount),
    accountReference: validateText(
      'accountReference',
      params.accountReference,
      STK_ACCOUNT_REFERENCE_MAX,
      true,
    ),
    transactionDesc:
      validateText('transactionDesc', params.transactionDesc ?? 'Payment', STK_TRANSACTION_DESC_MAX, false) ||
      'Payment',
  };
}

/**
 * Check an STK amount: a whole number of shillings from 1 to 250,000.
 *
 * @internal
 */
export function validateAmount(amount: unknown, field = 'amount'): number {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    throw new DarajaValidationError(field, `must be a number of shillings, got ${typeof amount}.`);
  }
  if (!Number.isInteger(amount)) {
    throw new DarajaValidationError(
      field,
      `must be a whole number of shillings (M-Pesa has no cents), got ${amount}. Round it, e.g. Math.ceil(${amount}).`,
    );
  }
  if (amount < STK_MIN_AMOUNT || amount > STK_MAX_AMOUNT) {
    throw new DarajaValidationError(
      field,
      `must be between ${STK_MIN_AMOUNT} and ${STK_MAX_AMOUNT.toLocaleString('en-US')} shillings, got ${amount}.`,
    );
  }
  return amount;
}

// C0 controls and DEL: never meaningful in these fields, and PostgreSQL refuses NUL in text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** @internal Does `text` hold a C0 control character or DEL? */
export function hasControlCharacter(text: string): boolean {
  return CONTROL_CHARACTER.test(text);
}

/** @internal Check a text field's type, length and characters (no control characters); returns it trimmed. */
export function validateText(field: string, value: unknown, max: number, required: boolean): string {
  if (typeof value !== 'string') {
    throw new DarajaValidationError(
      field,
      `must be a string of at most ${max} characters, got ${typeof value}.`,
    );
  }
  const text = value.trim();
  if (hasControlCharacter(text)) {
    throw new DarajaValidationError(
      field,
      'must not contain control characters (such as a NUL byte, tab or line break). Remove them.',
    );
  }
  if (required && text.length === 0) {
    throw new DarajaValidationError(
      field,
      `is required: 1 to ${max} characters (shown on the customer's prompt).`,
    );
  }
  if (text.length > max) {
    throw new DarajaValidationError(
      field,
      `is ${text.length} characters; Daraja allows at most ${max}. Shorten it.`,
    );
  }
  return text;
}
