import type { ResultItem, ResultShape } from '../../wire/result.js';
import * as ids from '../ids.js';
import {
  type Ledger,
  ORGANISATION_NAME,
  type SimulatedLedgerEntry,
  type SimulatedTransactionKind,
} from '../ledger.js';
import type { RouteResponse } from '../routes.js';
import { checks, type FieldRule, type JsonBody } from '../validation.js';

// What an initiator operation is to the simulator: its definition, which each product file
// (b2c.ts, b2b.ts, account.ts) gives for its operations, and the pieces those files share (field rules,
// ledger helpers). The engine that runs the definitions is simulation.ts.

/** @internal An accepted initiator request as an operation reads it (a `SimulatedOperation` is one). */
export interface OperationRecord {
  readonly originatorConversationId: string;
  readonly conversationId: string;
  readonly commandId: string;
  readonly partyA: string;
  readonly partyB: string | undefined;
  readonly amount: number | undefined;
  readonly target: string | undefined;
  readonly body: Readonly<Record<string, unknown>>;
}

/** @internal What an operation takes from an accepted body, before the simulator adds its ids and checks. */
export interface Accepting<N extends string = string> {
  /** The operation it is (one path may serve several, told apart by the body). */
  operation: N;
  originatorConversationId: string;
  partyA: string;
  partyB: string | undefined;
  amount: number | undefined;
  target: string | undefined;
  /** `InitiatorName` (B2C) or `Initiator`. */
  initiator: unknown;
}

/** @internal A result as decided, before it is written in the operation's wire format. */
export interface Decided {
  code: string;
  desc: string;
  transactionId: string;
  /** `ResultParameters.ResultParameter`: an array, or (as Daraja sometimes sends) a single object. */
  parameters?: ResultItem[] | ResultItem;
}

/** @internal A failed result with this code (and Daraja's description of it, unless given). */
export type Fail = (code: string | number, desc?: string) => Decided;

/**
 * @internal
 * One endpoint of an initiator operation. The simulation serves it: the token and the `rules`, then
 * `read`, the duplicate check, the answer; later the common result checks (initiator, shortcode, forced
 * results) and `process`, whose result goes out in `shape`.
 */
export interface InitiatorOperation<N extends string = string> {
  /** The path Daraja serves it on. */
  readonly path: string;
  /** The operation names it may report; the first is the route's, in the request log. */
  readonly names: readonly [N, ...N[]];
  /** The fields of its body, in the order Daraja checks them. */
  readonly rules: readonly FieldRule[];
  /** The operation a body that `rules` refuse is logged as, when not the route's. */
  readonly refusedAs?: (json: unknown) => string | undefined;
  /** What an accepted body gives, or Daraja's refusal of it. */
  readonly read: (body: JsonBody) => Accepting<N> | RouteResponse;
  /** True when its `OriginatorConversationID` must be new among the operations that say so. */
  readonly uniqueOriginatorId?: boolean;
  /** The answer to an accepted request; by default {@link acceptedAnswer}'s. */
  readonly answer?: (accepted: OperationRecord) => Record<string, string>;
  /** What the `auto` result rule reads (phone number, amount); `undefined`: the request succeeds. */
  readonly ruleValue: (accepted: OperationRecord) => string | number | undefined;
  /** True when it pays a customer: only then does `unregistered-customer` give result 2040. */
  readonly paysCustomer?: boolean;
  /** The parameters a failed result carries, if any. */
  readonly failureParameters?: (now: Date) => ResultItem[] | ResultItem;
  /** The result once the common checks pass: the ledger effect and the parameters reported. */
  readonly process: (accepted: OperationRecord, ledger: Ledger, now: Date, fail: Fail) => Decided;
  /** The wire shape of its result. */
  readonly shape: ResultShape;
}

/** @internal What an operation does once the common checks pass (see {@link InitiatorOperation.process}). */
export type Process = InitiatorOperation['process'];

