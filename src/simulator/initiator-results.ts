import { type ResultItem, type ResultShape, resultBody } from '../wire/result.js';
import { nairobiTimestamp } from '../wire/time.js';
import * as ids from './ids.js';
import type { SimulatedOperation, SimulatedOperationName } from './initiator.js';
import { CUSTOMER, type Ledger, money, ORGANISATION_NAME, type SimulatedLedgerEntry } from './ledger.js';
import type { SimulatedResult } from './result-outcomes.js';
import { resultText } from './result-texts.js';
import { textOf } from './validation.js';

// What the initiator operations do to the simulator's books, and the result each one reports: the
// parameters of a payment, a balance, a status lookup, a reversal. The bodies are wire/result.ts's.

/** @internal A result as decided, before it is written in the operation's wire format. */
export interface Decided {
  code: string;
  desc: string;
  transactionId: string;
  /** `ResultParameters.ResultParameter`: an array, or (as Daraja sometimes sends) a single object. */
  parameters?: ResultItem[] | ResultItem;
}
/** A failed result with this code (and Daraja's description of it, unless given). */
type Fail = (code: string | number, desc?: string) => Decided;

const PROCESSED = 'The service request is processed successfully.';
const KRA = '572572';

const REASONS: Record<string, string> = {
  BusinessPayment: 'Business Payment to Customer via API',
  SalaryPayment: 'Salary Payment to Customer via API',
  PromotionPayment: 'Promotion Payment to Customer via API',
  BusinessPayBill: 'Business Pay Bill via API',
  BusinessBuyGoods: 'Business Buy Goods via API',
  PayTaxToKRA: 'Pay Tax to KRA via API',
};

/** `dd.MM.yyyy HH:mm:ss`, Nairobi time: B2C's `TransactionCompletedDateTime`. */
function b2cDate(now: Date): string {
  const t = nairobiTimestamp(now);
  return `${t.slice(6, 8)}.${t.slice(4, 6)}.${t.slice(0, 4)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12)}`;
}

/** Daraja's `{Amount={CurrencyCode=KES, MinimumAmount=…, BasicAmount=…}}` balance form of B2B results. */
function braceBalance(amount: number): string {
  return `{Amount={CurrencyCode=KES, MinimumAmount=${Math.round(amount * 100)}, BasicAmount=${money(amount)}}}`;
}

/**
 * @internal
 * The initiator operations' effect on the ledger: checks (initiator, shortcode, money, receipts), the
 * money movements, and the result parameters.
 */
export class InitiatorBooks {
  readonly #ledger: Ledger;
  readonly #initiatorShortcode: string;

  constructor(ledger: Ledger, initiatorShortcode: string) {
    this.#ledger = ledger;
    this.#initiatorShortcode = initiatorShortcode;
  }

