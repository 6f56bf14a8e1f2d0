import { queueTimeoutBody, resultBody } from '../../wire/result.js';
import { type CredentialKeys, credentialMatches } from '../certificate.js';
import { type EngineConfig, Lifecycle, type Settled, type SimulatorMode, type Tracked } from '../engine.js';
import * as ids from '../ids.js';
import type { Ledger } from '../ledger.js';
import { redactSecrets } from '../log.js';
import type { TokenStore } from '../oauth.js';
import {
  type ResolvedResultOutcome,
  type ResultOutcome,
  type ResultOutcomeSpec,
  resolveResultOutcome,
  resultOutcomeFor,
  type SimulatedResult,
} from '../result-outcomes.js';
import { resultText } from '../result-texts.js';
import {
  errorEnvelope,
  ok,
  post,
  type RouteRequest,
  type RouteResponse,
  type SimulatorRoute,
} from '../routes.js';
import { type JsonBody, readFields, textOf } from '../validation.js';
import {
  type Accepting,
  acceptedAnswer,
  type Decided,
  type Fail,
  type InitiatorOperation,
  newReceipt,
} from './operation.js';
import { OPERATIONS, type SimulatedOperationName } from './operations.js';

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

type Operation = InitiatorOperation<SimulatedOperationName>;

interface Entry extends Tracked {
  state: Mutable<SimulatedOperation>;
  /** The definition of the endpoint that accepted it. */
  definition: Operation;
}

/**
 * @internal
 * The initiator operations (B2C, B2B, tax, transaction status, account balance, reversal) on the
 * shared engine's lifecycle. Each endpoint's definition (b2c.ts, b2b.ts, account.ts beside this file)
 * brings its rules, its reading of the body and its effect; this class serves them all alike, with the
 * checks they share, and POSTs the results to `ResultURL`.
 */
export class InitiatorSimulation {
  readonly #config: InitiatorSimulationConfig;
  readonly #life: Lifecycle<Entry, ResolvedResultOutcome>;
  /** Every `OriginatorConversationID` accepted where it must be unique (B2C): a second one is a duplicate. */
  readonly #originatorIds = new Set<string>();

  constructor(config: InitiatorSimulationConfig) {
    this.#config = config;
    this.#life = new Lifecycle<Entry, ResolvedResultOutcome>(config, {
      mode: config.mode,
      rule: (entry) => this.#rule(entry),
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
    return OPERATIONS.map((definition) =>
      post(definition.path, definition.names[0], (r) => this.#serve(r, definition)),
    );
  }

  // --- requests ---------------------------------------------------------------------------------------

  /** Token and fields in Daraja's order, the operation's own reading, the duplicate check; then accept. */
  #serve(request: RouteRequest, definition: Operation): RouteResponse {
    const read = readFields(request, definition.rules, this.#config.tokens.check(request.headers));
    if ('error' in read) {
      const operation = definition.refusedAs?.(request.json);
      return operation ? { ...read.error, operation } : read.error;
    }
    const fields = definition.read(read.body);
    if ('status' in fields) return fields;
    const { operation, originatorConversationId: key } = fields;
    if (definition.uniqueOriginatorId && this.#originatorIds.has(key)) {
      this.#config.log.warn(`sim: ${operation} refused: duplicate OriginatorConversationID`, {
        originatorConversationId: key,
      });
      return errorEnvelope(500, '500.002.1001', 'Duplicate OriginatorConversationID.');
    }
    const state = this.#accept(read.body, fields, definition);
    // Only once accepted: a request refused on the way (a resultRule that throws) may be sent again.
    if (definition.uniqueOriginatorId) this.#originatorIds.add(key);
    return { ...ok((definition.answer ?? acceptedAnswer())(state)), operation };
  }

  /** Store an accepted request, choose its plan and schedule its processing. */
  #accept(
    body: JsonBody,
    fields: Accepting<SimulatedOperationName>,
    definition: Operation,
  ): SimulatedOperation {
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
    const entry: Entry = { state, definition, cancel: undefined };
    this.#life.open(conversationId, entry, this.#life.choose(entry));
    return snapshot(state);
  }

  /** The rule in auto mode: the `resultRule`, else the operation's value (B2C's phone number, the amount). */
  #rule({ state, definition }: Entry): ResolvedResultOutcome {
    const { resultRule } = this.#config;
    if (resultRule) return resolveResultOutcome(resultRule(snapshot(state)));
    const value = definition.ruleValue(state);
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
  #settle({ state, definition }: Entry, plan: ResolvedResultOutcome, now: Date): Settled {
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
    const decided = this.#decide(state, definition, plan.result, now);
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
      body: resultOf(state, decided, definition),
    };
    return { job, delivery: plan.delivery };
  }

  /** The result: the initiator checks, then a forced result, then what the operation does. */
  #decide(state: SimulatedOperation, definition: Operation, forced: SimulatedResult, now: Date): Decided {
    const { ledger, initiatorShortcode } = this.#config;
    const fail: Fail = (code, desc) => ({
      code: String(code),
      desc: desc ?? resultText(code),
      transactionId: newReceipt(ledger),
      ...(definition.failureParameters && { parameters: definition.failureParameters(now) }),
    });
    if (!state.credentialValid) return fail(2001);
    if (state.partyA !== initiatorShortcode) return fail(21);
    if (forced === 'insufficient-funds') return fail(1);
    if (forced === 'initiator-invalid') return fail(2001);
    if (forced === 'unregistered-customer' && definition.paysCustomer) return fail(2040);
    if (typeof forced === 'object') {
      const code = String(forced.resultCode);
      if (code !== '0') return fail(code, forced.resultDesc);
    }
    return definition.process(state, ledger, now, fail);
  }

  #find(id: string): Entry | undefined {
    return this.#life.find(id, (e) => e.state.originatorConversationId === id);
  }
}

function snapshot(state: SimulatedOperation): SimulatedOperation {
  return Object.freeze({ ...state });
}

/** The `Result` envelope of a processed request, in its operation's shape. */
function resultOf(state: SimulatedOperation, decided: Decided, definition: Operation): unknown {
  return resultBody({
    shape: definition.shape,
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
