import type { Log } from '../core/logger.js';
import { darajaTimestamp } from '../core/utils/timestamp.js';
import { describeResultCode, type ResultCatalogue } from '../inbound/result-codes.js';
import type { CallbackSender } from './callbacks.js';
import { type CredentialKeys, credentialMatches } from './certificate.js';
import * as ids from './ids.js';
import { CUSTOMER, type Ledger, money, ORGANISATION_NAME, type SimulatedLedgerEntry } from './ledger.js';
import type { TokenStore } from './oauth.js';
import {
  type ResolvedResultOutcome,
  type ResultOutcome,
  type ResultOutcomeSpec,
  resolveResultOutcome,
  resultOutcomeFor,
  type SimulatedResult,
} from './result-outcomes.js';
import {
  errorEnvelope,
  invalidField,
  invalidPayload,
  ok,
  type RouteRequest,
  type RouteResponse,
  type SimulatorRoute,
} from './routes.js';
import type { Scheduler } from './scheduler.js';
import { redactSecrets } from './server.js';
import type { SimulatorMode } from './stk.js';
import {
  checkFields,
  checks,
  digitsOf,
  type FieldRule,
  type JsonBody,
  numberOf,
  readJsonObject,
  textOf,
} from './validation.js';

/** The initiator operations the simulator serves, named as the SDK names them. */
export type SimulatedOperationName =
  | 'b2c.pay'
  | 'b2b.payBill'
  | 'b2b.buyGoods'
  | 'tax.remit'
  | 'transactions.status'
  | 'account.balance'
  | 'reversal.reverse';

/**
 * Where an initiator request stands: `pending` until it is processed (after `callbackDelayMs`, or when
 * resolved), then `completed` (result code 0), `failed` (any other code) or `queue-timeout` (never
 * processed; a notice went to `QueueTimeOutURL`).
 */
export type SimulatedOperationStatus = 'pending' | 'completed' | 'failed' | 'queue-timeout';

/** One accepted initiator request and its result, as returned by {@link Simulator.operation}. */
export interface SimulatedOperation {
  /** Which operation it is. */
  readonly operation: SimulatedOperationName;
  /** The `OriginatorConversationID`: B2C's own (its idempotency key), else one the simulator made up. */
  readonly originatorConversationId: string;
  /** The `ConversationID` Daraja returned, e.g. `AG_20240706_20106e9209f64bebd05b`. */
  readonly conversationId: string;
  /** Where it stands. */
  readonly status: SimulatedOperationStatus;
  /** The result code once processed, as a string (`"0"`, `"1"`, `"2001"`, `"R000001"`, …). */
  readonly resultCode: string | undefined;
  /** The result description once processed. */
  readonly resultDesc: string | undefined;
  /** The result's `TransactionID`: the new receipt of a payment or reversal. */
  readonly transactionId: string | undefined;
  /** The outcome once chosen; `undefined` while waiting for {@link Simulator.resolveResult}. */
  readonly outcome: Required<ResultOutcomeSpec> | undefined;
  /** Whether the initiator name and `SecurityCredential` were right (a wrong one gives result 2001). */
  readonly credentialValid: boolean;
  /** The `CommandID` sent, e.g. `BusinessPayment`. */
  readonly commandId: string;
  /** The organisation's shortcode: `PartyA`, or the reversal's `ReceiverParty`. */
  readonly partyA: string;
  /** B2C's customer phone number, or the shortcode B2B and tax pay (`PartyB`). */
  readonly partyB: string | undefined;
  /** The amount sent, when the operation has one. */
  readonly amount: number | undefined;
  /** The transaction a status query or reversal is about (`TransactionID` or `OriginalConversationID`). */
  readonly target: string | undefined;
  /** The `ResultURL` sent. */
  readonly resultUrl: string;
  /** The `QueueTimeOutURL` sent. */
  readonly queueTimeoutUrl: string;
  /** The request body, with `SecurityCredential` replaced by `'[redacted]'`. */
  readonly body: Readonly<Record<string, unknown>>;
  /** When it was accepted. */
  readonly createdAt: Date;
  /** When it was processed (or timed out in the queue). */
  readonly decidedAt: Date | undefined;
}

