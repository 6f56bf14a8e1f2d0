import type { Log } from '../logger.js';
import type { PaymentStatus } from '../payment-status.js';
import { darajaTimestamp } from '../utils/timestamp.js';
import type { CallbackSender } from './callbacks.js';
import * as ids from './ids.js';
import type { TokenStore } from './oauth.js';
import {
  type ResolvedOutcome,
  resolveOutcome,
  type SimulatorOutcome,
  type SimulatorOutcomeSpec,
  stkOutcomeForPhoneNumber,
} from './outcomes.js';
import { errorEnvelope, ok, type RouteRequest, type RouteResponse, type SimulatorRoute } from './routes.js';
import type { Scheduler } from './scheduler.js';
import {
  checkFields,
  checkStkPassword,
  digitsOf,
  type FieldRule,
  type JsonBody,
  numberOf,
  readJsonObject,
  stkPushRules,
  stkQueryRules,
  textOf,
} from './validation.js';

/**
 * How the simulator decides STK outcomes:
 *
 * - `auto`: every push is decided `callbackDelayMs` after it is accepted, by the `outcomeRule`
 *   (by default the phone-number rule, {@link STK_OUTCOME_RULES}).
 * - `manual`: every prompt stays open ("The transaction is being processed") until the test calls
 *   {@link Simulator.resolve}, or until `promptTimeoutMs` passes (then it ends as `timeout`, 1037).
 *
 * Outcomes queued with {@link Simulator.nextOutcome} take precedence in both modes.
 */
export type SimulatorMode = 'auto' | 'manual';

/** The state of one simulated STK push, as returned by {@link Simulator.transaction}. */
export interface SimulatedStkTransaction {
  /** The `CheckoutRequestID` returned to the push. */
  readonly checkoutRequestId: string;
  /** The `MerchantRequestID` returned to the push. */
  readonly merchantRequestId: string;
  /** `pending` while the prompt is open, then the status of the result code. */
  readonly status: PaymentStatus;
  /** The result code once decided (0, 1032, 1037, 1, 2001, …). */
  readonly resultCode: number | undefined;
  /** The result description once decided, e.g. "Request cancelled by user". */
  readonly resultDesc: string | undefined;
  /** The M-Pesa receipt number of a successful payment. */
  readonly receiptNumber: string | undefined;
  /** When a successful payment happened, as Daraja's number `YYYYMMDDHHmmss` (Nairobi time). */
  readonly transactionDate: number | undefined;
  /** The outcome once decided (or queued for an automatic decision); `undefined` while waiting for {@link Simulator.resolve}. */
  readonly outcome: Required<SimulatorOutcomeSpec> | undefined;
  /** The `BusinessShortCode` sent. */
  readonly businessShortCode: string;
  /** The `TransactionType` sent. */
  readonly transactionType: string;
  /** The `Amount` sent, as a number. */
  readonly amount: number;
  /** The `PhoneNumber` sent (`2547…`): the customer who gets the prompt. */
  readonly phoneNumber: string;
  /** The `PartyB` sent: the shortcode or till receiving the money. */
  readonly partyB: string;
  /** The `CallBackURL` sent. */
  readonly callbackUrl: string;
  /** The `AccountReference` sent. */
  readonly accountReference: string;
  /** The `TransactionDesc` sent, if any. */
  readonly transactionDesc: string | undefined;
  /** When the push was accepted. */
  readonly createdAt: Date;
  /** When the result was decided. */
  readonly decidedAt: Date | undefined;
}

/** @internal What the STK simulation needs. */
export interface StkSimulationConfig {
  shortcode: string;
  passkey: string;
  mode: SimulatorMode;
  callbackDelayMs: number;
  lateCallbackDelayMs: number;
  duplicateCallbackCount: number;
  promptTimeoutMs: number | undefined;
  outcomeRule: ((transaction: SimulatedStkTransaction) => SimulatorOutcome) | undefined;
  /** Called once per successful payment, when it is decided (the ledger records it). */
  onCompleted?: (transaction: SimulatedStkTransaction) => void;
  tokens: TokenStore;
  scheduler: Scheduler;
  callbacks: CallbackSender;
  log: Log;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Entry {
  state: Mutable<SimulatedStkTransaction>;
  /** Cancels the pending automatic decision or prompt timeout. */
  cancel: (() => void) | undefined;
}

/** What a queued or chosen plan may be: an outcome, or "wait for resolve()". */
type Plan = ResolvedOutcome | 'manual';

// Daraja's own spelling (observed in real answers), kept on purpose.
const QUERY_ACCEPTED = 'The service request has been accepted successsfully';
const PUSH_ACCEPTED = 'Success. Request accepted for processing';

/**
 * @internal
 * STK push and query: the transactions, how their outcomes are chosen and decided, and the routes.
 */
export class StkSimulation {
  readonly #config: StkSimulationConfig;
  readonly #entries = new Map<string, Entry>();
  readonly #queue: Plan[] = [];
  readonly #pushRules: readonly FieldRule[];
  readonly #queryRules: readonly FieldRule[];
  #mode: SimulatorMode;

