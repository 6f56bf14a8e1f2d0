import * as z from 'zod/mini';
import { toRefusalError } from '../../core/http/api-errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import { ApiResource, type PostSpec } from '../../core/resource.js';
import {
  digitsField,
  hasControlCharacter,
  invalid,
  matching,
  requireParams,
  urlField,
  wholeShillings,
} from '../../core/utils/validate.js';

/** Input of {@link B2bExpress.push}. */
export interface B2bExpressPushParams {
  /**
   * The till (or shortcode) **debited**: the merchant whose Nominated Number gets the USSD prompt. 5 to 8
   * digits, sent as a string (the portal's sample is `"000001"`: a number would lose leading zeros).
   */
  primaryShortCode: string | number;
  /** The PayBill **credited**: yours, the vendor's. 5 to 8 digits, sent as a string. */
  receiverShortCode: string | number;
  /**
   * Whole shillings, 1 or more (sent as a string, as the portal's sample does). Daraja documents no
   * maximum for this product, so none is checked.
   */
  amount: number;
  /**
   * The reference shown in the merchant's prompt ("… for payment reference: {paymentRef}"), e.g. an
   * invoice number. Required, no control characters. The portal gives no length limit, so none is
   * checked; one peer SDK caps it at 12 characters (unverified), so keep it short.
   */
  paymentRef: string;
  /** Where Daraja POSTs the result: an absolute URL, https in production. Parse it with {@link daraja-sdk/results!parseB2bExpressResult}. */
  callbackUrl: string;
  /** Your friendly name, shown in the merchant's prompt ("… to {partnerName} …"). Required, no control characters. */
  partnerName: string;
  /**
   * Your unique id of this push, sent as `RequestRefID`; the callback's `requestId` is documented as
   * this id (unverified). Store it with your order **before** calling. 1 to 100 letters, digits or `-`
   * (the portal says alphanumeric and shows a UUID; the length cap is the SDK's).
   * @defaultValue a new `crypto.randomUUID()`
   */
  requestRefId?: string;
}

/** Daraja's answer to a push: the USSD prompt was initiated. Nothing has been paid yet. */
export interface B2bExpressPushResponse {
  /** Daraja's `code`: always `"0"` here (any other code is thrown as a `DarajaApiError`). */
  code: string;
  /** Daraja's `status`, e.g. "USSD Initiated Successfully". */
  status: string;
  /**
   * The `RequestRefID` sent (yours or the generated one). Daraja's answer carries no id of its own:
   * match the callback by this.
   */
  requestRefId: string;
}

const AckSchema = z.object({
  code: z.optional(z.union([z.string(), z.number()])),
  status: z.optional(z.string()),
});

const REQUEST_REF_ID = /^[A-Za-z0-9-]{1,100}$/;

/**
 * B2B Express Checkout: push a USSD prompt to a merchant's till operator, who pays your PayBill from
 * the till. Use it as `daraja.b2bExpress`.
 */
