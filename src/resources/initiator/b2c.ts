import type { RequestOptions } from '../../core/http/transport.js';
import { B2C_COMMAND_IDS, B2C_MAX_AMOUNT, type B2cCommandId, POCHI_MIN_AMOUNT } from '../../core/limits.js';
import { normalizePhoneNumber } from '../../core/utils/phone.js';
import { matching, oneOf, requireParams, wholeShillings } from '../../core/utils/validate.js';
import { type InitiatorCallParams, InitiatorResource, type InitiatorResponse } from './shared.js';

/** Input of {@link B2c.pay}. */
export interface B2cPayParams extends InitiatorCallParams {
  /** The customer's phone number (`PartyB`), in any Kenyan form. */
  phoneNumber: string | number;
  /** Whole shillings, 1 to 250,000. Daraja has no cents. */
  amount: number;
  /** `BusinessPayment`, `SalaryPayment` or `PromotionPayment`. @defaultValue `'BusinessPayment'` */
  commandId?: B2cCommandId;
  /**
   * The idempotency key, sent as `OriginatorConversationID`. Daraja rejects a second request with the
   * same id (`DarajaDuplicateError`), so resending with it is safe. Store it with your payout record
   * **before** calling, and pass the same id when you retry.
   * 1 to 100 letters, digits, `_`, `-`, `.` or `:`. @defaultValue a new `crypto.randomUUID()`
   */
  originatorConversationId?: string;
  /** Sent as `Occassion` (Daraja's spelling), up to 100 characters. */
  occasion?: string;
}

/** Daraja's acceptance of a B2C payment; the result arrives on the ResultURL. */
export interface B2cPayResponse extends InitiatorResponse {
  /** The normalised phone number paid (`2547…`). */
  phoneNumber: string;
  /** The amount sent, in shillings. */
  amount: number;
}

/** Input of {@link B2c.payToPochi}: B2C's, without `commandId` (always `BusinessPayToPochi`). */
export interface B2cPayToPochiParams extends Omit<B2cPayParams, 'commandId' | 'amount'> {
  /**
   * Whole shillings, 10 to 250,000 ({@link POCHI_MIN_AMOUNT}, {@link B2C_MAX_AMOUNT}): the limits
   * Safaricom's Business to Pochi FAQ states. Daraja has no cents.
   */
  amount: number;
}

/** Daraja's acceptance of a Business to Pochi payment; the result arrives on the ResultURL. */
export type B2cPayToPochiResponse = B2cPayResponse;

/** Where a payment goes and what it may carry: B2C's v3 endpoint, or Business to Pochi's. */
interface PaymentCall {
  operation: 'b2c.pay' | 'b2c.payToPochi';
  /** The Daraja API product, as the portal names it. */
  product: string;
  path: string;
  commandIds: readonly string[];
  minAmount: number;
  /** The debug line logged before sending. */
  sending: string;
}
const B2C_PAY: PaymentCall = {
  operation: 'b2c.pay',
  product: 'Business To Customer',
  path: '/mpesa/b2c/v3/paymentrequest',
  commandIds: B2C_COMMAND_IDS,
  minAmount: 1,
  sending: 'b2c payment sending',
};
const POCHI_COMMAND_ID = 'BusinessPayToPochi';
const PAY_TO_POCHI: PaymentCall = {
  operation: 'b2c.payToPochi',
  product: 'Business To Pochi',
  path: '/mpesa/b2pochi/v1/paymentrequest',
  commandIds: [POCHI_COMMAND_ID],
  minAmount: POCHI_MIN_AMOUNT,
  sending: 'b2c pochi payment sending',
};

const KEY = /^[\w.:-]{1,100}$/;
const KEY_FIX =
  'must be 1 to 100 letters, digits, "_", "-", "." or ":" (e.g. a UUID); it is your idempotency key.';

/**
 * B2C: pay a customer from your organisation's shortcode (salaries, refunds, promotions), or a
 * customer's Pochi la Biashara wallet. Use it as `daraja.b2c`.
 */
export class B2c extends InitiatorResource {
  /**
   * Send money to a customer (`POST /mpesa/b2c/v3/paymentrequest`). The answer only says Daraja accepted
   * the request; the result (receipt, or a failure such as `2001` for a bad credential) arrives on the
   * ResultURL: parse it with {@link daraja-sdk/results!parseB2cResult} or {@link daraja-sdk/results!createResultHandler}.
   *
   * **Idempotent by key.** The call carries an `OriginatorConversationID` (yours, or a generated UUID),
   * which Daraja refuses to process twice. So unlike other money-moving calls, an ambiguous failure
   * (timeout, reset, gateway 5xx) is retried with the same body and id, up to `maxRetries`; if an earlier
   * attempt did get through, Daraja answers "Duplicate OriginatorConversationID", surfaced as
   * {@link DarajaDuplicateError}: the payment was accepted once and its result will arrive. If every
   * attempt stays ambiguous you get {@link DarajaUnknownOutcomeError}, and calling again with the same
   * `originatorConversationId` is still safe. Never retry with a new id unless you know the first failed.
   *
   * @param params - Phone number, amount and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance, with the `originatorConversationId` to match the result.
   * @throws {@link DarajaValidationError} for bad input, {@link DarajaConfigError} when the initiator,
   * credential, shortcode or URLs are missing, {@link DarajaDuplicateError} when Daraja already has this id,
   * {@link DarajaApiError} for other rejections, {@link DarajaUnknownOutcomeError} when the outcome is unknown.
   *
   * @example
   * ```ts
   * const payoutId = crypto.randomUUID(); // store it with the payout first
   * try {
   *   await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 500, originatorConversationId: payoutId });
   * } catch (error) {
   *   if (isDarajaDuplicateError(error)) {
   *     // Already accepted earlier: wait for the result on your ResultURL.
   *   } else throw error;
   * }
   * ```
   */
  async pay(params: B2cPayParams, options: RequestOptions = {}): Promise<B2cPayResponse> {
    const p = requireParams(params, '{ phoneNumber, amount }');
    return this.#send(B2C_PAY, p, p.commandId ?? 'BusinessPayment', options);
  }

