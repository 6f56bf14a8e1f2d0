import type { RequestOptions } from '../../core/http/transport.js';
import {
  ALL_IDENTIFIER_TYPES,
  B2B_ACCOUNT_REFERENCE_MAX,
  type IdentifierType,
  KRA_SHORTCODE,
} from '../../core/limits.js';
import { normalizePhoneNumber } from '../../core/utils/phone.js';
import {
  digitsField,
  oneOf,
  optionalText,
  requireParams,
  textField,
  wholeShillings,
} from '../../core/utils/validate.js';
import {
  type InitiatorCallParams,
  InitiatorResource,
  type InitiatorResponse,
  NOT_RESENT_ADVICE,
} from './shared.js';

/** Fields shared by {@link B2b.payBill}, {@link B2b.buyGoods} and {@link B2b.topUp}. */
export interface B2bCommonParams extends InitiatorCallParams {
  /** Whole shillings, at least 1. Daraja has no cents. */
  amount: number;
  /** The customer on whose behalf you pay (`Requester`), in any Kenyan form. Optional. */
  requester?: string | number;
  /** `SenderIdentifierType`. @defaultValue `'4'` (shortcode) */
  senderIdentifierType?: IdentifierType;
  /** `RecieverIdentifierType` (Daraja's spelling). @defaultValue `'4'`, as in Daraja's documentation */
  receiverIdentifierType?: IdentifierType;
}

/** Input of {@link B2b.payBill}. */
export interface B2bPayBillParams extends B2bCommonParams {
  /** The PayBill number receiving the money (`PartyB`). */
  payBillNumber: string | number;
  /** The account number at that PayBill, 1 to 13 characters. */
  accountReference: string;
}

/** Input of {@link B2b.buyGoods}. */
export interface B2bBuyGoodsParams extends B2bCommonParams {
  /** The till (or store) number receiving the money (`PartyB`). */
  tillNumber: string | number;
  /** A reference for the payment, up to 13 characters. Optional. */
  accountReference?: string;
}

/**
 * Input of {@link B2b.topUp}. Both identifier types are `'4'` (shortcode), the only value the product
 * takes, so they cannot be set.
 */
export interface B2bTopUpParams
  extends Omit<B2bCommonParams, 'senderIdentifierType' | 'receiverIdentifierType'> {
  /** The B2C shortcode to load (`PartyB`): its Utility account, the one B2C pays from, receives the money. */
  b2cShortcode: string | number;
  /**
   * `AccountReference`, up to 13 characters. Optional: Safaricom's sample sends one, its parameter table
   * does not list it, and the peers disagree on whether it is required.
   */
  accountReference?: string;
}

/** Input of {@link Tax.remit}. */
export interface TaxRemitParams extends InitiatorCallParams {
  /** Whole shillings, at least 1. */
  amount: number;
  /** The Payment Registration Number (PRN) KRA issued for this tax, sent as `AccountReference`. */
  paymentRegistrationNumber: string;
  /** KRA's shortcode (`PartyB`). @defaultValue {@link KRA_SHORTCODE} */
  kraShortcode?: string | number;
}

/** A top-up whose outcome is unknown has no id to query with: Daraja assigns it, in the lost answer. */
const TOP_UP_ADVICE =
  "It was NOT resent: Daraja cannot tell a resend from a new top-up, and it assigns the id a status query would need. Wait for the result on your ResultURL, or compare both shortcodes' balances (account.balance()) before topping up again.";

/** PayBill's and Buy Goods' path and product (a top-up takes the path and names its own product). */
const PAYMENT = {
  product: 'Business To Business',
  path: '/mpesa/b2b/v1/paymentrequest',
  defaultRemarks: 'Payment',
};

/** @internal What distinguishes PayBill, Buy Goods and tax remittance in a `/mpesa/b2b/v1/*` request. */
interface B2bCall {
  operation: string;
  /** What a {@link DarajaUnknownOutcomeError} tells the caller to do. @defaultValue `NOT_RESENT_ADVICE` */
  advice?: string;
  /** The Daraja API product, as the portal names it. */
  product: string;
  path: string;
  commandId: string;
  partyB: string;
  accountReference: string | undefined;
  defaultRemarks: string;
}

/**
 * @internal
 * The `/mpesa/b2b/v1/*` request shared by PayBill, Buy Goods and tax remittance. Never resent after an
 * ambiguous failure: it carries no key Daraja deduplicates.
 */
