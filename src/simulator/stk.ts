import { stkPushResponse, stkQueryPendingError } from '../wire/stk.js';
import { nairobiTimestamp } from '../wire/time.js';
import { type EngineConfig, Lifecycle, type Settled, type SimulatorMode, type Tracked } from './engine.js';
import * as ids from './ids.js';
import type { TokenStore } from './oauth.js';
import {
  type ResolvedOutcome,
  resolveOutcome,
  type SimulatedStkTransaction,
  type SimulatorOutcome,
  stkOutcomeForPhoneNumber,
} from './outcomes.js';
import { pickQueryQuirk, SpikeArrest, seededRandom, spikeArrestViolation } from './quirk-answers.js';
import type { ActiveSimulatorQuirks, CallbackPhoneNumberForm } from './quirks.js';
import {
  errorEnvelope,
  ok,
  post,
  type RouteRequest,
  type RouteResponse,
  type SimulatorRoute,
} from './routes.js';
import { callbackBody, queryAnswer, quirkAnswer } from './stk-bodies.js';
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

/** @internal What the STK simulation needs. */
export interface StkSimulationConfig extends EngineConfig {
  shortcode: string;
  passkey: string;
  mode: SimulatorMode;
  promptTimeoutMs: number | undefined;
  outcomeRule: ((transaction: SimulatedStkTransaction) => SimulatorOutcome) | undefined;
  /** The undocumented behaviours turned on (see quirks.ts). */
  quirks: ActiveSimulatorQuirks;
  /** Called once per successful payment, when it is decided (the ledger records it). */
  onCompleted?: (transaction: SimulatedStkTransaction) => void;
  tokens: TokenStore;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Entry extends Tracked {
  state: Mutable<SimulatedStkTransaction>;
  /** How many STK queries have reached this transaction (the quirks' `every` counts them). */
  queries: number;
  /** How a success callback carries the payer's number, chosen when the push is accepted. */
  phoneForm: CallbackPhoneNumberForm;
}

const PHONE_FORMS: readonly string[] = ['full', 'masked', 'hashed', 'omitted'];

/**
 * @internal
 * STK push and query: the rules (fields, password, outcome by phone number), the routes and the bodies.
 * The lifecycle (pending, decided, callback) is the shared engine's.
 */
export class StkSimulation {
  readonly #config: StkSimulationConfig;
  readonly #life: Lifecycle<Entry, ResolvedOutcome>;
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
    this.#life = new Lifecycle<Entry, ResolvedOutcome>(config, {
      mode: () => this.#mode,
      rule: ({ state }) =>
        resolveOutcome(
          config.outcomeRule
            ? config.outcomeRule(snapshot(state))
            : stkOutcomeForPhoneNumber(state.phoneNumber),
        ),
      accepted: (entry, plan) => this.#accepted(entry, plan),
      settle: (entry, outcome, now) => this.#settle(entry, outcome, now),
    });
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
    this.#life.enqueue(outcomes.map((o) => (o === 'manual' ? ('manual' as const) : resolveOutcome(o))));
  }

  get(checkoutRequestId: string): SimulatedStkTransaction | undefined {
    const entry = this.#life.find(checkoutRequestId);
    return entry && snapshot(entry.state);
  }

  list(): SimulatedStkTransaction[] {
    return this.#life.entries().map((entry) => snapshot(entry.state));
  }

  /** Decide an open prompt now. */
  resolve(checkoutRequestId: string, outcome: SimulatorOutcome): SimulatedStkTransaction {
    const entry = this.#life.find(checkoutRequestId);
    if (!entry) throw new Error(`daraja-sim: no STK push has the CheckoutRequestID ${checkoutRequestId}.`);
    if (entry.state.decidedAt !== undefined) {
      throw new Error(
        `daraja-sim: ${checkoutRequestId} is already decided (${entry.state.status}, ResultCode ${entry.state.resultCode}).`,
      );
    }
    this.#life.settle(entry, resolveOutcome(outcome));
    return snapshot(entry.state);
  }

  /**
   * Forget every transaction and queued outcome; pending decisions are cancelled. The quirks' random
   * numbers restart from the seed, and the rate limit forgets the queries it saw.
   */
  reset(): void {
    this.#life.reset();
    this.quirks = this.#quirks;
  }

  routes(): SimulatorRoute[] {
    return [
      post('/mpesa/stkpush/v1/processrequest', 'stk.push', (request) => this.#push(request)),
      post('/mpesa/stkpushquery/v1/query', 'stk.query', (request) => this.#query(request)),
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
    const checkoutRequestId = this.#newCheckoutRequestId(now, phoneNumber);
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
    const entry: Entry = { state, cancel: undefined, queries: 0, phoneForm: 'full' };
    const plan = this.#life.choose(entry);
    entry.phoneForm = this.#choosePhoneForm(state);
    this.#issued.add(checkoutRequestId);
    this.#life.open(checkoutRequestId, entry, plan);
    return ok(stkPushResponse(state.merchantRequestId, checkoutRequestId));
  }

  /**
   * The id is the time and the number: a second push to the same number in the same millisecond takes
   * the next free millisecond, so the id keeps Daraja's shape and stays unique.
   */
  #newCheckoutRequestId(now: Date, phoneNumber: string): string {
    let at = now.getTime();
    let id = ids.checkoutRequestId(now, phoneNumber);
    while (this.#issued.has(id)) {
      at += 1;
      id = ids.checkoutRequestId(new Date(at), phoneNumber);
    }
    return id;
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

  /** Log a new push; in manual mode, arm the prompt timeout. */
  #accepted(entry: Entry, plan: ResolvedOutcome | 'manual'): void {
    const { log, callbackDelayMs, promptTimeoutMs } = this.#config;
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
      if (promptTimeoutMs !== undefined)
        this.#life.settleAfter(entry, promptTimeoutMs, resolveOutcome('timeout'));
      return;
    }
    state.outcome = { result: plan.result, delivery: plan.delivery };
    log.info('sim: stk push accepted', {
      ...fields,
      resultCode: plan.resultCode,
      delivery: plan.delivery,
      inMs: callbackDelayMs,
    });
  }

  /** The gateway's SpikeArrest on STK queries, when the rate limit quirk is on. */
  #spikeArrest(): RouteResponse | undefined {
    const limit = this.#rateLimit;
    if (!limit || limit.take(Date.now())) return undefined;
    this.#config.log.debug('sim: stk query over the rate limit', { ...limit.rate });
    return spikeArrestViolation(limit.rate);
  }

  /** The result: the state, the ledger (through `onCompleted`), then the callback. */
  #settle(entry: Entry, outcome: ResolvedOutcome, now: Date): Settled {
    const { state } = entry;
    state.status = outcome.status;
    state.resultCode = outcome.resultCode;
    state.resultDesc = outcome.resultDesc;
    state.outcome = { result: outcome.result, delivery: outcome.delivery };
    state.decidedAt = now;
    if (outcome.resultCode === 0) {
      state.receiptNumber = ids.receiptNumber();
      state.transactionDate = Number(nairobiTimestamp(now));
      this.#config.onCompleted?.(snapshot(state));
    }
    this.#config.log.info('sim: stk result decided', {
      checkoutRequestId: ids.loggableId(state.checkoutRequestId),
      resultCode: state.resultCode,
      status: state.status,
      delivery: outcome.delivery,
    });
    const job = {
      operation: 'stk.callback',
      transactionId: state.checkoutRequestId,
      url: state.callbackUrl,
      body: callbackBody(state, this.#quirks.stkCallback.balanceItem, entry.phoneForm),
      headers: { BusinessShortCode: state.businessShortCode },
    };
    return { job, delivery: outcome.delivery };
  }

  #query(request: RouteRequest): RouteResponse {
    const { body, error } = this.#checkRequest(request, this.#queryRules, () => this.#spikeArrest());
    if (error) return error;
    const id = String(body['CheckoutRequestID']);
    const entry = this.#life.find(id);
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
    if (state.decidedAt === undefined) return { status: 500, body: stkQueryPendingError(id) };
    return ok(queryAnswer(state, String(state.resultCode), state.resultDesc!));
  }
}

function snapshot(state: SimulatedStkTransaction): SimulatedStkTransaction {
  return Object.freeze({ ...state });
}
