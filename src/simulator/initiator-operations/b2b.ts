import { nairobiTimestamp } from '../../wire/time.js';
import * as ids from '../ids.js';
import { type Ledger, money } from '../ledger.js';
import { invalidField } from '../routes.js';
import { checks, digitsOf, type FieldRule, type JsonBody, numberOf, textOf } from '../validation.js';
import {
  type Accepting,
  type Decided,
  type Fail,
  type InitiatorOperation,
  initiatorRules,
  type OperationRecord,
  paymentTail,
  payOut,
  processed,
  shortcode,
} from './operation.js';

// B2B Pay Bill, Buy Goods and B2C Account Top Up (`b2b.payBill`, `b2b.buyGoods`, `b2b.topUp`, one path
// told apart by `CommandID`) and tax remittance (`tax.remit`), as the simulator serves them: the bodies,
// the AccountReference rule, the payment from the working account and its result. A top-up also credits
// the B2C shortcode's utility account, the one B2C pays from.

/**
 * @internal
 * The B2B and tax operations.
 * @inline
 */
export type OperationName = 'b2b.payBill' | 'b2b.buyGoods' | 'b2b.topUp' | 'tax.remit';

const KRA = '572572';

const REASONS: Record<string, string> = {
  BusinessPayBill: 'Business Pay Bill via API',
  BusinessBuyGoods: 'Business Buy Goods via API',
  PayTaxToKRA: 'Pay Tax to KRA via API',
  BusinessPayToBulk: 'Business Pay to Bulk via API',
};

/** The operation each `CommandID` of the payment path is. */
const BY_COMMAND: Record<string, OperationName> = {
  BusinessPayBill: 'b2b.payBill',
  BusinessBuyGoods: 'b2b.buyGoods',
  BusinessPayToBulk: 'b2b.topUp',
};

/** B2B Pay Bill and Buy Goods, and tax remittance. */
function rules(commands: readonly string[], partyBMax: number): FieldRule[] {
  return [
    ...initiatorRules(commands),
    { field: 'SenderIdentifierType', check: checks.oneOfText(['1', '2', '4']) },
    // Daraja's spelling: a body with "ReceiverIdentifierType" is missing this field.
    { field: 'RecieverIdentifierType', check: checks.oneOfText(['1', '2', '4']) },
    { field: 'Amount', check: checks.wholeAmount(1) },
    shortcode('PartyA'),
    shortcode('PartyB', partyBMax),
    { field: 'AccountReference', check: checks.length(0, 30), optional: true },
    { field: 'Requester', check: checks.msisdn, optional: true },
    ...paymentTail('Occasion'),
  ];
}

/** A refused body whose `CommandID` is `BusinessBuyGoods` is logged as `b2b.buyGoods` (on either path). */
const refusedAs = (json: unknown) =>
  (json as { CommandID?: unknown } | undefined)?.CommandID === 'BusinessBuyGoods'
    ? 'b2b.buyGoods'
    : undefined;

/**
 * The operation and its fields. PayBill and tax need the account (the PRN for tax); Buy Goods and a
 * top-up may leave it out. B2B allows 13 characters. A top-up takes only shortcodes (`"4"`) on both sides.
 */
function read(body: JsonBody, tax: boolean) {
  const commandId = String(body['CommandID']);
  const reference = textOf(body['AccountReference']) ?? '';
  const operation: OperationName = tax ? 'tax.remit' : BY_COMMAND[commandId]!;
  const optionalReference = operation === 'b2b.buyGoods' || operation === 'b2b.topUp';
  if ((!optionalReference && reference === '') || (!tax && reference.length > 13))
    return { ...invalidField('AccountReference'), operation };
  if (operation === 'b2b.topUp')
    for (const field of ['SenderIdentifierType', 'RecieverIdentifierType'])
      if (String(body[field]).trim() !== '4') return { ...invalidField(field), operation };
  const accepting: Accepting<OperationName> = {
    operation,
    originatorConversationId: ids.originatorConversationId(),
    initiator: body['Initiator'],
    partyA: digitsOf(body['PartyA'])!,
    partyB: digitsOf(body['PartyB'])!,
    amount: numberOf(body['Amount'])!,
    target: undefined,
  };
  return accepting;
}

/** Daraja's `{Amount={CurrencyCode=KES, MinimumAmount=…, BasicAmount=…}}` balance form of B2B results. */
function braceBalance(amount: number): string {
  return `{Amount={CurrencyCode=KES, MinimumAmount=${Math.round(amount * 100)}, BasicAmount=${money(amount)}}}`;
}

/** Pay the business (or KRA) out of the working account. */
function payBusiness(
  accepted: OperationRecord,
  ledger: Ledger,
  now: Date,
  fail: Fail,
  tax: boolean,
): Decided {
  const amount = accepted.amount!;
  const accounts = ledger.accounts(accepted.partyA);
  if (accounts.working < amount) return fail(1);
  accounts.working -= amount;
  // A top-up loads the B2C shortcode's utility account.
  if (accepted.commandId === 'BusinessPayToBulk') ledger.accounts(accepted.partyB!).utility += amount;
  const receiver =
    accepted.partyB === KRA ? `${KRA} - Kenya Revenue Authority` : `${accepted.partyB} - Simulated Business`;
  const entry = payOut(ledger, accepted, now, {
    kind: tax ? 'tax' : 'b2b',
    receiver,
    phoneNumber: undefined,
    billReference: textOf(accepted.body['AccountReference']) || undefined,
    reasonType: REASONS[accepted.commandId] ?? accepted.commandId,
  });
  return processed(entry.receipt, [
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
  ]);
}

/** A B2B or tax endpoint. */
function b2b(
  names: readonly [OperationName, ...OperationName[]],
  path: string,
  commands: readonly string[],
  partyBMax: number,
): InitiatorOperation<OperationName> {
  const tax = names[0] === 'tax.remit';
  return {
    path,
    names,
    rules: rules(commands, partyBMax),
    refusedAs,
    read: (body) => read(body, tax),
    ruleValue: (accepted) => accepted.amount,
    process: (accepted, ledger, now, fail) => payBusiness(accepted, ledger, now, fail, tax),
    shape: 'b2b',
  };
}

/** @internal B2B Pay Bill and Buy Goods, and tax remittance. */
export const OPERATIONS: readonly InitiatorOperation<OperationName>[] = [
  b2b(
    ['b2b.payBill', 'b2b.buyGoods', 'b2b.topUp'],
    '/mpesa/b2b/v1/paymentrequest',
    Object.keys(BY_COMMAND),
    8,
  ),
  b2b(['tax.remit'], '/mpesa/b2b/v1/remittax', ['PayTaxToKRA'], 7),
];