abstract class B2bResource extends InitiatorResource {
  /** @internal Validate the common fields, build the body and send it. */
  protected sendB2b(call: B2bCall, p: B2bCommonParams, options: RequestOptions): Promise<InitiatorResponse> {
    const { operation, commandId, partyB, accountReference } = call;
    const basics = this.basics(p, call.defaultRemarks);
    const amount = wholeShillings('amount', p.amount);
    const requester = p.requester === undefined ? undefined : normalizePhoneNumber(p.requester, 'requester');
    const identifier = (field: string, value: IdentifierType | undefined) =>
      oneOf(field, value ?? '4', ALL_IDENTIFIER_TYPES);
    const body = {
      ...this.head(basics, commandId),
      SenderIdentifierType: identifier('senderIdentifierType', p.senderIdentifierType),
      RecieverIdentifierType: identifier('receiverIdentifierType', p.receiverIdentifierType),
      Amount: String(amount),
      PartyA: basics.partyA,
      PartyB: partyB,
      ...(accountReference === undefined ? {} : { AccountReference: accountReference }),
      ...(requester === undefined ? {} : { Requester: requester }),
      Remarks: basics.remarks,
      QueueTimeOutURL: basics.queueTimeoutUrl,
      ResultURL: basics.resultUrl,
    };
    this.ctx.log.debug('b2b request sending', { operation, amount, partyB, commandId });
    const spec = {
      operation,
      product: call.product,
      path: call.path,
      body,
      moneyMoving: true,
      unknownOutcomeAdvice: call.advice ?? NOT_RESENT_ADVICE,
    };
    return this.accept(spec, options);
  }
}

/**
 * B2B: pay another business's PayBill or till from your shortcode, or load a B2C shortcode. Use it as
 * `daraja.b2b`.
 */
export class B2b extends B2bResource {
  /**
   * Pay a PayBill (`BusinessPayBill`, `POST /mpesa/b2b/v1/paymentrequest`). The result arrives on the
   * ResultURL ({@link daraja-sdk/results!parseB2bResult}).
   *
   * **Never resent** once it may have reached Daraja: B2B has no idempotency key, so a resend could pay
   * twice. An ambiguous failure throws {@link DarajaUnknownOutcomeError}; wait for the result or check with
   * {@link Transactions.status}.
   *
   * @param params - PayBill number, account reference, amount and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance.
   * @throws {@link DarajaValidationError}, {@link DarajaConfigError}, {@link DarajaApiError},
   * {@link DarajaUnknownOutcomeError}.
   *
   * @example
   * ```ts
   * await daraja.b2b.payBill({ payBillNumber: '888880', accountReference: 'INV-2041', amount: 12_500 });
   * ```
   */
  async payBill(params: B2bPayBillParams, options: RequestOptions = {}): Promise<InitiatorResponse> {
    const p = requireParams(params, '{ payBillNumber, accountReference, amount }');
    const partyB = digitsField('payBillNumber', p.payBillNumber, 5, 7, 'the PayBill number');
    const accountReference = textField('accountReference', p.accountReference, 1, B2B_ACCOUNT_REFERENCE_MAX);
    const call = { operation: 'b2b.payBill', commandId: 'BusinessPayBill', partyB, accountReference };
    return this.sendB2b({ ...call, ...PAYMENT }, p, options);
  }

  /**
   * Pay a till (`BusinessBuyGoods`, `POST /mpesa/b2b/v1/paymentrequest`). Same rules as
   * {@link B2b.payBill}: never resent after an ambiguous failure.
   *
   * Daraja's documentation sends `RecieverIdentifierType` `'4'` for Buy Goods too, and that is the default;
   * some integrators report needing `'2'` (till). Pass `receiverIdentifierType: '2'` if Daraja answers
   * `SFC_IC0003`.
   *
   * @param params - Till number, amount and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance.
   * @throws {@link DarajaValidationError}, {@link DarajaConfigError}, {@link DarajaApiError},
   * {@link DarajaUnknownOutcomeError}.
   *
   * @example
   * ```ts
   * await daraja.b2b.buyGoods({ tillNumber: '5201234', amount: 3_000, accountReference: 'PO-77' });
   * ```
   */
  async buyGoods(params: B2bBuyGoodsParams, options: RequestOptions = {}): Promise<InitiatorResponse> {
    const p = requireParams(params, '{ tillNumber, amount }');
    const partyB = digitsField('tillNumber', p.tillNumber, 5, 8, 'the till number');
    const accountReference = optionalText('accountReference', p.accountReference, {
      min: 1,
      max: B2B_ACCOUNT_REFERENCE_MAX,
    });
    const call = { operation: 'b2b.buyGoods', commandId: 'BusinessBuyGoods', partyB, accountReference };
    return this.sendB2b({ ...call, ...PAYMENT }, p, options);
  }

