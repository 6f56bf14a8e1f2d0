import type { Log } from '../core/logger.js';
import type { PaymentStatus } from '../core/payment-status.js';
import { darajaTimestamp } from '../core/utils/timestamp.js';
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
import {
  type ActiveSimulatorQuirks,
  type CallbackPhoneNumberForm,
  callbackPhoneNumberItem,
  pickQueryQuirk,
  SpikeArrest,
  type StkQueryQuirkName,
  seededRandom,
  spikeArrestViolation,
} from './quirks.js';
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
  /**
   * `pending` while the prompt is open; once decided, `completed` (0), `cancelled` (1032), `timeout`
   * (1037, 1036) or `failed` (any other code), never `pending` again.
   */
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
  /** The undocumented behaviours turned on (see quirks.ts). */
  quirks: ActiveSimulatorQuirks;
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
  /** How many STK queries have reached this transaction (the quirks' `every` counts them). */
  queries: number;
  /** How a success callback carries the payer's number, chosen when the push is accepted. */
  phoneForm: CallbackPhoneNumberForm;
}

/** What a queued or chosen plan may be: an outcome, or "wait for resolve()". */
type Plan = ResolvedOutcome | 'manual';

// Daraja's own spelling (observed in real answers), kept on purpose.
const QUERY_ACCEPTED = 'The service request has been accepted successsfully';
const PUSH_ACCEPTED = 'Success. Request accepted for processing';
const PHONE_FORMS: readonly string[] = ['full', 'masked', 'hashed', 'omitted'];

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
  /** Every CheckoutRequestID issued, kept across reset() so an id is never issued twice. */
  readonly #issued = new Set<string>();
  #mode: SimulatorMode;
  #quirks!: ActiveSimulatorQuirks;
  #random!: () => number;
  #rateLimit: SpikeArrest | undefined;

  constructor(config: StkSimulationConfig) {
    this.#config = config;
    this.#mode = config.mode;
    this.#pushRules = stkPushRules(config.shortcode);
    this.#queryRules = stkQueryRules(config.shortcode);
    this.quirks = config.quirks;
  }

  get quirks(): ActiveSimulatorQuirks {
    return this.#quirks;
  }

  /** Replace the quirks (already checked): the random numbers restart from the seed, the rate limit afresh. */
  set quirks(quirks: ActiveSimulatorQuirks) {
    this.#quirks = quirks;
    this.#random = seededRandom(quirks.seed);
    const rate = quirks.stkQueryRateLimit;
    this.#rateLimit = rate === false ? undefined : new SpikeArrest(rate);
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
    if (entry.state.decidedAt !== undefined) {
      throw new Error(
        `daraja-sim: ${checkoutRequestId} is already decided (${entry.state.status}, ResultCode ${entry.state.resultCode}).`,
      );
    }
    this.#decide(entry, resolveOutcome(outcome));
    return snapshot(entry.state);
  }

  /**
   * Forget every transaction and queued outcome; pending decisions are cancelled. The quirks' random
   * numbers restart from the seed, and the rate limit forgets the queries it saw.
   */
  reset(): void {
    for (const entry of this.#entries.values()) entry.cancel?.();
    this.#entries.clear();
    this.#queue.length = 0;
    this.quirks = this.#quirks;
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

  /**
   * Bearer token, the gateway's rate limit (`gate`), JSON body, fields in order, then the password:
   * Daraja's order of checks.
   */
  #checkRequest(
    request: RouteRequest,
    rules: readonly FieldRule[],
    gate?: () => RouteResponse | undefined,
  ): { body: JsonBody; error?: undefined } | { body?: undefined; error: RouteResponse } {
    const { shortcode, passkey, tokens } = this.#config;
    const denied = tokens.check(request.headers) ?? gate?.();
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
    const phoneNumber = digitsOf(body['PhoneNumber'])!;
    // The id is the time and the number: a second push to the same number in the same millisecond
    // takes the next free millisecond, so the id keeps Daraja's shape and stays unique.
    let at = now.getTime();
    let checkoutRequestId = ids.checkoutRequestId(now, phoneNumber);
    while (this.#issued.has(checkoutRequestId)) {
      at += 1;
      checkoutRequestId = ids.checkoutRequestId(new Date(at), phoneNumber);
    }
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
      phoneNumber,
      partyB: digitsOf(body['PartyB'])!,
      callbackUrl: String(body['CallBackURL']),
      accountReference: textOf(body['AccountReference'])!,
      transactionDesc: textOf(body['TransactionDesc']),
      createdAt: now,
      decidedAt: undefined,
    };
    // Chosen before the push is stored: an outcomeRule (or a phoneNumber quirk function) that throws
    // answers 500 and leaves nothing behind.
    const plan = this.#choosePlan(state);
    const phoneForm = this.#choosePhoneForm(state);
    const entry: Entry = { state, cancel: undefined, queries: 0, phoneForm };
    this.#issued.add(checkoutRequestId);
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

  /** How the success callback of this push will carry the payer's number (the `phoneNumber` quirk). */
  #choosePhoneForm(state: SimulatedStkTransaction): CallbackPhoneNumberForm {
    const rule = this.#quirks.stkCallback.phoneNumber;
    const form = typeof rule === 'function' ? rule(snapshot(state)) : rule;
    if (!PHONE_FORMS.includes(form)) {
      throw new TypeError(
        `daraja-sim: the phoneNumber quirk returned ${JSON.stringify(form)}; use one of ${PHONE_FORMS.join(', ')}.`,
      );
    }
    return form;
  }

  /** Schedule the decision (or the prompt timeout) of a new push. */
  #start(entry: Entry, plan: Plan): void {
    const { scheduler, log, callbackDelayMs, promptTimeoutMs } = this.#config;
    const { state } = entry;
    const fields = {
      checkoutRequestId: ids.loggableId(state.checkoutRequestId),
      phoneNumber: state.phoneNumber,
      amount: state.amount,
    };
    if (plan === 'manual') {
      // The id is not logged whole (it holds the phone number): GET /simulator/stk lists the ids.
      log.info('sim: stk push accepted; the prompt stays open until resolved', {
        ...fields,
        resolveWith: 'POST /simulator/stk/<CheckoutRequestID>/resolve {"outcome":"success"}',
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

  /** The gateway's SpikeArrest on STK queries, when the rate limit quirk is on. */
  #spikeArrest(): RouteResponse | undefined {
    const limit = this.#rateLimit;
    if (!limit || limit.take(Date.now())) return undefined;
    this.#config.log.debug('sim: stk query over the rate limit', { ...limit.rate });
    return spikeArrestViolation(limit.rate);
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
      checkoutRequestId: ids.loggableId(state.checkoutRequestId),
      resultCode: state.resultCode,
      status: state.status,
      delivery: outcome.delivery,
    });
    if (outcome.delivery === 'none') return;
    const job = {
      operation: 'stk.callback',
      transactionId: state.checkoutRequestId,
      url: state.callbackUrl,
      body: callbackBody(state, this.#quirks.stkCallback.balanceItem, entry.phoneForm),
      headers: { BusinessShortCode: state.businessShortCode },
    };
    if (outcome.delivery === 'duplicate') callbacks.schedule(job, 0, duplicateCallbackCount);
    else callbacks.schedule(job, outcome.delivery === 'late' ? lateCallbackDelayMs : 0);
  }

  #query(request: RouteRequest): RouteResponse {
    const { body, error } = this.#checkRequest(request, this.#queryRules, () => this.#spikeArrest());
    if (error) return error;
    const id = String(body['CheckoutRequestID']);
    const entry = this.#entries.get(id);
    if (!entry) return errorEnvelope(500, '500.001.1001', 'The transaction does not Exist');
    const { state } = entry;
    entry.queries += 1;
    const quirk = pickQueryQuirk(
      this.#quirks.stkQuery,
      {
        pending: state.decidedAt === undefined,
        ageMs: Date.now() - state.createdAt.getTime(),
        queryNumber: entry.queries,
      },
      this.#random,
    );
    if (quirk !== undefined) {
      this.#config.log.debug('sim: stk query quirk', {
        checkoutRequestId: ids.loggableId(id),
        quirk,
        query: entry.queries,
      });
      return quirkAnswer(quirk, state);
    }
    if (state.decidedAt === undefined) {
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

/** The answer of an STK query quirk (daraja-api.md §21): none of them is final. */
function quirkAnswer(quirk: StkQueryQuirkName, state: SimulatedStkTransaction): RouteResponse {
  switch (quirk) {
    case 'stillProcessing':
      return ok({
        ResponseCode: '0',
        ResponseDescription: QUERY_ACCEPTED,
        MerchantRequestID: state.merchantRequestId,
        CheckoutRequestID: state.checkoutRequestId,
        ResultCode: '4999',
        ResultDesc: 'The transaction is still under processing',
      });
    case 'emptyErrorMessage':
      return { ...errorEnvelope(500, '500.001.1001', ''), status: 200 };
    case 'invalidCheckoutRequestId':
      return errorEnvelope(400, '400.002.02', 'Bad Request - Invalid CheckoutRequestID');
    default:
      return errorEnvelope(500, '500.001.1001', '');
  }
}

function snapshot(state: SimulatedStkTransaction): SimulatedStkTransaction {
  return Object.freeze({ ...state });
}

/**
 * Daraja's STK callback body; `CallbackMetadata` only on success, values typed as Daraja sends them,
 * with the value-less `Balance` item third when `balanceItem` is on, and the payer's number in `phoneForm`.
 */
function callbackBody(
  state: SimulatedStkTransaction,
  balanceItem: boolean,
  phoneForm: CallbackPhoneNumberForm,
): unknown {
  const stkCallback: Record<string, unknown> = {
    MerchantRequestID: state.merchantRequestId,
    CheckoutRequestID: state.checkoutRequestId,
    ResultCode: state.resultCode,
    ResultDesc: state.resultDesc,
  };
  if (state.resultCode === 0) {
    const phone = callbackPhoneNumberItem(phoneForm, state.phoneNumber);
    stkCallback['CallbackMetadata'] = {
      Item: [
        { Name: 'Amount', Value: state.amount },
        { Name: 'MpesaReceiptNumber', Value: state.receiptNumber },
        ...(balanceItem ? [{ Name: 'Balance' }] : []),
        { Name: 'TransactionDate', Value: state.transactionDate },
        ...(phone ? [phone] : []),
      ],
    };
  }
  return { Body: { stkCallback } };
}