/** How the simulator checks `SecurityCredential`: decrypt it with its private key, or accept any non-empty value. */
export type CredentialCheck = 'decrypt' | 'any';

/** @internal What the initiator simulation needs. */
export interface InitiatorSimulationConfig {
  initiatorName: string;
  initiatorPassword: string;
  initiatorShortcode: string;
  credentialCheck: CredentialCheck;
  keys: () => CredentialKeys;
  mode: () => SimulatorMode;
  callbackDelayMs: number;
  lateCallbackDelayMs: number;
  duplicateCallbackCount: number;
  resultRule: ((operation: SimulatedOperation) => ResultOutcome) | undefined;
  tokens: TokenStore;
  scheduler: Scheduler;
  callbacks: CallbackSender;
  ledger: Ledger;
  log: Log;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Entry {
  state: Mutable<SimulatedOperation>;
  cancel: (() => void) | undefined;
}

type Plan = ResolvedResultOutcome | 'manual';

/** A result as decided, before it is written in the operation's wire format. */
interface Decided {
  code: string;
  desc: string;
  transactionId: string;
  /** `ResultParameters.ResultParameter`: an array, or (as Daraja sometimes sends) a single object. */
  parameters?: ResultItem[] | ResultItem;
}
interface ResultItem {
  Key: string;
  Value?: string | number;
}
/** A failed result with this code (and Daraja's description of it, unless given). */
type Fail = (code: string | number, desc?: string) => Decided;

const ACCEPTED = 'Accept the service request successfully.';
const PROCESSED = 'The service request is processed successfully.';
const DESCRIPTIONS: Record<string, string> = {
  '1': 'The balance is insufficient for the transaction.',
  '21': 'The initiator is not allowed to initiate this request.',
  '2001': 'The initiator information is invalid.',
  '2040':
    "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service.",
};
// Daraja's own ReferenceData URLs, as its result samples show them (daraja-api.md §8–12).
const INTERNAL = 'https://internalsandbox.safaricom.co.ke/mpesa';
const KRA = '572572';

const REASONS: Record<string, string> = {
  BusinessPayment: 'Business Payment to Customer via API',
  SalaryPayment: 'Salary Payment to Customer via API',
  PromotionPayment: 'Promotion Payment to Customer via API',
  BusinessPayBill: 'Business Pay Bill via API',
  BusinessBuyGoods: 'Business Buy Goods via API',
  PayTaxToKRA: 'Pay Tax to KRA via API',
};

const remarks: FieldRule = { field: 'Remarks', check: checks.length(2, 100) };
const url = (field: string): FieldRule => ({ field, check: checks.url });
const optionalText = (field: string): FieldRule => ({ field, check: checks.length(0, 100), optional: true });
const shortcode = (field: string, max = 7): FieldRule => ({ field, check: checks.digits(5, max) });
const receipt = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9]{1,20}$/.test(v.trim());

function b2cRules(v3: boolean): FieldRule[] {
  return [
    ...(v3 ? [{ field: 'OriginatorConversationID', check: checks.length(1, 100) }] : []),
    { field: 'InitiatorName', check: checks.nonEmpty },
    { field: 'SecurityCredential', check: checks.nonEmpty },
    { field: 'CommandID', check: checks.oneOf(['BusinessPayment', 'SalaryPayment', 'PromotionPayment']) },
    { field: 'Amount', check: checks.wholeAmount(1, 250_000) },
    shortcode('PartyA'),
    { field: 'PartyB', check: checks.msisdn },
    remarks,
    url('QueueTimeOutURL'),
    url('ResultURL'),
    optionalText('Occassion'),
  ];
}