  /**
   * Load a B2C shortcode so that it can pay out (B2C Account Top Up, `BusinessPayToBulk`,
   * `POST /mpesa/b2b/v1/paymentrequest`): the money moves from your shortcode's Working (or MMF) account
   * into the B2C shortcode's Utility account. The initiator needs the "Org Business Pay to Bulk API
   * initiator" role. The result arrives on the ResultURL in B2B's shape
   * ({@link daraja-sdk/results!parseB2bResult}).
   *
   * **Never resent** once it may have reached Daraja: the request carries no key Daraja deduplicates
   * (Daraja assigns the `OriginatorConversationID`), so a lost answer leaves no id to query with. An
   * ambiguous failure throws {@link DarajaUnknownOutcomeError}; wait for the result, or compare both
   * shortcodes' balances ({@link Account.balance}) before topping up again.
   *
   * The request is documented by Safaricom and agreed on by every source; no sandbox or live answer to it
   * is on record, so the SDK's reading of the result follows the documented samples only.
   *
   * @param params - The B2C shortcode, amount and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance.
   * @throws {@link DarajaValidationError}, {@link DarajaConfigError}, {@link DarajaApiError},
   * {@link DarajaProductNotEnabledError}, {@link DarajaUnknownOutcomeError}.
   *
   * @example
   * ```ts
   * await daraja.b2b.topUp({ b2cShortcode: '600000', amount: 50_000, accountReference: 'FLOAT-11' });
   * ```
   */
  async topUp(params: B2bTopUpParams, options: RequestOptions = {}): Promise<InitiatorResponse> {
    const p = requireParams(params, '{ b2cShortcode, amount }');
    const partyB = digitsField('b2cShortcode', p.b2cShortcode, 5, 7, 'the B2C shortcode to load');
    const accountReference = optionalText('accountReference', p.accountReference, {
      min: 1,
      max: B2B_ACCOUNT_REFERENCE_MAX,
    });
    const call = { operation: 'b2b.topUp', commandId: 'BusinessPayToBulk', partyB, accountReference };
    const fixed = { ...p, senderIdentifierType: '4', receiverIdentifierType: '4' } as const;
    return this.sendB2b(
      { ...call, ...PAYMENT, product: 'B2C Account Top Up', advice: TOP_UP_ADVICE },
      fixed,
      options,
    );
  }
}

/** Tax remittance to the Kenya Revenue Authority (KRA). Use it as `daraja.tax`. */
export class Tax extends B2bResource {
  /**
   * Pay tax to KRA against a Payment Registration Number (`PayTaxToKRA`, `POST /mpesa/b2b/v1/remittax`).
   * Needs prior integration with KRA to obtain the PRN. The result arrives on the ResultURL
   * ({@link daraja-sdk/results!parseB2bResult}).
   *
   * **Never resent** once it may have reached Daraja (no idempotency key): an ambiguous failure throws
   * {@link DarajaUnknownOutcomeError}.
   *
   * @param params - Amount, PRN and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance.
   * @throws {@link DarajaValidationError}, {@link DarajaConfigError}, {@link DarajaApiError},
   * {@link DarajaUnknownOutcomeError}.
   *
   * @example
   * ```ts
   * await daraja.tax.remit({ amount: 4_200, paymentRegistrationNumber: '2024KRA0001234' });
   * ```
   */
  async remit(params: TaxRemitParams, options: RequestOptions = {}): Promise<InitiatorResponse> {
    const p = requireParams(params, '{ amount, paymentRegistrationNumber }');
    const partyB = digitsField('kraShortcode', p.kraShortcode ?? KRA_SHORTCODE, 5, 7, "KRA's shortcode");
    const accountReference = textField('paymentRegistrationNumber', p.paymentRegistrationNumber, 1, 30);
    const call = { operation: 'tax.remit', commandId: 'PayTaxToKRA', partyB, accountReference };
    return this.sendB2b(
      { ...call, product: 'Tax Remittance', path: '/mpesa/b2b/v1/remittax', defaultRemarks: 'Tax payment' },
      p,
      options,
    );
  }
}
