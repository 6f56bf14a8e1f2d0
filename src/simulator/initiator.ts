import { queueTimeoutBody } from '../wire/result.js';
import { type CredentialKeys, credentialMatches } from './certificate.js';
import { type EngineConfig, Lifecycle, type Settled, type SimulatorMode, type Tracked } from './engine.js';
import * as ids from './ids.js';
import { InitiatorBooks, resultOf } from './initiator-results.js';
import {
  type Accepting,
  type B2cPath,
  BALANCE_RULES,
  b2bRules,
  b2cRules,
  balanceFields,
  REVERSAL_RULES,
  reversalFields,
  STATUS_RULES,
  statusFields,
} from './initiator-rules.js';
import type { Ledger } from './ledger.js';
import { redactSecrets } from './log.js';
import type { TokenStore } from './oauth.js';
import {
  type ResolvedResultOutcome,
  type ResultOutcome,
  type ResultOutcomeSpec,
  resolveResultOutcome,
  resultOutcomeFor,
} from './result-outcomes.js';
import {
  errorEnvelope,
  invalidField,
  ok,
  post,
  type RouteRequest,
  type RouteResponse,
  type SimulatorRoute,
} from './routes.js';
import { digitsOf, type FieldRule, type JsonBody, numberOf, readFields, textOf } from './validation.js';

/** The initiator operations the simulator serves, named as the SDK names them. */
export type SimulatedOperationName =
  | 'b2c.pay'
  | 'b2c.payToPochi'
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
export interface InitiatorSimulationConfig extends EngineConfig {
  initiatorName: string;
  initiatorPassword: string;
  initiatorShortcode: string;
  credentialCheck: CredentialCheck;
  keys: () => CredentialKeys;
  mode: () => SimulatorMode;
  resultRule: ((operation: SimulatedOperation) => ResultOutcome) | undefined;
  tokens: TokenStore;
  ledger: Ledger;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Entry extends Tracked {
  state: Mutable<SimulatedOperation>;
}

const ACCEPTED = 'Accept the service request successfully.';
/**
 * @internal
 * B2C, B2B, tax, transaction status, account balance and reversal: the rules, the routes and the
 * results POSTed to `ResultURL`. The lifecycle is the shared engine's; the ledger effects are
 * {@link InitiatorBooks}'.
 */
export class InitiatorSimulation {
  readonly #config: InitiatorSimulationConfig;
  readonly #life: Lifecycle<Entry, ResolvedResultOutcome>;
  readonly #books: InitiatorBooks;
  /** Every B2C `OriginatorConversationID` accepted: a second request with one is a duplicate. */
  readonly #originatorIds = new Set<string>();