function b2bRules(commands: readonly string[], partyBMax: number): FieldRule[] {
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

const STATUS_RULES: FieldRule[] = [
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

const BALANCE_RULES: FieldRule[] = [
  { field: 'Initiator', check: checks.nonEmpty },
  { field: 'SecurityCredential', check: checks.nonEmpty },
  { field: 'CommandID', check: checks.oneOf(['AccountBalance']) },
  shortcode('PartyA'),
  { field: 'IdentifierType', check: checks.oneOfText(['1', '2', '4']) },
  remarks,
  url('QueueTimeOutURL'),
  url('ResultURL'),
];

const REVERSAL_RULES: FieldRule[] = [
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

/** `dd.MM.yyyy HH:mm:ss`, Nairobi time: B2C's `TransactionCompletedDateTime`. */
function b2cDate(now: Date): string {
  const t = darajaTimestamp(now);
  return `${t.slice(6, 8)}.${t.slice(4, 6)}.${t.slice(0, 4)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12)}`;
}

/** Daraja's `{Amount={CurrencyCode=KES, MinimumAmount=…, BasicAmount=…}}` balance form of B2B results. */
function braceBalance(amount: number): string {
  return `{Amount={CurrencyCode=KES, MinimumAmount=${Math.round(amount * 100)}, BasicAmount=${money(amount)}}}`;
}

/** A numeric code as a number (as B2C, status and reversal send it), an alphanumeric one as a string. */
const numericCode = (code: string) => (/^\d+$/.test(code) ? Number(code) : code);

/**
 * @internal
 * B2C, B2B, tax, transaction status, account balance and reversal: the accepted requests, how their
 * outcomes are chosen, their effect on the ledger, and the results POSTed to `ResultURL`.
 */
export class InitiatorSimulation {
  readonly #config: InitiatorSimulationConfig;
  readonly #entries = new Map<string, Entry>();
  readonly #queue: Plan[] = [];
  /** Every B2C `OriginatorConversationID` accepted: a second request with one is a duplicate. */
  readonly #originatorIds = new Set<string>();

  constructor(config: InitiatorSimulationConfig) {
    this.#config = config;
  }

  /** Queue outcomes for the next initiator requests, in order (checked now). */
  enqueue(outcomes: ReadonlyArray<ResultOutcome | 'manual'>): void {
    const plans = outcomes.map((o) => (o === 'manual' ? ('manual' as const) : resolveResultOutcome(o)));
    this.#queue.push(...plans);
  }

  get(id: string): SimulatedOperation | undefined {
    const entry = this.#find(id);
    return entry && snapshot(entry.state);
  }

  list(): SimulatedOperation[] {
    return [...this.#entries.values()].map((entry) => snapshot(entry.state));
  }

  resolve(id: string, outcome: ResultOutcome): SimulatedOperation {
    const entry = this.#find(id);
    if (!entry)
      throw new Error(
        `daraja-sim: no initiator request has the ConversationID or OriginatorConversationID ${id}.`,
      );
    if (entry.state.status !== 'pending') {
      throw new Error(
        `daraja-sim: ${id} is already processed (${entry.state.status}, ResultCode ${entry.state.resultCode}).`,
      );
    }
    this.#decide(entry, resolveResultOutcome(outcome));
    return snapshot(entry.state);
  }

  reset(): void {
    for (const entry of this.#entries.values()) entry.cancel?.();
    this.#entries.clear();
    this.#queue.length = 0;
    this.#originatorIds.clear();
  }

  routes(): SimulatorRoute[] {
    const route = (path: string, operation: SimulatedOperationName, handle: SimulatorRoute['handle']) => ({
      method: 'POST' as const,
      path,
      operation,
      handle,
    });
    const b2b = b2bRules(['BusinessPayBill', 'BusinessBuyGoods'], 8);
    const tax = b2bRules(['PayTaxToKRA'], 7);
    return [
      route('/mpesa/b2c/v3/paymentrequest', 'b2c.pay', (r) => this.#b2c(r, true)),
      route('/mpesa/b2c/v1/paymentrequest', 'b2c.pay', (r) => this.#b2c(r, false)),
      route('/mpesa/b2b/v1/paymentrequest', 'b2b.payBill', (r) => this.#b2b(r, b2b, false)),
      route('/mpesa/b2b/v1/remittax', 'tax.remit', (r) => this.#b2b(r, tax, true)),
      route('/mpesa/transactionstatus/v1/query', 'transactions.status', (r) => this.#status(r)),
      route('/mpesa/accountbalance/v1/query', 'account.balance', (r) => this.#balance(r)),
      route('/mpesa/reversal/v1/request', 'reversal.reverse', (r) => this.#reversal(r)),
    ];
  }

  // --- requests ---------------------------------------------------------------------------------------

  /** Bearer token, JSON body, then the fields in order: Daraja's order of checks. */
  #read(request: RouteRequest, rules: readonly FieldRule[]): { body: JsonBody } | { error: RouteResponse } {
    const denied = this.#config.tokens.check(request.headers);
    if (denied) return { error: denied };
    const read = readJsonObject(request, invalidPayload);
    if (read.error) return { error: read.error };
    const error = checkFields(read.body, rules);
    return error ? { error } : { body: read.body };
  }

  #b2c(request: RouteRequest, v3: boolean): RouteResponse {
    const read = this.#read(request, b2cRules(v3));
    if ('error' in read) return read.error;
    const { body } = read;
    const key = v3 ? textOf(body['OriginatorConversationID'])! : ids.originatorConversationId();
    if (this.#originatorIds.has(key)) {
      this.#config.log.warn('sim: b2c.pay refused: duplicate OriginatorConversationID', {
        originatorConversationId: key,
      });
      return errorEnvelope(500, '500.002.1001', 'Duplicate OriginatorConversationID.');
    }
    const state = this.#accept(body, {
      operation: 'b2c.pay',
      originatorConversationId: key,
      initiator: body['InitiatorName'],
      partyA: digitsOf(body['PartyA'])!,
      partyB: digitsOf(body['PartyB'])!,
      amount: numberOf(body['Amount'])!,
      target: undefined,
    });
    // Only once accepted: a request refused on the way (a resultRule that throws) may be sent again.
    this.#originatorIds.add(key);
    return ok({
      ConversationID: state.conversationId,
      OriginatorConversationID: state.originatorConversationId,
      ResponseCode: '0',
      ResponseDescription: ACCEPTED,
    });
  }

  #b2b(request: RouteRequest, rules: readonly FieldRule[], tax: boolean): RouteResponse {
    const read = this.#read(request, rules);
    if ('error' in read) {
      const buyGoods =
        (request.json as { CommandID?: unknown } | undefined)?.CommandID === 'BusinessBuyGoods';
      return buyGoods ? { ...read.error, operation: 'b2b.buyGoods' } : read.error;
    }
    const { body } = read;
    const commandId = String(body['CommandID']);
    const reference = textOf(body['AccountReference']) ?? '';
    // PayBill and tax need the account (the PRN for tax); Buy Goods may leave it out. B2B allows 13 characters.
    const operation = tax ? 'tax.remit' : commandId === 'BusinessPayBill' ? 'b2b.payBill' : 'b2b.buyGoods';
    if ((commandId !== 'BusinessBuyGoods' && reference === '') || (!tax && reference.length > 13))
      return { ...invalidField('AccountReference'), operation };
    const state = this.#accept(body, {
      operation,
      originatorConversationId: ids.originatorConversationId(),
      initiator: body['Initiator'],
      partyA: digitsOf(body['PartyA'])!,
      partyB: digitsOf(body['PartyB'])!,
      amount: numberOf(body['Amount'])!,
      target: undefined,
    });
    return { ...accepted(state), operation };
  }

  #status(request: RouteRequest): RouteResponse {
    const read = this.#read(request, STATUS_RULES);
    if ('error' in read) return read.error;
    const { body } = read;
    const target = textOf(body['TransactionID'])?.trim() || textOf(body['OriginalConversationID'])?.trim();
    if (!target) return invalidField('TransactionID');
    const state = this.#accept(body, {
      operation: 'transactions.status',
      originatorConversationId: ids.originatorConversationId(),
      initiator: body['Initiator'],
      partyA: digitsOf(body['PartyA'])!,
      partyB: undefined,
      amount: undefined,
      target,
    });
    return accepted(state);
  }

  #balance(request: RouteRequest): RouteResponse {
    const read = this.#read(request, BALANCE_RULES);
    if ('error' in read) return read.error;
    const { body } = read;
    const state = this.#accept(body, {
      operation: 'account.balance',
      originatorConversationId: ids.originatorConversationId(),
      initiator: body['Initiator'],
      partyA: digitsOf(body['PartyA'])!,
      partyB: undefined,
      amount: undefined,
      target: undefined,
    });
    // Daraja's balance answer has no full stop (daraja-api.md §11).
    return ok({ ...accepted(state).body, ResponseDescription: ACCEPTED.slice(0, -1) });
  }

  #reversal(request: RouteRequest): RouteResponse {
    const read = this.#read(request, REVERSAL_RULES);
    if ('error' in read) return read.error;
    const { body } = read;
    const state = this.#accept(body, {
      operation: 'reversal.reverse',
      originatorConversationId: ids.originatorConversationId(),
      initiator: body['Initiator'],
      partyA: digitsOf(body['ReceiverParty'])!,
      partyB: undefined,
      amount: numberOf(body['Amount'])!,
      target: String(body['TransactionID']).trim(),
    });
    return accepted(state);
  }

  /** Store an accepted request, choose its plan and schedule its processing. */
  #accept(
    body: JsonBody,
    fields: Pick<
      SimulatedOperation,
      'operation' | 'originatorConversationId' | 'partyA' | 'partyB' | 'amount' | 'target'
    > & {
      initiator: unknown;
    },
  ): SimulatedOperation {
    const { initiatorName, initiatorPassword, credentialCheck, keys } = this.#config;
    const now = new Date();
    let conversationId = ids.conversationId(now);
    while (this.#entries.has(conversationId)) conversationId = ids.conversationId(now);
    const credential = body['SecurityCredential'];
    const credentialValid =
      String(fields.initiator).trim() === initiatorName &&
      (credentialCheck === 'any' || credentialMatches(credential, initiatorPassword, keys().privateKey));
    const { initiator: _, ...known } = fields;
    const state: Mutable<SimulatedOperation> = {
      ...known,
      conversationId,
      status: 'pending',
      resultCode: undefined,
      resultDesc: undefined,
      transactionId: undefined,
      outcome: undefined,
      credentialValid,
      commandId: String(body['CommandID']),
      resultUrl: String(body['ResultURL']),
      queueTimeoutUrl: String(body['QueueTimeOutURL']),
      body: redactSecrets(body) as Record<string, unknown>,
      createdAt: now,
      decidedAt: undefined,
    };
    // Chosen before the request is stored: a resultRule that throws answers 500 and leaves nothing behind.
    const plan = this.#choosePlan(state);
    const entry: Entry = { state, cancel: undefined };
    this.#entries.set(conversationId, entry);
    this.#start(entry, plan);
    return snapshot(state);
  }

  #choosePlan(state: SimulatedOperation): Plan {
    const queued = this.#queue.shift();
    if (queued !== undefined) return queued;
    if (this.#config.mode() === 'manual') return 'manual';
    const { resultRule } = this.#config;
    if (resultRule) return resolveResultOutcome(resultRule(snapshot(state)));
    const value =
      state.operation === 'b2c.pay'
        ? state.partyB
        : state.operation === 'account.balance' || state.operation === 'transactions.status'
          ? undefined
          : state.amount;
    return resolveResultOutcome(value === undefined ? 'success' : resultOutcomeFor(value));
  }

  #start(entry: Entry, plan: Plan): void {
    const { scheduler, log, callbackDelayMs } = this.#config;
    const { state } = entry;
    const fields = {
      operation: state.operation,
      originatorConversationId: state.originatorConversationId,
      conversationId: state.conversationId,
      credentialValid: state.credentialValid,
    };
    if (plan === 'manual') {
      log.info('sim: request accepted; its result waits until resolved', {
        ...fields,
        resolveWith: `POST /simulator/operations/${state.conversationId}/resolve {"outcome":"success"}`,
      });
      return;
    }
    state.outcome = { result: plan.result, delivery: plan.delivery };
    log.info('sim: request accepted', { ...fields, delivery: plan.delivery, inMs: callbackDelayMs });
    entry.cancel = scheduler.schedule(callbackDelayMs, () => this.#decide(entry, plan));
  }

  // --- processing -------------------------------------------------------------------------------------

  #decide(entry: Entry, plan: ResolvedResultOutcome): void {
    const { callbacks, lateCallbackDelayMs, duplicateCallbackCount, log } = this.#config;
    entry.cancel?.();
    entry.cancel = undefined;
    const { state } = entry;
    const now = new Date();
    state.outcome = { result: plan.result, delivery: plan.delivery };
    state.decidedAt = now;
    if (plan.delivery === 'queue-timeout') {
      state.status = 'queue-timeout';
      log.info('sim: request timed out in the queue', {
        operation: state.operation,
        originatorConversationId: state.originatorConversationId,
      });
      callbacks.schedule(
        {
          operation: `${state.operation}.queueTimeout`,
          transactionId: state.originatorConversationId,
          url: state.queueTimeoutUrl,
          body: queueTimeoutBody(state),
        },
        0,
      );
      return;
    }
    const decided = this.#process(state, plan.result, now);
    state.resultCode = decided.code;
    state.resultDesc = decided.desc;
    state.transactionId = decided.transactionId;
    state.status = decided.code === '0' ? 'completed' : 'failed';
    log.info('sim: request processed', {
      operation: state.operation,
      originatorConversationId: state.originatorConversationId,
      resultCode: decided.code,
      delivery: plan.delivery,
    });
    if (plan.delivery === 'none') return;
    const job = {
      operation: `${state.operation}.result`,
      transactionId: state.originatorConversationId,
      url: state.resultUrl,
      body: resultBody(state, decided),
    };
    if (plan.delivery === 'duplicate') callbacks.schedule(job, 0, duplicateCallbackCount);
    else callbacks.schedule(job, plan.delivery === 'late' ? lateCallbackDelayMs : 0);
  }

  /** The result: the initiator checks, then a forced result, then what the operation does. */
  #process(state: SimulatedOperation, forced: SimulatedResult, now: Date): Decided {
    const fail: Fail = (code, desc) => {
      const text = String(code);
      const catalogue: ResultCatalogue =
        state.operation === 'b2c.pay'
          ? 'b2c'
          : state.operation === 'reversal.reverse'
            ? 'reversal'
            : 'generic';
      return {
        code: text,
        desc: desc ?? DESCRIPTIONS[text] ?? describeResultCode(text, catalogue).meaning,
        transactionId: this.#newReceipt(),
        ...(state.operation === 'account.balance'
          ? // A failed balance query carries one parameter, as a single object (daraja-api.md §8).
            { parameters: { Key: 'BOCompletedTime', Value: Number(darajaTimestamp(now)) } }
          : {}),
      };
    };
    if (!state.credentialValid) return fail(2001);
    if (state.partyA !== this.#config.initiatorShortcode) return fail(21);
    if (forced === 'insufficient-funds') return fail(1);
    if (forced === 'initiator-invalid') return fail(2001);
    if (forced === 'unregistered-customer' && state.operation === 'b2c.pay') return fail(2040);
    if (typeof forced === 'object') {
      const code = String(forced.resultCode);
      if (code !== '0') return fail(code, forced.resultDesc);
    }
    switch (state.operation) {
      case 'b2c.pay':
        return this.#payCustomer(state, now, fail);
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
            { Key: 'AccountBalance', Value: this.#config.ledger.balanceString(state.partyA) },
            { Key: 'BOCompletedTime', Value: darajaTimestamp(now) },
          ],
        };
      case 'reversal.reverse':
        return this.#reverse(state, now, fail);
    }
  }

  #payCustomer(state: SimulatedOperation, now: Date, fail: Fail): Decided {
    const { ledger } = this.#config;
    const amount = state.amount!;
    const accounts = ledger.accounts(state.partyA);
    if (accounts.utility < amount) return fail(1);
    accounts.utility -= amount;
    const receiver = `${state.partyB} - ${CUSTOMER.full}`;
    const entry = ledger.record({
      receipt: this.#newReceipt(),
      kind: 'b2c',
      amount,
      shortcode: state.partyA,
      debitParty: organisation(state.partyA),
      creditParty: receiver,
      phoneNumber: state.partyB,
      billReference: undefined,
      originatorConversationId: state.originatorConversationId,
      conversationId: state.conversationId,
      reasonType: REASONS[state.commandId] ?? state.commandId,
      completedAt: now,
    });
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
    const { ledger } = this.#config;
    const amount = state.amount!;
    const accounts = ledger.accounts(state.partyA);
    if (accounts.working < amount) return fail(1);
    accounts.working -= amount;
    const receiver =
      state.partyB === KRA ? `${KRA} - Kenya Revenue Authority` : `${state.partyB} - Simulated Business`;
    const entry = ledger.record({
      receipt: this.#newReceipt(),
      kind: state.operation === 'tax.remit' ? 'tax' : 'b2b',
      amount,
      shortcode: state.partyA,
      debitParty: organisation(state.partyA),
      creditParty: receiver,
      phoneNumber: undefined,
      billReference: textOf(state.body['AccountReference']) || undefined,
      originatorConversationId: state.originatorConversationId,
      conversationId: state.conversationId,
      reasonType: REASONS[state.commandId] ?? state.commandId,
      completedAt: now,
    });
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
        { Key: 'TransCompletedTime', Value: darajaTimestamp(now) },
        { Key: 'DebitPartyCharges', Value: '' },
        { Key: 'ReceiverPartyPublicName', Value: receiver },
        { Key: 'Currency', Value: 'KES' },
        { Key: 'InitiatorAccountCurrentBalance', Value: braceBalance(accounts.working) },
      ],
    };
  }

  #lookUp(state: SimulatedOperation, fail: Fail): Decided {
    const found = this.#config.ledger.find(state.target!);
    if (!found) return fail('R000002', 'The transaction receipt number does not exist.');
    const time = darajaTimestamp(found.completedAt);
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
    const { ledger } = this.#config;
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
        { Key: 'TransCompletedTime', Value: Number(darajaTimestamp(now)) },
        { Key: 'OriginalTransactionID', Value: original.receipt },
        { Key: 'Charge', Value: 0 },
        { Key: 'CreditPartyPublicName', Value: original.debitParty },
        { Key: 'DebitPartyPublicName', Value: original.creditParty },
      ],
    };
  }

  #newReceipt(): string {
    let receipt = ids.receiptNumber();
    while (this.#config.ledger.has(receipt)) receipt = ids.receiptNumber();
    return receipt;
  }

  #find(id: string): Entry | undefined {
    return (
      this.#entries.get(id) ??
      [...this.#entries.values()].find((e) => e.state.originatorConversationId === id)
    );
  }
}