export class B2bExpress extends ApiResource {
  /**
   * Push a payment prompt to a merchant's till (`POST /v1/ussdpush/get-msisdn`, no `/mpesa` prefix,
   * bearer token only). The operator whose phone is the till's Nominated Number sees "You are about to
   * send Ksh {amount} to {partnerName} for payment reference: {paymentRef}" and approves with their
   * operator id and PIN. The answer (`code "0"`) only says the prompt was initiated; the result (paid,
   * cancelled `4001`, or a failure) arrives on `callbackUrl`: parse it with
   * {@link daraja-sdk/results!parseB2bExpressResult} or `createResultHandler({ kind: 'b2bExpress' })`.
   *
   * **Never resent.** Every push prompts the merchant again, and whether Daraja refuses a repeated
   * `RequestRefID` is not documented. So an ambiguous failure (timeout, reset, gateway 5xx, an answer
   * without a `code`) is not retried: it is a {@link DarajaUnknownOutcomeError}. Do not push again
   * blindly; wait for the callback carrying your `requestRefId`.
   *
   * Not seen live: no source has a successful push on record (the sandbox refused the portal's sample
   * shortcodes with HTTP 401), and that the callback's `requestId` is your `RequestRefID` is the portal's
   * word only. `4102` (KYC) and `4104` (no Nominated Number) may come in this answer or in the callback.
   *
   * @param params - The till debited, your PayBill, amount, reference, callback URL, your name and an
   * optional request id.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's `code` and `status`, and the `requestRefId` sent, to match the callback.
   * @throws {@link DarajaValidationError} for bad input (nothing is sent), {@link DarajaApiError} when
   * Daraja refuses the push (its `errorCode` is the answer's `code`, e.g. `4104`),
   * {@link DarajaProductNotEnabledError} when the app lacks the product, {@link DarajaUnknownOutcomeError}
   * when the outcome is unknown.
   *
   * @example
   * ```ts
   * const orderId = crypto.randomUUID(); // store it with the order first
   * const { requestRefId } = await daraja.b2bExpress.push({
   *   primaryShortCode: '000001', // the merchant's till
   *   receiverShortCode: '000002', // your PayBill
   *   amount: 100,
   *   paymentRef: 'INV-42',
   *   partnerName: 'Vendor',
   *   callbackUrl: 'https://example.com/mpesa/b2b-express',
   *   requestRefId: orderId,
   * });
   * ```
   */
  async push(params: B2bExpressPushParams, options: RequestOptions = {}): Promise<B2bExpressPushResponse> {
    const body = this.#pushBody(params);
    const requestRefId = body.RequestRefID;
    const spec: PostSpec = {
      operation: 'b2bExpress.push',
      product: 'B2B Express Checkout',
      path: '/v1/ussdpush/get-msisdn',
      body,
      moneyMoving: true,
      unknownOutcomeAdvice: `It was NOT resent: a second push would prompt the merchant twice. Do not push again blindly; wait for the callback carrying requestRefId "${requestRefId}".`,
    };
    this.ctx.log.debug('b2b express push sending', { amount: Number(body.amount), requestRefId });
    const response = await this.post(spec, options);
    const data = AckSchema.safeParse(response.body).data;
    if (data?.code === undefined) {
      const message = `[daraja] ${spec.operation}: Daraja answered ${response.status} without a code.`;
      return this.unreadable(spec, response.status, '[unreadable answer]', message);
    }
    const code = String(data.code).trim();
    const status = data.status ?? '';
    if (code !== '0') {
      const fields = { errorCode: code, errorMessage: status || undefined };
      throw toRefusalError(spec.operation, response.status, fields, response.body);
    }
    this.ctx.log.info('request accepted', { operation: spec.operation, requestRefId });
    return { code, status, requestRefId };
  }

  /** Validate a push's parameters and build its body: Daraja's camelCase names, `RequestRefID` as spelled. */
  #pushBody(params: B2bExpressPushParams) {
    const p = requireParams(
      params,
      '{ primaryShortCode, receiverShortCode, amount, paymentRef, callbackUrl, partnerName }',
    );
    const { production, darajaHost } = this.ctx;
    return {
      primaryShortCode: digitsField('primaryShortCode', p.primaryShortCode, 5, 8, "the merchant's till"),
      receiverShortCode: digitsField('receiverShortCode', p.receiverShortCode, 5, 8, 'your PayBill'),
      amount: String(wholeShillings('amount', p.amount)),
      paymentRef: promptText('paymentRef', p.paymentRef, 'e.g. an invoice number'),
      callbackUrl: urlField('callbackUrl', p.callbackUrl, production, darajaHost),
      partnerName: promptText('partnerName', p.partnerName, 'your name as the merchant knows it'),
      RequestRefID: matching(
        'requestRefId',
        p.requestRefId ?? crypto.randomUUID(),
        REQUEST_REF_ID,
        'must be 1 to 100 letters, digits or "-" (e.g. a UUID); it is your id of this push.',
      ),
    };
  }
}

/** A required text shown in the merchant's prompt: trimmed, no control characters, no length limit documented. */
function promptText(field: string, value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    invalid(field, `is required: a non-empty string shown in the merchant's prompt (${what}).`);
  const trimmed = value.trim();
  if (hasControlCharacter(trimmed))
    invalid(
      field,
      'must not contain control characters (such as a NUL byte, tab or line break). Remove them.',
    );
  return trimmed;
}
