// The typed result of each initiator operation (B2C, B2B and tax, transaction status, account balance,
// reversal) and its parser, each built on the shared `Result` envelope of `result.ts`.

import type { DarajaResult } from './result.js';
import { envelope } from './result.js';
import { type AccountBalance, type PublicName, parameterReaders, parsePublicName } from './result-values.js';

/** A B2C payment's result, or a Business to Pochi payment's (Daraja sends both in the same shape). */
export interface B2cResult extends DarajaResult {
  /** `TransactionAmount`, in shillings. */
  amount: number | undefined;
  /** `TransactionReceipt`: the M-Pesa receipt. */
  receiptNumber: string | undefined;
  /** `ReceiverPartyPublicName`: the customer paid. */
  receiver: PublicName | undefined;
  /** `TransactionCompletedDateTime` (sent as `dd.MM.yyyy HH:mm:ss`, Nairobi time). */
  completedAt: Date | undefined;
  /** `B2CUtilityAccountAvailableFunds`. */
  utilityAccountAvailableFunds: number | undefined;
  /** `B2CWorkingAccountAvailableFunds`. */
  workingAccountAvailableFunds: number | undefined;
  /** `B2CChargesPaidAccountAvailableFunds`. */
  chargesPaidAccountAvailableFunds: number | undefined;
  /** `B2CRecipientIsRegisteredCustomer` (`Y`/`N`). */
  recipientIsRegisteredCustomer: boolean | undefined;
}

/** A B2B (PayBill, Buy Goods, B2C Account Top Up) or tax remittance result. */
export interface B2bResult extends DarajaResult {
  /** `Amount`, in shillings. */
  amount: number | undefined;
  /** `TransCompletedTime` (or `TransactionCompletedTime`, the top-up table's name for it). */
  completedAt: Date | undefined;
  /** `ReceiverPartyPublicName`. */
  receiver: PublicName | undefined;
  /** `Currency`, e.g. `KES`. */
  currency: string | undefined;
  /** `DebitAccountBalance` (or `DebitAccountCurrentBalance`, the top-up table's name for it), parsed. */
  debitAccountBalance: readonly AccountBalance[] | undefined;
  /** `DebitPartyAffectedAccountBalance`, parsed. */
  debitPartyAffectedAccountBalance: readonly AccountBalance[] | undefined;
  /** `InitiatorAccountCurrentBalance`, parsed. */
  initiatorAccountCurrentBalance: readonly AccountBalance[] | undefined;
  /** `DebitPartyCharges`, as sent. */
  debitPartyCharges: string | undefined;
  /** `BillReferenceNumber` from `ReferenceData`: the account reference paid. */
  billReferenceNumber: string | undefined;
}

/** A transaction status result: what happened to the transaction you asked about. */
export interface TransactionStatusResult extends DarajaResult {
  /** `TransactionStatus`, e.g. `Completed`. */
  transactionStatus: string | undefined;
  /** `ReceiptNo`: the M-Pesa receipt of the transaction. */
  receiptNumber: string | undefined;
  /** `Amount`, in shillings. */
  amount: number | undefined;
  /** Every `DebitPartyName` (Daraja may send the key twice). */
  debitParties: readonly PublicName[];
  /** Every `CreditPartyName`. */
  creditParties: readonly PublicName[];
  /** `InitiatedTime`. */
  initiatedAt: Date | undefined;
  /** `FinalisedTime`. */
  finalisedAt: Date | undefined;
  /** `ReasonType`, e.g. `Business Payment to Customer via API`. */
  reasonType: string | undefined;
  /** `TransactionReason`, often sent without a value. */
  transactionReason: string | undefined;
  /** `DebitAccountType`, e.g. `Utility Account`. */
  debitAccountType: string | undefined;
  /** `DebitPartyCharges`, as sent, e.g. `Fee For B2C Payment|KES|22.40`. */
  debitPartyCharges: string | undefined;
  /** The `OriginatorConversationID` parameter: the original transaction's id. */
  transactionOriginatorConversationId: string | undefined;
  /** The `ConversationID` parameter: the original transaction's Daraja id. */
  transactionConversationId: string | undefined;
}

/** An account balance result. */
export interface AccountBalanceResult extends DarajaResult {
  /** The accounts of the `AccountBalance` string; empty when the query failed. */
  accounts: readonly AccountBalance[];
  /** `BOCompletedTime`. */
  completedAt: Date | undefined;
}

/** A reversal result. */
export interface ReversalResult extends DarajaResult {
  /** `Amount` reversed, in shillings. */
  amount: number | undefined;
  /** `OriginalTransactionID`: the receipt that was reversed. */
  originalTransactionId: string | undefined;
  /** `Charge`, in shillings. */
  charge: number | undefined;
  /** `CreditPartyPublicName`. */
  creditParty: PublicName | undefined;
  /** `DebitPartyPublicName`. */
  debitParty: PublicName | undefined;
  /** `TransCompletedTime`. */
  completedAt: Date | undefined;
  /** `DebitAccountBalance`, parsed. */
  debitAccountBalance: readonly AccountBalance[] | undefined;
}