function snapshot(state: SimulatedOperation): SimulatedOperation {
  return Object.freeze({ ...state });
}

function accepted(state: SimulatedOperation): RouteResponse & { body: Record<string, string> } {
  return {
    status: 200,
    body: {
      OriginatorConversationID: state.originatorConversationId,
      ConversationID: state.conversationId,
      ResponseCode: '0',
      ResponseDescription: ACCEPTED,
    },
  };
}

const organisation = (shortcode: string) => `${shortcode} - ${ORGANISATION_NAME}`;

/** Queries' results carry a placeholder `TransactionID` such as `MBN0000000` (daraja-api.md §10–11). */
const queryId = (receipt: string) => `${receipt.slice(0, 3)}0000000`;

function debitAccountType(entry: SimulatedLedgerEntry): string {
  if (entry.kind === 'b2b' || entry.kind === 'tax') return 'Working Account';
  if (entry.kind === 'stk' || entry.kind === 'c2b') return 'Customer Account';
  return 'Utility Account';
}

/** The `Result` envelope, typed as each operation's documented samples type it (daraja-api.md §8–12). */
function resultBody(state: SimulatedOperation, decided: Decided): unknown {
  const { code, desc, transactionId, parameters } = decided;
  const ids = {
    OriginatorConversationID: state.originatorConversationId,
    ConversationID: state.conversationId,
    TransactionID: transactionId,
  };
  const params = parameters === undefined ? {} : { ResultParameters: { ResultParameter: parameters } };
  const reference = (path: string) => ({
    ReferenceData: { ReferenceItem: { Key: 'QueueTimeoutURL', Value: `${INTERNAL}/${path}/v1/submit` } },
  });
  switch (state.operation) {
    case 'b2c.pay':
      return {
        Result: {
          ResultType: 0,
          ResultCode: numericCode(code),
          ResultDesc: desc,
          ...ids,
          ...params,
          ...reference('b2cresults'),
        },
      };
    case 'b2b.payBill':
    case 'b2b.buyGoods':
    case 'tax.remit': {
      // B2B: string codes, and ReferenceItem as an array (daraja-api.md §9).
      const bill = textOf(state.body['AccountReference']);
      return {
        Result: {
          ResultType: '0',
          ResultCode: code,
          ResultDesc: desc,
          ...ids,
          ...params,
          ReferenceData: {
            ReferenceItem: [
              ...(bill ? [{ Key: 'BillReferenceNumber', Value: bill }] : []),
              { Key: 'QueueTimeoutURL', Value: `${INTERNAL}/b2bresults/v1/submit` },
            ],
          },
        },
      };
    }
    case 'transactions.status': {
      // In the documented sample's (alphabetical) order, with a Key-only Occasion when none was sent.
      const occasion = textOf(state.body['Occasion']);
      return {
        Result: {
          ConversationID: state.conversationId,
          OriginatorConversationID: state.originatorConversationId,
          ReferenceData: {
            ReferenceItem: occasion ? { Key: 'Occasion', Value: occasion } : { Key: 'Occasion' },
          },
          ResultCode: numericCode(code),
          ResultDesc: desc,
          ...params,
          ResultType: 0,
          TransactionID: transactionId,
        },
      };
    }
    case 'account.balance':
      // Balance: string codes (daraja-api.md §11).
      return {
        Result: {
          ResultType: '0',
          ResultCode: code,
          ResultDesc: desc,
          ...ids,
          ...params,
          ...reference('abresults'),
        },
      };
    case 'reversal.reverse':
      return {
        Result: {
          ResultType: 0,
          ResultCode: numericCode(code),
          ResultDesc: desc,
          ...ids,
          ...params,
          ...reference('reversalresults'),
        },
      };
  }
}

/**
 * What the simulator POSTs to `QueueTimeOutURL`. Daraja does not document this payload; the simulator
 * sends a `Result` envelope without parameters, with result code 26 (system busy), as peers model it.
 */
function queueTimeoutBody(state: SimulatedOperation): unknown {
  return {
    Result: {
      ResultType: 0,
      ResultCode: 26,
      ResultDesc: "System is busy: the request timed out in M-Pesa's queue and was not processed.",
      OriginatorConversationID: state.originatorConversationId,
      ConversationID: state.conversationId,
    },
  };
}