  /**
   * Send money to a customer's **Pochi la Biashara** wallet (Business to Pochi,
   * `POST /mpesa/b2pochi/v1/paymentrequest`, `CommandID` `BusinessPayToPochi`). The body is B2C's, the
   * money leaves the same B2C Utility account, the initiator needs the same "ORG B2C API initiator" role,
   * and the result arrives on the ResultURL in B2C's shape: parse it with
   * {@link daraja-sdk/results!parseB2cResult} or `createResultHandler({ kind: 'b2c' })`. The recipient must
   * hold a Pochi la Biashara wallet.
   *
   * **Idempotent by key, as {@link B2c.pay}.** Daraja refuses a second request with the same
   * `OriginatorConversationID` ("Duplicate OriginatorConversationID.", {@link DarajaDuplicateError}), so
   * an ambiguous failure is retried with the same body and id, up to `maxRetries`; after that,
   * {@link DarajaUnknownOutcomeError}, and calling again with the same `originatorConversationId` is still
   * safe. A Pochi payment cannot be undone with `reversal.reverse()` (reversals are made by hand on the
   * M-Pesa org portal), so never retry with a new id unless you know the first failed.
   *
   * What is documented but not seen live: the KES 10 minimum (checked here, before any request) and the
   * wallet's KES 500,000 balance and daily limits (result codes `8` and `4`). The portal's table also
   * lists `SalaryPayment`, `BusinessPayment` and `PromotionPayment` as accepted `CommandID`s; nobody has
   * tested them on this path, so this method always sends `BusinessPayToPochi`.
   *
   * @param params - Phone number, amount and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance, with the `originatorConversationId` to match the result.
   * @throws {@link DarajaValidationError} for bad input (an amount under 10 included),
   * {@link DarajaConfigError} when the initiator, credential, shortcode or URLs are missing,
   * {@link DarajaDuplicateError} when Daraja already has this id, {@link DarajaApiError} for other
   * rejections, {@link DarajaUnknownOutcomeError} when the outcome is unknown.
   *
   * @example
   * ```ts
   * const payoutId = crypto.randomUUID(); // store it with the payout first
   * try {
   *   await daraja.b2c.payToPochi({ phoneNumber: '0712345678', amount: 500, originatorConversationId: payoutId });
   * } catch (error) {
   *   if (isDarajaDuplicateError(error)) {
   *     // Already accepted earlier: wait for the result on your ResultURL.
   *   } else throw error;
   * }
   * ```
   */
  async payToPochi(
    params: B2cPayToPochiParams,
    options: RequestOptions = {},
  ): Promise<B2cPayToPochiResponse> {
    const p = requireParams(params, '{ phoneNumber, amount }');
    return this.#send(PAY_TO_POCHI, p, POCHI_COMMAND_ID, options);
  }

  /** Validate a payment, send it with its idempotency key, and read Daraja's acceptance. */
  async #send(
    call: PaymentCall,
    p: B2cPayToPochiParams,
    commandId: unknown,
    options: RequestOptions,
  ): Promise<B2cPayResponse> {
    const { body, phoneNumber, amount } = this.#payRequest(call, p, commandId);
    const key = body.OriginatorConversationID;
    this.ctx.log.debug(call.sending, {
      phoneNumber,
      amount,
      commandId: body.CommandID,
      originatorConversationId: key,
    });
    const accepted = await this.accept(
      {
        operation: call.operation,
        product: call.product,
        path: call.path,
        body,
        moneyMoving: true,
        idempotencyKey: key,
        unknownOutcomeAdvice: `Retrying ${call.operation} with originatorConversationId "${key}" is safe (a duplicate is rejected); never resend under a new id.`,
      },
      options,
    );
    return { ...accepted, phoneNumber, amount };
  }

  /** Validate a payment's parameters and build its body (B2C's and Business to Pochi's are the same). */
  #payRequest(call: PaymentCall, p: B2cPayToPochiParams, command: unknown) {
    const basics = this.basics(p, 'Payment');
    const phoneNumber = normalizePhoneNumber(p.phoneNumber, 'phoneNumber');
    const amount = wholeShillings('amount', p.amount, B2C_MAX_AMOUNT, call.minAmount);
    const commandId = oneOf('commandId', command, call.commandIds);
    const occasion = this.occasion(p, 'Occassion');
    const key = matching(
      'originatorConversationId',
      p.originatorConversationId ?? crypto.randomUUID(),
      KEY,
      KEY_FIX,
    );
    const body = {
      OriginatorConversationID: key,
      InitiatorName: basics.initiator,
      SecurityCredential: basics.credential,
      CommandID: commandId,
      Amount: String(amount),
      PartyA: basics.partyA,
      PartyB: phoneNumber,
      Remarks: basics.remarks,
      QueueTimeOutURL: basics.queueTimeoutUrl,
      ResultURL: basics.resultUrl,
      ...occasion,
    };
    return { body, phoneNumber, amount };
  }
}
