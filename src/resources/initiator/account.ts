import type { RequestOptions } from '../../core/http/transport.js';
import { ALL_IDENTIFIER_TYPES, type IdentifierType } from '../../core/limits.js';
import {
  invalid,
  oneOf,
  optionalText,
  requireParams,
  transactionIdField,
  wholeShillings,
} from '../../core/utils/validate.js';
import {
  type InitiatorCallParams,
  InitiatorResource,
  type InitiatorResponse,
  NOT_RESENT_ADVICE,
} from './shared.js';

/** Input of {@link Transactions.status}: the M-Pesa receipt, the original conversation id, or both. */
export interface TransactionStatusParams extends InitiatorCallParams {
  /** The M-Pesa transaction id (receipt number), e.g. `NEF61H8J60`. */
  transactionId?: string;
  /** The `OriginatorConversationID` of the original request (e.g. a B2C payment's idempotency key). */
  originalConversationId?: string;
  /** What `shortcode` is: `'4'` shortcode, `'2'` till, `'1'` MSISDN. @defaultValue `'4'` */
  identifierType?: IdentifierType;
  /** Sent as `Occasion`, up to 100 characters. */
  occasion?: string;
}

/** Input of {@link Account.balance}. */
export interface AccountBalanceParams extends InitiatorCallParams {
  /** What `shortcode` is: `'4'` shortcode, `'2'` till. @defaultValue `'4'` */
  identifierType?: IdentifierType;
}

/** Input of {@link Reversal.reverse}. */
export interface ReversalParams extends InitiatorCallParams {
  /** The M-Pesa transaction id (receipt) to reverse, e.g. `PDU91HIVIT`. */
  transactionId: string;
  /** The amount of the original transaction, in whole shillings. */
  amount: number;
  /** `RecieverIdentifierType` (Daraja's spelling) of `shortcode`. @defaultValue `'11'`, as Daraja documents for reversals */
  receiverIdentifierType?: IdentifierType;
  /** Sent as `Occasion`, up to 100 characters. */
  occasion?: string;
}

/** Transaction status: ask for the outcome of any M-Pesa transaction. Use it as `daraja.transactions`. */
export class Transactions extends InitiatorResource {
  /**
   * Ask for the status of a transaction (`TransactionStatusQuery`, `POST
   * /mpesa/transactionstatus/v1/query`) by its receipt (`transactionId`) or by the
   * `OriginatorConversationID` of the original request (`originalConversationId`). Works for C2B, B2C,
   * B2B and reversals. The answer arrives on the ResultURL ({@link daraja-sdk/results!parseTransactionStatusResult}).
   *
   * A query moves no money, so it is retried with backoff on network errors, 429 and gateway 5xx; a
   * resend at worst produces a second result.
   *
   * @param params - The transaction to look up, and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance of the query.
   * @throws {@link DarajaValidationError}, {@link DarajaConfigError}, {@link DarajaApiError},
   * {@link DarajaNetworkError} after the retries.
   *
   * @example
   * ```ts
   * await daraja.transactions.status({ transactionId: 'NEF61H8J60' });
   * await daraja.transactions.status({ originalConversationId: payoutId }); // a B2C payment's key
   * ```
   */
  async status(params: TransactionStatusParams, options: RequestOptions = {}): Promise<InitiatorResponse> {
    const p = requireParams(params, '{ transactionId } or { originalConversationId }');
    const basics = this.basics(p, 'Transaction status');
    if (p.transactionId === undefined && p.originalConversationId === undefined)
      invalid(
        'transactionId',
        'pass the M-Pesa receipt (transactionId) or the original OriginatorConversationID (originalConversationId).',
      );
    const transactionId =
      p.transactionId === undefined ? undefined : transactionIdField('transactionId', p.transactionId);
    const original = optionalText('originalConversationId', p.originalConversationId, { min: 1, max: 100 });
    const occasion = this.occasion(p);
    const body = {
      ...this.head(basics, 'TransactionStatusQuery'),
      ...(transactionId === undefined ? {} : { TransactionID: transactionId }),
      ...(original === undefined ? {} : { OriginalConversationID: original }),
      PartyA: basics.partyA,
      IdentifierType: oneOf('identifierType', p.identifierType ?? '4', ['1', '2', '4'] as const),
      ...this.replyTo(basics),
      ...occasion,
    };
    const path = '/mpesa/transactionstatus/v1/query';
    return this.accept(
      { operation: 'transactions.status', product: 'Transaction Status', path, body, moneyMoving: false },
      options,
    );
  }
}

