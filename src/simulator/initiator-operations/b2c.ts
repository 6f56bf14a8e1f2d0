import { nairobiTimestamp } from '../../wire/time.js';
import * as ids from '../ids.js';
import { CUSTOMER } from '../ledger.js';
import { checks, digitsOf, type FieldRule, type JsonBody, numberOf, textOf } from '../validation.js';
import {
  ACCEPTED,
  type InitiatorOperation,
  initiatorRules,
  type Process,
  paymentTail,
  payOut,
  processed,
  shortcode,
} from './operation.js';

// B2C (`b2c.pay`) and Business to Pochi (`b2c.payToPochi`), as the simulator serves them: the bodies,
// the duplicate OriginatorConversationID rule, the payment to the customer and its result.

/**
 * @internal
 * The B2C operations.
 * @inline
 */
export type OperationName = 'b2c.pay' | 'b2c.payToPochi';

const COMMANDS = ['BusinessPayment', 'SalaryPayment', 'PromotionPayment'];

const REASONS: Record<string, string> = {
  BusinessPayment: 'Business Payment to Customer via API',
  SalaryPayment: 'Salary Payment to Customer via API',
  PromotionPayment: 'Promotion Payment to Customer via API',
};

/**
 * Which B2C body: v1, v3 (with its own `OriginatorConversationID`), or Business to Pochi's. Pochi's is the
 * v3 body on its own path; its portal table lists `BusinessPayToPochi` and, as "other supported
 * values", B2C's commands. Its `OriginatorConversationID`s share B2C's duplicate check.
 */
type B2cPath = 'v1' | 'v3' | 'pochi';

/** The fields of a B2C or Business to Pochi request. */
function rules(path: B2cPath): FieldRule[] {
  const commands = path === 'pochi' ? ['BusinessPayToPochi', ...COMMANDS] : COMMANDS;
  return [
    ...(path !== 'v1' ? [{ field: 'OriginatorConversationID', check: checks.length(1, 100) }] : []),
    ...initiatorRules(commands, 'InitiatorName'),
    { field: 'Amount', check: checks.wholeAmount(1, 250_000) },
    shortcode('PartyA'),
    { field: 'PartyB', check: checks.msisdn },
    ...paymentTail('Occassion'),
  ];
}

/** `dd.MM.yyyy HH:mm:ss`, Nairobi time: B2C's `TransactionCompletedDateTime`. */
function b2cDate(now: Date): string {
  const t = nairobiTimestamp(now);
  return `${t.slice(6, 8)}.${t.slice(4, 6)}.${t.slice(0, 4)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12)}`;
}

/** Pay the customer out of the utility account. */
const payCustomer: Process = (accepted, ledger, now, fail) => {
  const amount = accepted.amount!;
  const accounts = ledger.accounts(accepted.partyA);
  if (accounts.utility < amount) return fail(1);
  accounts.utility -= amount;
  const receiver = `${accepted.partyB} - ${CUSTOMER.full}`;
  const entry = payOut(ledger, accepted, now, {
    kind: 'b2c',
    receiver,
    phoneNumber: accepted.partyB,
    billReference: undefined,
    reasonType: REASONS[accepted.commandId] ?? accepted.commandId,
  });
  return processed(entry.receipt, [
    { Key: 'TransactionAmount', Value: amount },
    { Key: 'TransactionReceipt', Value: entry.receipt },
    { Key: 'ReceiverPartyPublicName', Value: receiver },
    { Key: 'TransactionCompletedDateTime', Value: b2cDate(now) },
    { Key: 'B2CUtilityAccountAvailableFunds', Value: accounts.utility },
    { Key: 'B2CWorkingAccountAvailableFunds', Value: accounts.working },
    { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
    { Key: 'B2CChargesPaidAccountAvailableFunds', Value: accounts.chargesPaid },
  ]);
};

/** A B2C or Pochi endpoint: v1 makes up its `OriginatorConversationID`, v3 and Pochi send their own. */
function b2c<N extends OperationName>(
  operation: N,
  path: string,
  variant: B2cPath,
  process: Process,
): InitiatorOperation<N> {
  return {
    path,
    names: [operation],
    rules: rules(variant),
    read: (body: JsonBody) => ({
      operation,
      originatorConversationId:
        variant === 'v1' ? ids.originatorConversationId() : textOf(body['OriginatorConversationID'])!,
      initiator: body['InitiatorName'],
      partyA: digitsOf(body['PartyA'])!,
      partyB: digitsOf(body['PartyB'])!,
      amount: numberOf(body['Amount'])!,
      target: undefined,
    }),
    uniqueOriginatorId: true,
    answer: (accepted) => ({
      ConversationID: accepted.conversationId,
      OriginatorConversationID: accepted.originatorConversationId,
      ResponseCode: '0',
      ResponseDescription: ACCEPTED,
    }),
    ruleValue: (accepted) => accepted.partyB,
    paysCustomer: true,
    process,
    shape: 'b2c',
  };
}

/** @internal B2C (v3 and v1) and Business to Pochi. */
export const OPERATIONS: readonly InitiatorOperation<OperationName>[] = [
  b2c('b2c.pay', '/mpesa/b2c/v3/paymentrequest', 'v3', payCustomer),
  b2c('b2c.pay', '/mpesa/b2c/v1/paymentrequest', 'v1', payCustomer),
  // Business to Pochi's minimum is KES 10 (its FAQ); its result codes list 2 for "below the minimum".
  b2c('b2c.payToPochi', '/mpesa/b2pochi/v1/paymentrequest', 'pochi', (accepted, ledger, now, fail) =>
    accepted.amount! < 10 ? fail(2) : payCustomer(accepted, ledger, now, fail),
  ),
];
