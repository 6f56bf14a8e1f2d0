import { randomUUID } from 'node:crypto';
import type { RequestOptions } from '../../core/http/transport.js';
import { B2C_COMMAND_IDS, B2C_MAX_AMOUNT, type B2cCommandId } from '../../core/limits.js';
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

const KEY = /^[\w.:-]{1,100}$/;
const KEY_FIX =
  'must be 1 to 100 letters, digits, "_", "-", "." or ":" (e.g. a UUID); it is your idempotency key.';

/**
 * B2C: pay a customer from your organisation's shortcode (salaries, refunds, promotions). Use it as
 * `daraja.b2c`.
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
    const { body, phoneNumber, amount } = this.#payRequest(params);
    const key = body.OriginatorConversationID;
    const commandId = body.CommandID;
    this.ctx.log.debug('b2c payment sending', {
      phoneNumber,
      amount,
      commandId,
      originatorConversationId: key,
    });
    const accepted = await this.accept(
      {
        operation: 'b2c.pay',
        path: '/mpesa/b2c/v3/paymentrequest',
        body,
        moneyMoving: true,
        idempotencyKey: key,
        unknownOutcomeAdvice: `Retrying b2c.pay with originatorConversationId "${key}" is safe (a duplicate is rejected); never resend under a new id.`,
      },
      options,
    );
    return { ...accepted, phoneNumber, amount };
  }

  /** Validate a payment's parameters and build its body. */
  #payRequest(params: B2cPayParams) {
    const p = requireParams(params, '{ phoneNumber, amount }');
    const basics = this.basics(p, 'Payment');
    const phoneNumber = normalizePhoneNumber(p.phoneNumber, 'phoneNumber');
    const amount = wholeShillings('amount', p.amount, B2C_MAX_AMOUNT);
    const commandId = oneOf('commandId', p.commandId ?? 'BusinessPayment', B2C_COMMAND_IDS);
    const occasion = this.occasion(p, 'Occassion');
    const key = matching(
      'originatorConversationId',
      p.originatorConversationId ?? randomUUID(),
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
