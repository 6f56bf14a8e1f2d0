import { money } from '../wire/c2b.js';
import type { SimulatedStkTransaction } from './outcomes.js';

/**
 * What kind of M-Pesa transaction the simulator recorded: an STK or C2B payment received, a B2C, B2B or
 * tax payment sent, or a reversal.
 */
export type SimulatedTransactionKind = 'stk' | 'c2b' | 'b2c' | 'b2b' | 'tax' | 'reversal';

/**
 * One completed money movement the simulator knows, as returned by {@link Simulator.ledger}: what
 * transaction status finds, reversal reverses and pull transactions lists.
 */
export interface SimulatedLedgerEntry {
  /** The M-Pesa receipt (`TransactionID`, `MpesaReceiptNumber`, `TransID`). */
  readonly receipt: string;
  /** What kind of transaction it was. */
  readonly kind: SimulatedTransactionKind;
  /** The amount, in shillings. */
  readonly amount: number;
  /** The organisation's shortcode: the one paid (STK, C2B) or paying (B2C, B2B, tax, reversal). */
  readonly shortcode: string;
  /** Who paid, as Daraja names parties: `"254708374149 - JOHN DOE"`, `"600992 - Daraja Simulator"`. */
  readonly debitParty: string;
  /** Who was paid, in the same form. */
  readonly creditParty: string;
  /** The customer's phone number (`2547…`), for STK, C2B and B2C. */
  readonly phoneNumber: string | undefined;
  /** The account number (C2B `BillRefNumber`, STK `AccountReference`, B2B `AccountReference`). */
  readonly billReference: string | undefined;
  /** The request's `OriginatorConversationID` (initiator operations), or the STK `CheckoutRequestID`. */
  readonly originatorConversationId: string | undefined;
  /** Daraja's `ConversationID` of the request (initiator operations). */
  readonly conversationId: string | undefined;
  /** Daraja's wording of the transaction, e.g. `Business Payment to Customer via API`. */
  readonly reasonType: string;
  /** When it was completed. */
  readonly completedAt: Date;
  /** The receipt of the reversal that reversed it, if any. */
  readonly reversedBy: string | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** @internal The balances of one shortcode, in shillings. */
export interface SimulatedAccounts {
  working: number;
  utility: number;
  chargesPaid: number;
}

/** @internal What every shortcode holds before its first transaction. */
export const OPENING_BALANCES: Readonly<SimulatedAccounts> = Object.freeze({
  working: 500_000,
  utility: 1_000_000,
  chargesPaid: 0,
});

export { money } from '../wire/c2b.js';

/** @internal The simulator's name for an organisation, as in `"600992 - Daraja Simulator"`. */
export const ORGANISATION_NAME = 'Daraja Simulator';
/** @internal The name every simulated customer has (Daraja sends names in capitals). */
export const CUSTOMER = Object.freeze({ first: 'JOHN', middle: '', last: 'DOE', full: 'JOHN DOE' });

/**
 * @internal
 * The simulator's books: each shortcode's balances, and every completed transaction by receipt. Shared by
 * STK, C2B and the initiator APIs, so a receipt from one can be queried or reversed by another.
 */
export class Ledger {
  readonly #accounts = new Map<string, SimulatedAccounts>();
  readonly #entries = new Map<string, Mutable<SimulatedLedgerEntry>>();

  /** The live balances of a shortcode (created with the opening balances). */
  accounts(shortcode: string): SimulatedAccounts {
    let accounts = this.#accounts.get(shortcode);
    if (!accounts) {
      accounts = { ...OPENING_BALANCES };
      this.#accounts.set(shortcode, accounts);
    }
    return accounts;
  }

  /**
   * A payment from a customer (STK, C2B) into the shortcode's utility account, recorded.
   *
   * @returns The shortcode's balances after it.
   */
  receive(
    p: Omit<SimulatedLedgerEntry, 'reversedBy' | 'debitParty' | 'creditParty'> & { phoneNumber: string },
  ): SimulatedAccounts {
    const accounts = this.accounts(p.shortcode);
    accounts.utility += p.amount;
    const { receipt, kind, amount, shortcode, ...rest } = p;
    const debitParty = `${p.phoneNumber} - ${CUSTOMER.full}`;
    const creditParty = `${shortcode} - ${ORGANISATION_NAME}`;
    this.record({ receipt, kind, amount, shortcode, debitParty, creditParty, ...rest });
    return accounts;
  }

  /** Daraja's account-balance string for a shortcode: `Working Account|KES|…&Float Account|…`. */
  balanceString(shortcode: string): string {
    const a = this.accounts(shortcode);
    const entry = (name: string, amount: number) => `${name}|KES|${money(amount)}|${money(amount)}|0.00|0.00`;
    return [
      entry('Working Account', a.working),
      entry('Float Account', 0),
      entry('Utility Account', a.utility),
      entry('Charges Paid Account', a.chargesPaid),
      entry('Organization Settlement Account', 0),
    ].join('&');
  }

  record(entry: Omit<SimulatedLedgerEntry, 'reversedBy'>): SimulatedLedgerEntry {
    const stored = { ...entry, reversedBy: undefined };
    this.#entries.set(entry.receipt, stored);
    return Object.freeze({ ...stored });
  }

  /** A transaction by its receipt, or by the `OriginatorConversationID` / `ConversationID` of its request. */
  find(id: string): SimulatedLedgerEntry | undefined {
    const entry =
      this.#entries.get(id) ??
      [...this.#entries.values()].find((e) => e.originatorConversationId === id || e.conversationId === id);
    return entry && Object.freeze({ ...entry });
  }

  markReversed(receipt: string, reversal: string): void {
    const entry = this.#entries.get(receipt);
    if (entry) entry.reversedBy = reversal;
  }

  has(receipt: string): boolean {
    return this.#entries.has(receipt);
  }

  list(): SimulatedLedgerEntry[] {
    return [...this.#entries.values()].map((e) => Object.freeze({ ...e }));
  }

  reset(): void {
    this.#accounts.clear();
    this.#entries.clear();
  }
}

/** A successful push is money received: the ledger records it for status, reversal and pull. */
export function recordStkPayment(ledger: Ledger, t: SimulatedStkTransaction): void {
  ledger.receive({
    receipt: t.receiptNumber!,
    kind: 'stk',
    amount: t.amount,
    shortcode: t.businessShortCode,
    phoneNumber: t.phoneNumber,
    billReference: t.accountReference,
    originatorConversationId: t.checkoutRequestId,
    conversationId: t.merchantRequestId,
    reasonType: t.transactionType === 'CustomerBuyGoodsOnline' ? 'Buy Goods Online' : 'Pay Bill Online',
    completedAt: t.decidedAt ?? new Date(),
  });
}