  /** The result: the initiator checks, then a forced result, then what the operation does. */
  process(state: SimulatedOperation, forced: SimulatedResult, now: Date): Decided {
    const fail: Fail = (code, desc) => ({
      code: String(code),
      desc: desc ?? resultText(code),
      transactionId: this.#newReceipt(),
      ...(state.operation === 'account.balance'
        ? // A failed balance query carries one parameter, as a single object (Daraja's balance sample).
          { parameters: { Key: 'BOCompletedTime', Value: Number(nairobiTimestamp(now)) } }
        : {}),
    });
    if (!state.credentialValid) return fail(2001);
    if (state.partyA !== this.#initiatorShortcode) return fail(21);
    if (forced === 'insufficient-funds') return fail(1);
    if (forced === 'initiator-invalid') return fail(2001);
    const toCustomer = state.operation === 'b2c.pay' || state.operation === 'b2c.payToPochi';
    if (forced === 'unregistered-customer' && toCustomer) return fail(2040);
    if (typeof forced === 'object') {
      const code = String(forced.resultCode);
      if (code !== '0') return fail(code, forced.resultDesc);
    }
    switch (state.operation) {
      case 'b2c.pay':
        return this.#payCustomer(state, now, fail);
      case 'b2c.payToPochi':
        // Business to Pochi's minimum is KES 10 (its FAQ); its result codes list 2 for "below the minimum".
        return state.amount! < 10 ? fail(2) : this.#payCustomer(state, now, fail);
      case 'b2b.payBill':
      case 'b2b.buyGoods':
      case 'tax.remit':
        return this.#payBusiness(state, now, fail);
      case 'transactions.status':
        return this.#lookUp(state, fail);
      case 'account.balance':
        return {
          code: '0',
          desc: PROCESSED.slice(0, -1),
          transactionId: queryId(this.#newReceipt()),
          parameters: [
            { Key: 'AccountBalance', Value: this.#ledger.balanceString(state.partyA) },
            { Key: 'BOCompletedTime', Value: nairobiTimestamp(now) },
          ],
        };
      case 'reversal.reverse':
        return this.#reverse(state, now, fail);
    }
  }

  #payCustomer(state: SimulatedOperation, now: Date, fail: Fail): Decided {
    const ledger = this.#ledger;
    const amount = state.amount!;
    const accounts = ledger.accounts(state.partyA);
    if (accounts.utility < amount) return fail(1);
    accounts.utility -= amount;
    const receiver = `${state.partyB} - ${CUSTOMER.full}`;
    const entry = this.#payOut(state, now, 'b2c', receiver, state.partyB, undefined);
    return {
      code: '0',
      desc: PROCESSED,
      transactionId: entry.receipt,
      parameters: [
        { Key: 'TransactionAmount', Value: amount },
        { Key: 'TransactionReceipt', Value: entry.receipt },
        { Key: 'ReceiverPartyPublicName', Value: receiver },
        { Key: 'TransactionCompletedDateTime', Value: b2cDate(now) },
        { Key: 'B2CUtilityAccountAvailableFunds', Value: accounts.utility },
        { Key: 'B2CWorkingAccountAvailableFunds', Value: accounts.working },
        { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
        { Key: 'B2CChargesPaidAccountAvailableFunds', Value: accounts.chargesPaid },
      ],
    };
  }

  #payBusiness(state: SimulatedOperation, now: Date, fail: Fail): Decided {
    const ledger = this.#ledger;
    const amount = state.amount!;
    const accounts = ledger.accounts(state.partyA);
    if (accounts.working < amount) return fail(1);
    accounts.working -= amount;
    const receiver =
      state.partyB === KRA ? `${KRA} - Kenya Revenue Authority` : `${state.partyB} - Simulated Business`;
    const kind = state.operation === 'tax.remit' ? 'tax' : 'b2b';
    const bill = textOf(state.body['AccountReference']) || undefined;
    const entry = this.#payOut(state, now, kind, receiver, undefined, bill);
    return {
      code: '0',
      desc: PROCESSED,
      transactionId: entry.receipt,
      parameters: [
        { Key: 'DebitAccountBalance', Value: braceBalance(accounts.working) },
        { Key: 'Amount', Value: money(amount) },
        {
          Key: 'DebitPartyAffectedAccountBalance',
          Value: `Working Account|KES|${money(accounts.working)}|${money(accounts.working)}|0.00|0.00`,
        },
        { Key: 'TransCompletedTime', Value: nairobiTimestamp(now) },
        { Key: 'DebitPartyCharges', Value: '' },
        { Key: 'ReceiverPartyPublicName', Value: receiver },
        { Key: 'Currency', Value: 'KES' },
        { Key: 'InitiatorAccountCurrentBalance', Value: braceBalance(accounts.working) },
      ],
    };
  }

  /** Record a payment the organisation made (B2C, B2B, tax). */
  #payOut(
    state: SimulatedOperation,
    now: Date,
    kind: 'b2c' | 'b2b' | 'tax',
    receiver: string,
    phoneNumber: string | undefined,
    billReference: string | undefined,
  ): SimulatedLedgerEntry {
    return this.#ledger.record({
      receipt: this.#newReceipt(),
      kind,
      amount: state.amount!,
      shortcode: state.partyA,
      debitParty: organisation(state.partyA),
      creditParty: receiver,
      phoneNumber,
      billReference,
      originatorConversationId: state.originatorConversationId,
      conversationId: state.conversationId,
      reasonType: REASONS[state.commandId] ?? state.commandId,
      completedAt: now,
    });
  }

  #lookUp(state: SimulatedOperation, fail: Fail): Decided {
    const found = this.#ledger.find(state.target!);
    if (!found) return fail('R000002', 'The transaction receipt number does not exist.');
    const time = nairobiTimestamp(found.completedAt);
    return {
      code: '0',
      desc: PROCESSED,
      transactionId: queryId(found.receipt),
      parameters: [
        { Key: 'DebitPartyName', Value: found.debitParty },
        { Key: 'CreditPartyName', Value: found.creditParty },
        { Key: 'OriginatorConversationID', Value: found.originatorConversationId ?? '' },
        { Key: 'InitiatedTime', Value: time },
        { Key: 'DebitAccountType', Value: debitAccountType(found) },
        { Key: 'DebitPartyCharges', Value: '' },
        { Key: 'TransactionReason' },
        { Key: 'ReasonType', Value: found.reasonType },
        { Key: 'TransactionStatus', Value: found.reversedBy ? 'Reversed' : 'Completed' },
        { Key: 'FinalisedTime', Value: time },
        { Key: 'Amount', Value: String(found.amount) },
        { Key: 'ConversationID', Value: found.conversationId ?? '' },
        { Key: 'ReceiptNo', Value: found.receipt },
      ],
    };
  }

  #reverse(state: SimulatedOperation, now: Date, fail: Fail): Decided {
    const ledger = this.#ledger;
    const original = ledger.find(state.target!);
    if (!original || original.receipt !== state.target || original.kind === 'reversal')
      return fail('R000002', 'The OriginalTransactionID is invalid.');
    if (original.reversedBy) return fail('R000001', 'The transaction has already been reversed.');
    const accounts = ledger.accounts(original.shortcode);
    const incoming = original.kind === 'stk' || original.kind === 'c2b';
    // Money goes back to whoever paid: out of the utility account for a payment received, in otherwise.
    if (incoming) {
      if (accounts.utility < original.amount) return fail(1);
      accounts.utility -= original.amount;
    } else if (original.kind === 'b2c') accounts.utility += original.amount;
    else accounts.working += original.amount;
    const entry = ledger.record({
      receipt: this.#newReceipt(),
      kind: 'reversal',
      amount: original.amount,
      shortcode: original.shortcode,
      debitParty: original.creditParty,
      creditParty: original.debitParty,
      phoneNumber: original.phoneNumber,
      billReference: original.billReference,
      originatorConversationId: state.originatorConversationId,
      conversationId: state.conversationId,
      reasonType: 'Reversal',
      completedAt: now,
    });
    ledger.markReversed(original.receipt, entry.receipt);
    const account = original.kind === 'b2b' || original.kind === 'tax' ? 'Working' : 'Utility';
    const balance = account === 'Working' ? accounts.working : accounts.utility;
    return {
      code: '0',
      desc: PROCESSED,
      transactionId: entry.receipt,
      parameters: [
        {
          Key: 'DebitAccountBalance',
          Value: `${account} Account|KES|${money(balance)}|${money(balance)}|0.00|0.00`,
        },
        { Key: 'Amount', Value: original.amount },
        { Key: 'TransCompletedTime', Value: Number(nairobiTimestamp(now)) },
        { Key: 'OriginalTransactionID', Value: original.receipt },
        { Key: 'Charge', Value: 0 },
        { Key: 'CreditPartyPublicName', Value: original.debitParty },
        { Key: 'DebitPartyPublicName', Value: original.creditParty },
      ],
    };
  }

  #newReceipt(): string {
    let receipt = ids.receiptNumber();
    while (this.#ledger.has(receipt)) receipt = ids.receiptNumber();
    return receipt;
  }
}