  constructor(config: InitiatorSimulationConfig) {
    this.#config = config;
    this.#books = new InitiatorBooks(config.ledger, config.initiatorShortcode);
    this.#life = new Lifecycle<Entry, ResolvedResultOutcome>(config, {
      mode: config.mode,
      rule: ({ state }) => this.#rule(state),
      accepted: (entry, plan) => this.#accepted(entry, plan),
      settle: (entry, plan, now) => this.#settle(entry, plan, now),
    });
  }

  /** Queue outcomes for the next initiator requests, in order (checked now). */
  enqueue(outcomes: ReadonlyArray<ResultOutcome | 'manual'>): void {
    this.#life.enqueue(outcomes.map((o) => (o === 'manual' ? ('manual' as const) : resolveResultOutcome(o))));
  }

  get(id: string): SimulatedOperation | undefined {
    const entry = this.#find(id);
    return entry && snapshot(entry.state);
  }

  list(): SimulatedOperation[] {
    return this.#life.entries().map((entry) => snapshot(entry.state));
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
    this.#life.settle(entry, resolveResultOutcome(outcome));
    return snapshot(entry.state);
  }

  reset(): void {
    this.#life.reset();
    this.#originatorIds.clear();
  }

  routes(): SimulatorRoute[] {
    const b2b = b2bRules(['BusinessPayBill', 'BusinessBuyGoods'], 8);
    const tax = b2bRules(['PayTaxToKRA'], 7);
    return [
      post('/mpesa/b2c/v3/paymentrequest', 'b2c.pay', (r) => this.#b2c(r, 'v3')),
      post('/mpesa/b2c/v1/paymentrequest', 'b2c.pay', (r) => this.#b2c(r, 'v1')),
      post('/mpesa/b2pochi/v1/paymentrequest', 'b2c.payToPochi', (r) => this.#b2c(r, 'pochi')),
      post('/mpesa/b2b/v1/paymentrequest', 'b2b.payBill', (r) => this.#b2b(r, b2b, false)),
      post('/mpesa/b2b/v1/remittax', 'tax.remit', (r) => this.#b2b(r, tax, true)),
      post('/mpesa/transactionstatus/v1/query', 'transactions.status', (r) =>
        this.#serve(r, STATUS_RULES, statusFields),
      ),
      post('/mpesa/accountbalance/v1/query', 'account.balance', (r) =>
        // Daraja's balance answer has no full stop.
        this.#serve(r, BALANCE_RULES, balanceFields, ACCEPTED.slice(0, -1)),
      ),
      post('/mpesa/reversal/v1/request', 'reversal.reverse', (r) =>
        this.#serve(r, REVERSAL_RULES, reversalFields),
      ),
    ];
  }

  // --- requests ---------------------------------------------------------------------------------------

  #read(request: RouteRequest, rules: readonly FieldRule[]) {
    return readFields(request, rules, this.#config.tokens.check(request.headers));
  }

  /** Read the request, take its fields (or a refusal), accept it. */
  #serve(
    request: RouteRequest,
    rules: readonly FieldRule[],
    fieldsOf: (body: JsonBody) => Accepting | RouteResponse,
    description = ACCEPTED,
  ): RouteResponse {
    const read = this.#read(request, rules);
    if ('error' in read) return read.error;
    const fields = fieldsOf(read.body);
    if ('status' in fields) return fields;
    return ok(acceptedBody(this.#accept(read.body, fields), description));
  }

  #b2c(request: RouteRequest, path: B2cPath): RouteResponse {
    const read = this.#read(request, b2cRules(path));
    if ('error' in read) return read.error;
    const { body } = read;
    const operation = path === 'pochi' ? 'b2c.payToPochi' : 'b2c.pay';
    const key = path === 'v1' ? ids.originatorConversationId() : textOf(body['OriginatorConversationID'])!;
    if (this.#originatorIds.has(key)) {
      this.#config.log.warn(`sim: ${operation} refused: duplicate OriginatorConversationID`, {
        originatorConversationId: key,
      });
      return errorEnvelope(500, '500.002.1001', 'Duplicate OriginatorConversationID.');
    }
    const state = this.#accept(body, {
      operation,
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
    return { ...ok(acceptedBody(state, ACCEPTED)), operation };
  }

  /** Store an accepted request, choose its plan and schedule its processing. */
  #accept(body: JsonBody, fields: Accepting): SimulatedOperation {
    const { initiatorName, initiatorPassword, credentialCheck, keys } = this.#config;
    const now = new Date();
    let conversationId = ids.conversationId(now);
    while (this.#life.has(conversationId)) conversationId = ids.conversationId(now);
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
    const entry: Entry = { state, cancel: undefined };
    this.#life.open(conversationId, entry, this.#life.choose(entry));
    return snapshot(state);
  }

  /** The rule in auto mode: the `resultRule`, else the digits of B2C's phone number or the amount. */
  #rule(state: SimulatedOperation): ResolvedResultOutcome {
    const { resultRule } = this.#config;
    if (resultRule) return resolveResultOutcome(resultRule(snapshot(state)));
    const value = state.operation.startsWith('b2c.')
      ? state.partyB
      : state.operation === 'account.balance' || state.operation === 'transactions.status'
        ? undefined
        : state.amount;
    return resolveResultOutcome(value === undefined ? 'success' : resultOutcomeFor(value));
  }

  #accepted({ state }: Entry, plan: ResolvedResultOutcome | 'manual'): void {
    const { log, callbackDelayMs } = this.#config;
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
  }

  // --- processing -------------------------------------------------------------------------------------

  /** Time out in the queue (a notice to `QueueTimeOutURL`), or process: the result to `ResultURL`. */
  #settle({ state }: Entry, plan: ResolvedResultOutcome, now: Date): Settled {
    const { log } = this.#config;
    state.outcome = { result: plan.result, delivery: plan.delivery };
    state.decidedAt = now;
    if (plan.delivery === 'queue-timeout') {
      state.status = 'queue-timeout';
      log.info('sim: request timed out in the queue', {
        operation: state.operation,
        originatorConversationId: state.originatorConversationId,
      });
      const job = {
        operation: `${state.operation}.queueTimeout`,
        transactionId: state.originatorConversationId,
        url: state.queueTimeoutUrl,
        body: queueTimeoutBody(state),
      };
      return { job, delivery: 'once' };
    }
    const decided = this.#books.process(state, plan.result, now);
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
    const job = {
      operation: `${state.operation}.result`,
      transactionId: state.originatorConversationId,
      url: state.resultUrl,
      body: resultOf(state, decided),
    };
    return { job, delivery: plan.delivery };
  }

  #find(id: string): Entry | undefined {
    return this.#life.find(id, (e) => e.state.originatorConversationId === id);
  }
}

function snapshot(state: SimulatedOperation): SimulatedOperation {
  return Object.freeze({ ...state });
}

function acceptedBody(state: SimulatedOperation, description: string): Record<string, string> {
  return {
    OriginatorConversationID: state.originatorConversationId,
    ConversationID: state.conversationId,
    ResponseCode: '0',
    ResponseDescription: description,
  };
}