  constructor(config: StkSimulationConfig) {
    this.#config = config;
    this.#mode = config.mode;
    this.#pushRules = stkPushRules(config.shortcode);
    this.#queryRules = stkQueryRules(config.shortcode);
  }

  get mode(): SimulatorMode {
    return this.#mode;
  }

  set mode(mode: SimulatorMode) {
    if (mode !== 'auto' && mode !== 'manual') {
      throw new TypeError(`daraja-sim: mode must be 'auto' or 'manual', got ${JSON.stringify(mode)}.`);
    }
    this.#mode = mode;
  }

  /** Queue outcomes for the next pushes, in order (checked now, so a typo fails the test here). */
  enqueue(outcomes: ReadonlyArray<SimulatorOutcome | 'manual'>): void {
    const plans = outcomes.map((o) => (o === 'manual' ? ('manual' as const) : resolveOutcome(o)));
    this.#queue.push(...plans);
  }

  get(checkoutRequestId: string): SimulatedStkTransaction | undefined {
    const entry = this.#entries.get(checkoutRequestId);
    return entry && snapshot(entry.state);
  }

  list(): SimulatedStkTransaction[] {
    return [...this.#entries.values()].map((entry) => snapshot(entry.state));
  }

  /** Decide an open prompt now. */
  resolve(checkoutRequestId: string, outcome: SimulatorOutcome): SimulatedStkTransaction {
    const entry = this.#entries.get(checkoutRequestId);
    if (!entry) throw new Error(`daraja-sim: no STK push has the CheckoutRequestID ${checkoutRequestId}.`);
    if (entry.state.status !== 'pending') {
      throw new Error(
        `daraja-sim: ${checkoutRequestId} is already decided (${entry.state.status}, ResultCode ${entry.state.resultCode}).`,
      );
    }
    this.#decide(entry, resolveOutcome(outcome));
    return snapshot(entry.state);
  }

  /** Forget every transaction and queued outcome; pending decisions are cancelled. */
  reset(): void {
    for (const entry of this.#entries.values()) entry.cancel?.();
    this.#entries.clear();
    this.#queue.length = 0;
  }

  routes(): SimulatorRoute[] {
    return [
      {
        method: 'POST',
        path: '/mpesa/stkpush/v1/processrequest',
        operation: 'stk.push',
        handle: (request) => this.#push(request),
      },
      {
        method: 'POST',
        path: '/mpesa/stkpushquery/v1/query',
        operation: 'stk.query',
        handle: (request) => this.#query(request),
      },
    ];
  }

  /** Bearer token, JSON body, fields in order, then the password: Daraja's order of checks. */
  #checkRequest(
    request: RouteRequest,
    rules: readonly FieldRule[],
  ): { body: JsonBody; error?: undefined } | { body?: undefined; error: RouteResponse } {
    const { shortcode, passkey, tokens } = this.#config;
    const denied = tokens.check(request.headers);
    if (denied) return { error: denied };
    const read = readJsonObject(request);
    if (read.error) return read;
    const error = checkFields(read.body, rules) ?? checkStkPassword(read.body, shortcode, passkey);
    return error ? { error } : read;
  }

  #push(request: RouteRequest): RouteResponse {
    const { body, error } = this.#checkRequest(request, this.#pushRules);
    if (error) return error;
    const now = new Date();
    let checkoutRequestId = ids.checkoutRequestId(now);
    while (this.#entries.has(checkoutRequestId)) checkoutRequestId = ids.checkoutRequestId(now);
    const state: Mutable<SimulatedStkTransaction> = {
      checkoutRequestId,
      merchantRequestId: ids.merchantRequestId(),
      status: 'pending',
      resultCode: undefined,
      resultDesc: undefined,
      receiptNumber: undefined,
      transactionDate: undefined,
      outcome: undefined,
      businessShortCode: digitsOf(body['BusinessShortCode'])!,
      transactionType: String(body['TransactionType']),
      amount: numberOf(body['Amount'])!,
      phoneNumber: digitsOf(body['PhoneNumber'])!,
      partyB: digitsOf(body['PartyB'])!,
      callbackUrl: String(body['CallBackURL']),
      accountReference: textOf(body['AccountReference'])!,
      transactionDesc: textOf(body['TransactionDesc']),
      createdAt: now,
      decidedAt: undefined,
    };
    // Chosen before the push is stored: an outcomeRule that throws answers 500 and leaves nothing behind.
    const plan = this.#choosePlan(state);
    const entry: Entry = { state, cancel: undefined };
    this.#entries.set(checkoutRequestId, entry);
    this.#start(entry, plan);
    return ok({
      MerchantRequestID: state.merchantRequestId,
      CheckoutRequestID: checkoutRequestId,
      ResponseCode: '0',
      ResponseDescription: PUSH_ACCEPTED,
      CustomerMessage: PUSH_ACCEPTED,
    });
  }

  /** A queued outcome first, then the mode: wait for resolve(), or the outcome rule. */
  #choosePlan(state: SimulatedStkTransaction): Plan {
    const queued = this.#queue.shift();
    if (queued !== undefined) return queued;
    if (this.#mode === 'manual') return 'manual';
    const { outcomeRule } = this.#config;
    return resolveOutcome(
      outcomeRule ? outcomeRule(snapshot(state)) : stkOutcomeForPhoneNumber(state.phoneNumber),
    );
  }

  /** Schedule the decision (or the prompt timeout) of a new push. */
  #start(entry: Entry, plan: Plan): void {
    const { scheduler, log, callbackDelayMs, promptTimeoutMs } = this.#config;
    const { state } = entry;
    const fields = {
      checkoutRequestId: state.checkoutRequestId,
      phoneNumber: state.phoneNumber,
      amount: state.amount,
    };
    if (plan === 'manual') {
      log.info('sim: stk push accepted; the prompt stays open until resolved', {
        ...fields,
        resolveWith: `POST /simulator/stk/${state.checkoutRequestId}/resolve {"outcome":"success"}`,
      });
      if (promptTimeoutMs !== undefined) {
        entry.cancel = scheduler.schedule(promptTimeoutMs, () =>
          this.#decide(entry, resolveOutcome('timeout')),
        );
      }
      return;
    }
    state.outcome = { result: plan.result, delivery: plan.delivery };
    log.info('sim: stk push accepted', {
      ...fields,
      resultCode: plan.resultCode,
      delivery: plan.delivery,
      inMs: callbackDelayMs,
    });
    entry.cancel = scheduler.schedule(callbackDelayMs, () => this.#decide(entry, plan));
  }

  #decide(entry: Entry, outcome: ResolvedOutcome): void {
    const { callbacks, lateCallbackDelayMs, duplicateCallbackCount, log } = this.#config;
    entry.cancel?.();
    entry.cancel = undefined;
    const { state } = entry;
    const now = new Date();
    state.status = outcome.status;
    state.resultCode = outcome.resultCode;
    state.resultDesc = outcome.resultDesc;
    state.outcome = { result: outcome.result, delivery: outcome.delivery };
    state.decidedAt = now;
    if (outcome.resultCode === 0) {
      state.receiptNumber = ids.receiptNumber();
      state.transactionDate = Number(darajaTimestamp(now));
      this.#config.onCompleted?.(snapshot(state));
    }
    log.info('sim: stk result decided', {
      checkoutRequestId: state.checkoutRequestId,
      resultCode: state.resultCode,
      status: state.status,
      delivery: outcome.delivery,
    });
    if (outcome.delivery === 'none') return;
    const job = {
      operation: 'stk.callback',
      transactionId: state.checkoutRequestId,
      url: state.callbackUrl,
      body: callbackBody(state),
      headers: { BusinessShortCode: state.businessShortCode },
    };
    if (outcome.delivery === 'duplicate') callbacks.schedule(job, 0, duplicateCallbackCount);
    else callbacks.schedule(job, outcome.delivery === 'late' ? lateCallbackDelayMs : 0);
  }

