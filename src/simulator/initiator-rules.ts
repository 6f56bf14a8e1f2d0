import * as ids from './ids.js';
import type { SimulatedOperation } from './initiator.js';
import { invalidField, type RouteResponse } from './routes.js';
import { checks, digitsOf, type FieldRule, type JsonBody, numberOf, textOf } from './validation.js';

// The fields of the initiator APIs' requests, in the order Daraja checks them.

const remarks: FieldRule = { field: 'Remarks', check: checks.length(2, 100) };
const url = (field: string): FieldRule => ({ field, check: checks.url });
const optionalText = (field: string): FieldRule => ({ field, check: checks.length(0, 100), optional: true });
const shortcode = (field: string, max = 7): FieldRule => ({ field, check: checks.digits(5, max) });
const receipt = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9]{1,20}$/.test(v.trim());

const B2C_COMMANDS = ['BusinessPayment', 'SalaryPayment', 'PromotionPayment'];

/**
 * @internal
 * Which B2C body: v1, v3 (with its own `OriginatorConversationID`), or Business to Pochi's. Pochi's is the
 * v3 body on its own path; its portal table lists `BusinessPayToPochi` and, as "other supported
 * values", B2C's commands. Its `OriginatorConversationID`s share B2C's duplicate check.
 */
export type B2cPath = 'v1' | 'v3' | 'pochi';

/** @internal The fields of a B2C or Business to Pochi request. */
export function b2cRules(path: B2cPath): FieldRule[] {
  const commands = path === 'pochi' ? ['BusinessPayToPochi', ...B2C_COMMANDS] : B2C_COMMANDS;
  return [
    ...(path !== 'v1' ? [{ field: 'OriginatorConversationID', check: checks.length(1, 100) }] : []),
    { field: 'InitiatorName', check: checks.nonEmpty },
    { field: 'SecurityCredential', check: checks.nonEmpty },
    { field: 'CommandID', check: checks.oneOf(commands) },
    { field: 'Amount', check: checks.wholeAmount(1, 250_000) },
    shortcode('PartyA'),
    { field: 'PartyB', check: checks.msisdn },
    remarks,
    url('QueueTimeOutURL'),
    url('ResultURL'),
    optionalText('Occassion'),
  ];
}

/** @internal B2B Pay Bill and Buy Goods, and tax remittance. */
export function b2bRules(commands: readonly string[], partyBMax: number): FieldRule[] {
  return [
    { field: 'Initiator', check: checks.nonEmpty },
    { field: 'SecurityCredential', check: checks.nonEmpty },
    { field: 'CommandID', check: checks.oneOf(commands) },
    { field: 'SenderIdentifierType', check: checks.oneOfText(['1', '2', '4']) },
    // Daraja's spelling: a body with "ReceiverIdentifierType" is missing this field.
    { field: 'RecieverIdentifierType', check: checks.oneOfText(['1', '2', '4']) },
    { field: 'Amount', check: checks.wholeAmount(1) },
    shortcode('PartyA'),
    shortcode('PartyB', partyBMax),
    { field: 'AccountReference', check: checks.length(0, 30), optional: true },
    { field: 'Requester', check: checks.msisdn, optional: true },
    remarks,
    url('QueueTimeOutURL'),
    url('ResultURL'),
    optionalText('Occasion'),
  ];
}

/** @internal Transaction status. */
export const STATUS_RULES: FieldRule[] = [
  { field: 'Initiator', check: checks.nonEmpty },
  { field: 'SecurityCredential', check: checks.nonEmpty },
  { field: 'CommandID', check: checks.oneOf(['TransactionStatusQuery']) },
  { field: 'TransactionID', check: receipt, optional: true },
  { field: 'OriginalConversationID', check: checks.length(1, 100), optional: true },
  shortcode('PartyA', 12),
  { field: 'IdentifierType', check: checks.oneOfText(['1', '2', '4']) },
  url('ResultURL'),
  url('QueueTimeOutURL'),
  remarks,
  optionalText('Occasion'),
];

/** @internal Account balance. */
export const BALANCE_RULES: FieldRule[] = [
  { field: 'Initiator', check: checks.nonEmpty },
  { field: 'SecurityCredential', check: checks.nonEmpty },
  { field: 'CommandID', check: checks.oneOf(['AccountBalance']) },
  shortcode('PartyA'),
  { field: 'IdentifierType', check: checks.oneOfText(['1', '2', '4']) },
  remarks,
  url('QueueTimeOutURL'),
  url('ResultURL'),
];

/** @internal Reversal. */
export const REVERSAL_RULES: FieldRule[] = [
  { field: 'Initiator', check: checks.nonEmpty },
  { field: 'SecurityCredential', check: checks.nonEmpty },
  { field: 'CommandID', check: checks.oneOf(['TransactionReversal']) },
  { field: 'TransactionID', check: receipt },
  { field: 'Amount', check: checks.wholeAmount(1) },
  shortcode('ReceiverParty'),
  { field: 'RecieverIdentifierType', check: checks.oneOfText(['1', '2', '4', '11']) },
  url('ResultURL'),
  url('QueueTimeOutURL'),
  remarks,
  optionalText('Occasion'),
];

/** @internal What a route takes from an accepted body, before the simulator adds its ids and checks. */
export type Accepting = Pick<
  SimulatedOperation,
  'operation' | 'originatorConversationId' | 'partyA' | 'partyB' | 'amount' | 'target'
> & {
  /** `InitiatorName` (B2C) or `Initiator`. */
  initiator: unknown;
};

/** @internal Transaction status: the transaction asked about (by receipt or conversation id). */
export function statusFields(body: JsonBody): Accepting | RouteResponse {
  const target = textOf(body['TransactionID'])?.trim() || textOf(body['OriginalConversationID'])?.trim();
  if (!target) return invalidField('TransactionID');
  return {
    operation: 'transactions.status',
    originatorConversationId: ids.originatorConversationId(),
    initiator: body['Initiator'],
    partyA: digitsOf(body['PartyA'])!,
    partyB: undefined,
    amount: undefined,
    target,
  };
}

/** @internal Account balance. */
export function balanceFields(body: JsonBody): Accepting {
  return {
    operation: 'account.balance',
    originatorConversationId: ids.originatorConversationId(),
    initiator: body['Initiator'],
    partyA: digitsOf(body['PartyA'])!,
    partyB: undefined,
    amount: undefined,
    target: undefined,
  };
}

/** @internal Reversal: the receipt to reverse, with the organisation as `ReceiverParty`. */
export function reversalFields(body: JsonBody): Accepting {
  return {
    operation: 'reversal.reverse',
    originatorConversationId: ids.originatorConversationId(),
    initiator: body['Initiator'],
    partyA: digitsOf(body['ReceiverParty'])!,
    partyB: undefined,
    amount: numberOf(body['Amount'])!,
    target: String(body['TransactionID']).trim(),
  };
}
