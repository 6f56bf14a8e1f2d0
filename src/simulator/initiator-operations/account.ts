import { nairobiTimestamp } from '../../wire/time.js';
import * as ids from '../ids.js';
import { type Ledger, money, type SimulatedLedgerEntry } from '../ledger.js';
import { invalidField } from '../routes.js';
import { checks, digitsOf, type FieldRule, type JsonBody, numberOf, textOf } from '../validation.js';
import {
  ACCEPTED,
  type Accepting,
  acceptedAnswer,
  type Decided,
  type Fail,
  type InitiatorOperation,
  initiatorRules,
  newReceipt,
  type OperationRecord,
  optionalText,
  PROCESSED,
  processed,
  queryId,
  remarks,
  shortcode,
  url,
} from './operation.js';

// Transaction status (`transactions.status`), account balance (`account.balance`) and reversal
// (`reversal.reverse`), as the simulator serves them: the bodies, the lookup in the ledger, the balance,
// the reversal's effect and their results.

/**
 * @internal
 * The account operations.
 * @inline
 */
export type OperationName = 'transactions.status' | 'account.balance' | 'reversal.reverse';

const receipt = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9]{1,20}$/.test(v.trim());
const identifierType: FieldRule = { field: 'IdentifierType', check: checks.oneOfText(['1', '2', '4']) };

/** The fields every account operation takes from its body, with a new `OriginatorConversationID`. */
function accepting<N extends OperationName>(
  operation: N,
  body: JsonBody,
  fields: Pick<Accepting, 'partyA' | 'amount' | 'target'>,
): Accepting<N> {
  return {
    operation,
    originatorConversationId: ids.originatorConversationId(),
    initiator: body['Initiator'],
    partyA: fields.partyA,
    partyB: undefined,
    amount: fields.amount,
    target: fields.target,
  };
}

// --- transaction status -----------------------------------------------------------------------------

/** The transaction asked about (by receipt or conversation id), in the ledger. */
function lookUp(accepted: OperationRecord, ledger: Ledger, _now: Date, fail: Fail): Decided {
  const found = ledger.find(accepted.target!);
  if (!found) return fail('R000002', 'The transaction receipt number does not exist.');
  const time = nairobiTimestamp(found.completedAt);
  return processed(queryId(found.receipt), [
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
  ]);
}

function debitAccountType(entry: SimulatedLedgerEntry): string {
  if (entry.kind === 'b2b' || entry.kind === 'tax') return 'Working Account';
  if (entry.kind === 'stk' || entry.kind === 'c2b') return 'Customer Account';
  return 'Utility Account';
}

const status: InitiatorOperation<'transactions.status'> = {
  path: '/mpesa/transactionstatus/v1/query',
  names: ['transactions.status'],
  rules: [
    ...initiatorRules(['TransactionStatusQuery']),
    { field: 'TransactionID', check: receipt, optional: true },
    { field: 'OriginalConversationID', check: checks.length(1, 100), optional: true },
    shortcode('PartyA', 12),
    identifierType,
    url('ResultURL'),
    url('QueueTimeOutURL'),
    remarks,
    optionalText('Occasion'),
  ],
  read: (body) => {
    const target = textOf(body['TransactionID'])?.trim() || textOf(body['OriginalConversationID'])?.trim();
    if (!target) return invalidField('TransactionID');
    return accepting('transactions.status', body, {
      partyA: digitsOf(body['PartyA'])!,
      amount: undefined,
      target,
    });
  },
  ruleValue: () => undefined,
  process: lookUp,
  shape: 'status',
};

// --- account balance --------------------------------------------------------------------------------

const balance: InitiatorOperation<'account.balance'> = {
  path: '/mpesa/accountbalance/v1/query',
  names: ['account.balance'],
  rules: [
    ...initiatorRules(['AccountBalance']),
    shortcode('PartyA'),
    identifierType,
    remarks,
    url('QueueTimeOutURL'),
    url('ResultURL'),
  ],
  read: (body) =>
    accepting('account.balance', body, {
      partyA: digitsOf(body['PartyA'])!,
      amount: undefined,
      target: undefined,
    }),
  // Daraja's balance answer has no full stop.
  answer: acceptedAnswer(ACCEPTED.slice(0, -1)),
  ruleValue: () => undefined,
  // A failed balance query carries one parameter, as a single object (Daraja's balance sample).
  failureParameters: (now) => ({ Key: 'BOCompletedTime', Value: Number(nairobiTimestamp(now)) }),
  process: (accepted, ledger, now) => ({
    code: '0',
    desc: PROCESSED.slice(0, -1),
    transactionId: queryId(newReceipt(ledger)),
    parameters: [
      { Key: 'AccountBalance', Value: ledger.balanceString(accepted.partyA) },
      { Key: 'BOCompletedTime', Value: nairobiTimestamp(now) },
    ],
  }),
  shape: 'balance',
};

// --- reversal ---------------------------------------------------------------------------------------

/** Reverse the receipt: the money goes back to whoever paid, and the original is marked reversed. */
function reverse(accepted: OperationRecord, ledger: Ledger, now: Date, fail: Fail): Decided {
  const original = ledger.find(accepted.target!);
  if (!original || original.receipt !== accepted.target || original.kind === 'reversal')
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
    receipt: newReceipt(ledger),
    kind: 'reversal',
    amount: original.amount,
    shortcode: original.shortcode,
    debitParty: original.creditParty,
    creditParty: original.debitParty,
    phoneNumber: original.phoneNumber,
    billReference: original.billReference,
    originatorConversationId: accepted.originatorConversationId,
    conversationId: accepted.conversationId,
    reasonType: 'Reversal',
    completedAt: now,
  });
  ledger.markReversed(original.receipt, entry.receipt);
  const account = original.kind === 'b2b' || original.kind === 'tax' ? 'Working' : 'Utility';
  const left = account === 'Working' ? accounts.working : accounts.utility;
  return processed(entry.receipt, [
    { Key: 'DebitAccountBalance', Value: `${account} Account|KES|${money(left)}|${money(left)}|0.00|0.00` },
    { Key: 'Amount', Value: original.amount },
    { Key: 'TransCompletedTime', Value: Number(nairobiTimestamp(now)) },
    { Key: 'OriginalTransactionID', Value: original.receipt },
    { Key: 'Charge', Value: 0 },
    { Key: 'CreditPartyPublicName', Value: original.debitParty },
    { Key: 'DebitPartyPublicName', Value: original.creditParty },
  ]);
}

const reversal: InitiatorOperation<'reversal.reverse'> = {
  path: '/mpesa/reversal/v1/request',
  names: ['reversal.reverse'],
  rules: [
    ...initiatorRules(['TransactionReversal']),
    { field: 'TransactionID', check: receipt },
    { field: 'Amount', check: checks.wholeAmount(1) },
    shortcode('ReceiverParty'),
    { field: 'RecieverIdentifierType', check: checks.oneOfText(['1', '2', '4', '11']) },
    url('ResultURL'),
    url('QueueTimeOutURL'),
    remarks,
    optionalText('Occasion'),
  ],
  // The receipt to reverse, with the organisation as `ReceiverParty`.
  read: (body) =>
    accepting('reversal.reverse', body, {
      partyA: digitsOf(body['ReceiverParty'])!,
      amount: numberOf(body['Amount'])!,
      target: String(body['TransactionID']).trim(),
    }),
  ruleValue: (accepted) => accepted.amount,
  process: reverse,
  shape: 'reversal',
};

/** @internal Transaction status, account balance and reversal. */
export const OPERATIONS: readonly InitiatorOperation<OperationName>[] = [status, balance, reversal];