  #query(request: RouteRequest): RouteResponse {
    const { body, error } = this.#checkRequest(request, this.#queryRules);
    if (error) return error;
    const id = String(body['CheckoutRequestID']);
    const state = this.#entries.get(id)?.state;
    if (!state) return errorEnvelope(500, '500.001.1001', 'The transaction does not Exist');
    if (state.status === 'pending') {
      return errorEnvelope(500, '500.001.1001', 'The transaction is being processed', id);
    }
    return ok({
      ResponseCode: '0',
      ResponseDescription: QUERY_ACCEPTED,
      MerchantRequestID: state.merchantRequestId,
      CheckoutRequestID: state.checkoutRequestId,
      ResultCode: String(state.resultCode),
      ResultDesc: state.resultDesc,
    });
  }
}

function snapshot(state: SimulatedStkTransaction): SimulatedStkTransaction {
  return Object.freeze({ ...state });
}

/** Daraja's STK callback body; `CallbackMetadata` only on success, values typed as Daraja sends them. */
function callbackBody(state: SimulatedStkTransaction): unknown {
  const stkCallback: Record<string, unknown> = {
    MerchantRequestID: state.merchantRequestId,
    CheckoutRequestID: state.checkoutRequestId,
    ResultCode: state.resultCode,
    ResultDesc: state.resultDesc,
  };
  if (state.resultCode === 0) {
    stkCallback['CallbackMetadata'] = {
      Item: [
        { Name: 'Amount', Value: state.amount },
        { Name: 'MpesaReceiptNumber', Value: state.receiptNumber },
        { Name: 'TransactionDate', Value: state.transactionDate },
        { Name: 'PhoneNumber', Value: Number(state.phoneNumber) },
      ],
    };
  }
  return { Body: { stkCallback } };
}