/** @internal Daraja's `ResponseDescription` of an accepted request. */
export const ACCEPTED = 'Accept the service request successfully.';
/** @internal Daraja's `ResultDesc` of a processed request. */
export const PROCESSED = 'The service request is processed successfully.';

/** @internal A successful result (code 0) with its `TransactionID` and parameters. */
export function processed(transactionId: string, parameters: ResultItem[]): Decided {
  return { code: '0', desc: PROCESSED, transactionId, parameters };
}

/** @internal The usual answer to an accepted request, with this `ResponseDescription`. */
export function acceptedAnswer(description = ACCEPTED) {
  return (accepted: OperationRecord): Record<string, string> => ({
    OriginatorConversationID: accepted.originatorConversationId,
    ConversationID: accepted.conversationId,
    ResponseCode: '0',
    ResponseDescription: description,
  });
}

// --- field rules ------------------------------------------------------------------------------------

/** @internal `Remarks`: 2 to 100 characters. */
export const remarks: FieldRule = { field: 'Remarks', check: checks.length(2, 100) };
/** @internal A result or queue-timeout URL. */
export const url = (field: string): FieldRule => ({ field, check: checks.url });
/** @internal Optional text of up to 100 characters (`Occasion`). */
export const optionalText = (field: string): FieldRule => ({
  field,
  check: checks.length(0, 100),
  optional: true,
});
/** @internal A shortcode: 5 to `max` digits. */
export const shortcode = (field: string, max = 7): FieldRule => ({ field, check: checks.digits(5, max) });
/**
 * @internal
 * The last fields of a payment's body: `Remarks`, `QueueTimeOutURL`, `ResultURL`, then the optional
 * occasion (B2C spells it `Occassion`).
 */
export function paymentTail(occasion: string): FieldRule[] {
  return [remarks, url('QueueTimeOutURL'), url('ResultURL'), optionalText(occasion)];
}
/** @internal `Initiator`, `SecurityCredential`, `CommandID` (one of `commands`): the first fields. */
export function initiatorRules(commands: readonly string[], initiator = 'Initiator'): FieldRule[] {
  return [
    { field: initiator, check: checks.nonEmpty },
    { field: 'SecurityCredential', check: checks.nonEmpty },
    { field: 'CommandID', check: checks.oneOf(commands) },
  ];
}

// --- the ledger -------------------------------------------------------------------------------------

/** @internal A receipt number the ledger does not hold yet. */
export function newReceipt(ledger: Ledger): string {
  let receipt = ids.receiptNumber();
  while (ledger.has(receipt)) receipt = ids.receiptNumber();
  return receipt;
}

/** @internal The organisation as Daraja names a party: `"600000 - Daraja Simulator"`. */
export const organisation = (shortcode: string) => `${shortcode} - ${ORGANISATION_NAME}`;

/** @internal A query's placeholder `TransactionID`, e.g. `MBN0000000`, as in Daraja's samples. */
export const queryId = (receipt: string) => `${receipt.slice(0, 3)}0000000`;

/** @internal Who was paid, and how the ledger entry of a payment out names it. */
export interface Payee {
  kind: Extract<SimulatedTransactionKind, 'b2c' | 'b2b' | 'tax'>;
  receiver: string;
  phoneNumber: string | undefined;
  billReference: string | undefined;
  /** Daraja's wording, e.g. `Business Payment to Customer via API`. */
  reasonType: string;
}

/** @internal Record a payment the organisation made (B2C, B2B, tax). */
export function payOut(
  ledger: Ledger,
  accepted: OperationRecord,
  now: Date,
  payee: Payee,
): SimulatedLedgerEntry {
  return ledger.record({
    receipt: newReceipt(ledger),
    kind: payee.kind,
    amount: accepted.amount!,
    shortcode: accepted.partyA,
    debitParty: organisation(accepted.partyA),
    creditParty: payee.receiver,
    phoneNumber: payee.phoneNumber,
    billReference: payee.billReference,
    originatorConversationId: accepted.originatorConversationId,
    conversationId: accepted.conversationId,
    reasonType: payee.reasonType,
    completedAt: now,
  });
}