/**
 * Parse a B2C payment result: amount, receipt, receiver, completion time (from `dd.MM.yyyy HH:mm:ss`,
 * Nairobi time) and the B2C account funds. Failures (e.g. `2001`) have no parameters, or only one such
 * as `CreditPartyName` (kept in `values`): those fields are then `undefined`.
 *
 * It also parses the result of a Business to Pochi payment (`b2c.payToPochi()`): Safaricom documents the
 * same `Result` as B2C's, with the same parameters and the B2C result codes, and a real sandbox result
 * arrived in that shape.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const result = parseB2cResult(req.body);
 * if (result.success) await markPaid(result.originatorConversationId, result.receiptNumber);
 * ```
 */
export function parseB2cResult(body: unknown): B2cResult {
  const result = envelope(body, 'b2c');
  const r = parameterReaders(result);
  const registered = r.text('B2CRecipientIsRegisteredCustomer')?.trim().toUpperCase();
  return {
    ...result,
    amount: r.amount('TransactionAmount'),
    receiptNumber: r.text('TransactionReceipt'),
    receiver: r.name('ReceiverPartyPublicName'),
    completedAt: r.date('TransactionCompletedDateTime'),
    utilityAccountAvailableFunds: r.amount('B2CUtilityAccountAvailableFunds'),
    workingAccountAvailableFunds: r.amount('B2CWorkingAccountAvailableFunds'),
    chargesPaidAccountAvailableFunds: r.amount('B2CChargesPaidAccountAvailableFunds'),
    recipientIsRegisteredCustomer: registered === 'Y' ? true : registered === 'N' ? false : undefined,
  };
}

/**
 * Parse a B2B (PayBill, Buy Goods, B2C Account Top Up) or tax remittance result. The top-up's documented
 * sample and its own parameter table name two keys differently; both spellings are read.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const { success, amount, billReferenceNumber } = parseB2bResult(req.body);
 * ```
 */
export function parseB2bResult(body: unknown): B2bResult {
  const result = envelope(body, 'generic');
  const r = parameterReaders(result);
  const bill = result.referenceData.find((i) => i.key === 'BillReferenceNumber')?.value;
  return {
    ...result,
    amount: r.amount('Amount'),
    completedAt: r.date('TransCompletedTime') ?? r.date('TransactionCompletedTime'),
    receiver: r.name('ReceiverPartyPublicName'),
    currency: r.text('Currency'),
    debitAccountBalance: r.balances('DebitAccountBalance') ?? r.balances('DebitAccountCurrentBalance'),
    debitPartyAffectedAccountBalance: r.balances('DebitPartyAffectedAccountBalance'),
    initiatorAccountCurrentBalance: r.balances('InitiatorAccountCurrentBalance'),
    debitPartyCharges: r.text('DebitPartyCharges'),
    billReferenceNumber: bill === undefined ? undefined : String(bill),
  };
}

/**
 * Parse a transaction status result. `DebitPartyName` may be sent twice (the business and the customer):
 * every occurrence is in `debitParties`.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const status = parseTransactionStatusResult(req.body);
 * status.transactionStatus; // 'Completed'
 * ```
 */
export function parseTransactionStatusResult(body: unknown): TransactionStatusResult {
  const result = envelope(body, 'generic');
  const r = parameterReaders(result);
  const names = (key: string) =>
    result.parameters
      .filter((p) => p.key === key && p.value !== undefined)
      .map((p) => parsePublicName(String(p.value)));
  return {
    ...result,
    transactionStatus: r.text('TransactionStatus'),
    receiptNumber: r.text('ReceiptNo'),
    amount: r.amount('Amount'),
    debitParties: names('DebitPartyName'),
    creditParties: names('CreditPartyName'),
    initiatedAt: r.date('InitiatedTime'),
    finalisedAt: r.date('FinalisedTime'),
    reasonType: r.text('ReasonType'),
    transactionReason: r.text('TransactionReason'),
    debitAccountType: r.text('DebitAccountType'),
    debitPartyCharges: r.text('DebitPartyCharges'),
    transactionOriginatorConversationId: r.text('OriginatorConversationID'),
    transactionConversationId: r.text('ConversationID'),
  };
}

/**
 * Parse an account balance result, with the `AccountBalance` string split into accounts and amounts.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const { accounts } = parseAccountBalanceResult(req.body);
 * const utility = accounts.find((a) => a.name === 'Utility Account')?.availableBalance;
 * ```
 */
export function parseAccountBalanceResult(body: unknown): AccountBalanceResult {
  const result = envelope(body, 'generic');
  const r = parameterReaders(result);
  return { ...result, accounts: r.balances('AccountBalance') ?? [], completedAt: r.date('BOCompletedTime') };
}

/**
 * Parse a reversal result. Failure codes are alphanumeric, e.g. `R000001` (already reversed) and
 * `R000002` (invalid original transaction id).
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const reversal = parseReversalResult(req.body);
 * if (reversal.resultCode === 'R000001') { ... } // already reversed
 * ```
 */
export function parseReversalResult(body: unknown): ReversalResult {
  const result = envelope(body, 'reversal');
  const r = parameterReaders(result);
  return {
    ...result,
    amount: r.amount('Amount'),
    originalTransactionId: r.text('OriginalTransactionID'),
    charge: r.amount('Charge'),
    creditParty: r.name('CreditPartyPublicName'),
    debitParty: r.name('DebitPartyPublicName'),
    completedAt: r.date('TransCompletedTime'),
    debitAccountBalance: r.balances('DebitAccountBalance'),
  };
}