/** Account balance of your shortcode. Use it as `daraja.account`. */
export class Account extends InitiatorResource {
  /**
   * Ask for the balances of your shortcode's accounts (`AccountBalance`, `POST
   * /mpesa/accountbalance/v1/query`). The balances arrive on the ResultURL: parse them with
   * {@link daraja-sdk/results!parseAccountBalanceResult}. Retried like any query.
   *
   * @param params - Optional overrides (shortcode, URLs, remarks).
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance of the query.
   * @throws {@link DarajaValidationError}, {@link DarajaConfigError}, {@link DarajaApiError},
   * {@link DarajaNetworkError} after the retries.
   *
   * @example
   * ```ts
   * const { originatorConversationId } = await daraja.account.balance();
   * ```
   */
  async balance(params: AccountBalanceParams = {}, options: RequestOptions = {}): Promise<InitiatorResponse> {
    const p = requireParams(params, '{ shortcode?, resultUrl?, queueTimeoutUrl? }');
    const basics = this.basics(p, 'Account balance');
    const body = {
      ...this.head(basics, 'AccountBalance'),
      PartyA: basics.partyA,
      IdentifierType: oneOf('identifierType', p.identifierType ?? '4', ['1', '2', '4'] as const),
      Remarks: basics.remarks,
      QueueTimeOutURL: basics.queueTimeoutUrl,
      ResultURL: basics.resultUrl,
    };
    const path = '/mpesa/accountbalance/v1/query';
    return this.accept(
      { operation: 'account.balance', product: 'Account Balance', path, body, moneyMoving: false },
      options,
    );
  }
}

/** Reversal of a completed transaction (e.g. a C2B payment made in error). Use it as `daraja.reversal`. */
export class Reversal extends InitiatorResource {
  /**
   * Reverse a transaction (`TransactionReversal`, `POST /mpesa/reversal/v1/request`). The result arrives
   * on the ResultURL ({@link daraja-sdk/results!parseReversalResult}); `R000001` means it was already reversed.
   *
   * **Never resent** once it may have reached Daraja: a reversal carries no idempotency key. An ambiguous
   * failure throws {@link DarajaUnknownOutcomeError}; wait for the result, or check the original
   * transaction with {@link Transactions.status}.
   *
   * @param params - The transaction id, its amount, and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's acceptance.
   * @throws {@link DarajaValidationError}, {@link DarajaConfigError}, {@link DarajaApiError},
   * {@link DarajaUnknownOutcomeError}.
   *
   * @example
   * ```ts
   * await daraja.reversal.reverse({ transactionId: 'PDU91HIVIT', amount: 200 });
   * ```
   */
  async reverse(params: ReversalParams, options: RequestOptions = {}): Promise<InitiatorResponse> {
    const p = requireParams(params, '{ transactionId, amount }');
    const basics = this.basics(p, 'Reversal');
    const occasion = this.occasion(p);
    const body = {
      ...this.head(basics, 'TransactionReversal'),
      TransactionID: transactionIdField('transactionId', p.transactionId),
      Amount: String(wholeShillings('amount', p.amount)),
      ReceiverParty: basics.partyA,
      RecieverIdentifierType: oneOf(
        'receiverIdentifierType',
        p.receiverIdentifierType ?? '11',
        ALL_IDENTIFIER_TYPES,
      ),
      ...this.replyTo(basics),
      ...occasion,
    };
    return this.accept(
      {
        operation: 'reversal.reverse',
        product: 'Reversals',
        path: '/mpesa/reversal/v1/request',
        body,
        moneyMoving: true,
        unknownOutcomeAdvice: NOT_RESENT_ADVICE,
      },
      options,
    );
  }
}