const organisation = (shortcode: string) => `${shortcode} - ${ORGANISATION_NAME}`;

/** Queries' results carry a placeholder `TransactionID` such as `MBN0000000`, as Daraja's samples do. */
const queryId = (receipt: string) => `${receipt.slice(0, 3)}0000000`;

function debitAccountType(entry: SimulatedLedgerEntry): string {
  if (entry.kind === 'b2b' || entry.kind === 'tax') return 'Working Account';
  if (entry.kind === 'stk' || entry.kind === 'c2b') return 'Customer Account';
  return 'Utility Account';
}

const SHAPES: Record<SimulatedOperationName, ResultShape> = {
  'b2c.pay': 'b2c',
  'b2c.payToPochi': 'b2c',
  'b2b.payBill': 'b2b',
  'b2b.buyGoods': 'b2b',
  'tax.remit': 'b2b',
  'transactions.status': 'status',
  'account.balance': 'balance',
  'reversal.reverse': 'reversal',
};

/** @internal The `Result` envelope of a processed request, in its operation's shape. */
export function resultOf(state: SimulatedOperation, decided: Decided): unknown {
  return resultBody({
    shape: SHAPES[state.operation],
    originatorConversationId: state.originatorConversationId,
    conversationId: state.conversationId,
    transactionId: decided.transactionId,
    code: decided.code,
    desc: decided.desc,
    ...(decided.parameters !== undefined && { parameters: decided.parameters }),
    billReference: textOf(state.body['AccountReference']) ?? '',
    occasion: textOf(state.body['Occasion']) ?? '',
  });
}
