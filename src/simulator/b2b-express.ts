import {
  type EngineConfig,
  Lifecycle,
  suffixRule as rule,
  type Settled,
  type SimulatorMode,
  spellOut,
  type Tracked,
} from './engine.js';
import * as ids from './ids.js';
import type { TokenStore } from './oauth.js';
import { ok, post, type RouteResponse, type SimulatorRoute } from './routes.js';
import { checks, type FieldRule, numberOf, readFields, textOf } from './validation.js';

// B2B Express Checkout (a USSD prompt to a merchant's till), written from the Daraja portal's page as
// the reference transcribes it (/work/shared/reference/daraja-newer-apis.md §3), never from the SDK.
// Unverified, and simulated as the portal says: that the callback's `requestId` is the push's
// `RequestRefID`; the answer to a bad field (Daraja's usual `400.002.02`); what Daraja does with a
// repeated `RequestRefID` (here: a second prompt, as for any push). No live success is on record.

/**
 * What the merchant's till operator does with a simulated B2B Express Checkout prompt:
 * `success` (pays, `0`), `cancelled` (`4001`), or one of the portal's failures: `kyc-failure` (`4102`),
 * `no-nominated-number` (`4104`), `ussd-network-error` (`4201`), `ussd-exception` (`4203`); or
 * `{ resultCode, resultDesc? }` for any other code.
 */
export type SimulatedB2bExpressResult =
  | 'success'
  | 'cancelled'
  | 'kyc-failure'
  | 'no-nominated-number'
  | 'ussd-network-error'
  | 'ussd-exception'
  | { readonly resultCode: number | string; readonly resultDesc?: string };

/** The named outcomes: the six results with one callback, and three delivery faults of a payment. */
export type B2bExpressOutcomeName =
  | Exclude<SimulatedB2bExpressResult, object>
  | 'no-callback'
  | 'duplicate-callback'
  | 'late-callback';

/** An outcome: a name, or `{ result, delivery }` (`once`, `none`, `duplicate`, `late`). */
export type B2bExpressOutcome =
  | B2bExpressOutcomeName
  | {
      readonly result: SimulatedB2bExpressResult;
      readonly delivery?: 'once' | 'none' | 'duplicate' | 'late';
    };

/**
 * The automatic rule, by the last two digits of the `amount` when it is 100 or more (smaller amounts,
 * and round ones such as 1500, succeed):
 *
 * | ends in | outcome | resultCode |
 * |---|---|---|
 * | `01` | `cancelled` | 4001 |
 * | `02` | `kyc-failure` | 4102 |
 * | `03` | `no-nominated-number` | 4104 |
 * | `04` | `ussd-network-error` | 4201 |
 * | `05` | `no-callback` | 0, never sent |
 * | `06` | `duplicate-callback` | 0, sent `duplicateCallbackCount` times |
 * | `07` | `late-callback` | 0, sent `lateCallbackDelayMs` later |
 * | `08` | `ussd-exception` | 4203 |
 */
export const B2B_EXPRESS_OUTCOME_RULES = Object.freeze([
  rule('01', 'cancelled', 4001, 'the merchant cancels'),
  rule('02', 'kyc-failure', 4102, 'merchant KYC failure'),
  rule('03', 'no-nominated-number', 4104, 'the till has no Nominated Number'),
  rule('04', 'ussd-network-error', 4201, 'USSD network error'),
  rule('05', 'no-callback', 0, 'paid; the callback is never sent'),
  rule('06', 'duplicate-callback', 0, 'paid; the same callback arrives several times'),
  rule('07', 'late-callback', 0, 'paid; the callback arrives late'),
  rule('08', 'ussd-exception', 4203, 'USSD exception error'),
] as const);

/** The outcome {@link B2B_EXPRESS_OUTCOME_RULES} gives an amount. */
export function b2bExpressOutcomeFor(amount: number): B2bExpressOutcomeName {
  if (!(amount >= 100)) return 'success';
  const suffix = String(amount).slice(-2);
  return B2B_EXPRESS_OUTCOME_RULES.find((r) => r.suffix === suffix)?.outcome ?? 'success';
}

// The simulator's own texts for the portal's codes (its Error tab, and its two callback samples).
const RESULTS: Record<Exclude<SimulatedB2bExpressResult, object>, [code: string, desc: string]> = {
  success: ['0', 'The service request is processed successfully.'],
  cancelled: ['4001', 'User cancelled transaction'],
  'kyc-failure': ['4102', 'Merchant KYC failure'],
  'no-nominated-number': ['4104', 'Missing Nominated Number'],
  'ussd-network-error': ['4201', 'USSD network error'],
  'ussd-exception': ['4203', 'USSD exception error'],
};
const NAMED = Object.fromEntries([
  ...Object.keys(RESULTS).map((name) => [name, { result: name, delivery: 'once' }]),
  ['no-callback', { result: 'success', delivery: 'none' }],
  ['duplicate-callback', { result: 'success', delivery: 'duplicate' }],
  ['late-callback', { result: 'success', delivery: 'late' }],
]) as Record<B2bExpressOutcomeName, { result: SimulatedB2bExpressResult; delivery: Delivery }>;
type Delivery = 'once' | 'none' | 'duplicate' | 'late';

interface Plan {
  result: SimulatedB2bExpressResult;
  delivery: Delivery;
  resultCode: string;
  resultDesc: string;
}

/** Spell an outcome out, or throw a `TypeError` saying what is wrong with it. */
function resolvePlan(outcome: unknown): Plan {
  const { result, delivery } = spellOut<SimulatedB2bExpressResult, Delivery>(
    outcome,
    NAMED,
    ['once', 'none', 'duplicate', 'late'],
    'B2B Express outcome',
  );
  if (typeof result === 'string' && Object.hasOwn(RESULTS, result)) {
    const [resultCode, resultDesc] = RESULTS[result];
    return { result, delivery, resultCode, resultDesc };
  }
  const code = typeof result === 'object' && result !== null ? textOf(result.resultCode) : undefined;
  if (code === undefined || !/^[A-Za-z0-9_]{1,32}$/.test(code))
    throw new TypeError(
      `daraja-sim: unknown B2B Express result ${JSON.stringify(result)}; use one of ${Object.keys(RESULTS).join(', ')}, or { resultCode }.`,
    );
  const desc = (result as { resultDesc?: string }).resultDesc ?? 'The transaction failed.';
  return { result, delivery, resultCode: code, resultDesc: desc };
}

/** The state of one simulated push, as the control API lists it. */
export interface SimulatedB2bExpressPush {
  /** The `RequestRefID` sent; the callback's `requestId`. */
  readonly requestRefId: string;
  /** `pending` until decided; then `completed` (0), `cancelled` (4001) or `failed` (any other code). */
  readonly status: 'pending' | 'completed' | 'cancelled' | 'failed';
  readonly resultCode: string | undefined;
  readonly resultDesc: string | undefined;
  /** The M-Pesa receipt of a payment (the callback's `transactionId`). */
  readonly transactionId: string | undefined;
  readonly primaryShortCode: string;
  readonly receiverShortCode: string;
  readonly amount: number;
  readonly paymentRef: string;
  readonly partnerName: string;
  readonly callbackUrl: string;
  readonly createdAt: Date;
  readonly decidedAt: Date | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
interface Entry extends Tracked {
  state: Mutable<SimulatedB2bExpressPush>;
}

// Every field is required (the portal marks none optional); the checks are the portal's types.
const PUSH_RULES: FieldRule[] = [
  { field: 'primaryShortCode', check: checks.digits(5, 8) },
  { field: 'receiverShortCode', check: checks.digits(5, 8) },
  { field: 'amount', check: checks.wholeAmount(1) },
  { field: 'paymentRef', check: checks.nonEmpty },
  { field: 'callbackUrl', check: checks.url },
  { field: 'partnerName', check: checks.nonEmpty },
  { field: 'RequestRefID', check: checks.nonEmpty },
];

/** @internal What the B2B Express simulation needs. */
export interface B2bExpressSimulationConfig extends EngineConfig {
  tokens: TokenStore;
  /** The simulator's mode: in `manual`, a prompt stays open until resolved through the control API. */
  mode: () => SimulatorMode;
}

/**
 * @internal
 * `POST /v1/ussdpush/get-msisdn`: the fields checked, the acknowledgement (`code "0"`), then, by the
 * outcome rule, the flat callback to `callbackUrl`; and its control routes under
 * `/simulator/b2b-express`.
 */
export class B2bExpressSimulation {
  readonly #config: B2bExpressSimulationConfig;
  readonly #life: Lifecycle<Entry, Plan>;
  #count = 0;

  constructor(config: B2bExpressSimulationConfig) {
    this.#config = config;
    this.#life = new Lifecycle<Entry, Plan>(config, {
      mode: () => config.mode(),
      rule: ({ state }) => resolvePlan(b2bExpressOutcomeFor(state.amount)),
      accepted: ({ state }, plan) =>
        config.log.info('sim: b2b express push accepted', {
          requestRefId: state.requestRefId,
          amount: state.amount,
          resultCode: plan === 'manual' ? 'manual' : plan.resultCode,
        }),
      settle: (entry, plan, now) => this.#settle(entry, plan, now),
    });
  }

  list(): SimulatedB2bExpressPush[] {
    return this.#life.entries().map(({ state }) => Object.freeze({ ...state }));
  }

  /** The latest push with this `RequestRefID`. */
  get(requestRefId: string): SimulatedB2bExpressPush | undefined {
    return this.list().findLast((push) => push.requestRefId === requestRefId);
  }

  enqueue(outcomes: readonly unknown[]): void {
    this.#life.enqueue(outcomes.map((o) => (o === 'manual' ? ('manual' as const) : resolvePlan(o))));
  }

  reset(): void {
    this.#life.reset();
  }

  routes(): SimulatorRoute[] {
    return [
      post('/v1/ussdpush/get-msisdn', 'b2bExpress.push', (r) => this.#push(r)),
      ...this.#controlRoutes(),
    ];
  }

  #push(request: Parameters<SimulatorRoute['handle']>[0]): RouteResponse {
    const read = readFields(request, PUSH_RULES, this.#config.tokens.check(request.headers));
    if ('error' in read) return read.error;
    const b = read.body;
    const state: Mutable<SimulatedB2bExpressPush> = {
      requestRefId: String(b['RequestRefID']),
      status: 'pending',
      resultCode: undefined,
      resultDesc: undefined,
      transactionId: undefined,
      primaryShortCode: textOf(b['primaryShortCode'])!,
      receiverShortCode: textOf(b['receiverShortCode'])!,
      amount: numberOf(b['amount'])!,
      paymentRef: String(b['paymentRef']),
      partnerName: String(b['partnerName']),
      callbackUrl: String(b['callbackUrl']),
      createdAt: new Date(),
      decidedAt: undefined,
    };
    const entry: Entry = { state, cancel: undefined };
    const plan = this.#life.choose(entry);
    this.#count += 1;
    this.#life.open(String(this.#count), entry, plan);
    return ok({ code: '0', status: 'USSD Initiated Successfully' });
  }

  /** Decide the push: its state, then the callback in the portal's shape (success, or cancel/failure). */
  #settle({ state }: Entry, plan: Plan, now: Date): Settled {
    const paid = plan.resultCode === '0';
    state.status = paid ? 'completed' : plan.resultCode === '4001' ? 'cancelled' : 'failed';
    state.resultCode = plan.resultCode;
    state.resultDesc = plan.resultDesc;
    state.decidedAt = now;
    const amount = state.amount.toFixed(1);
    const head = { resultCode: plan.resultCode, resultDesc: plan.resultDesc };
    let body: Record<string, string>;
    if (paid) {
      state.transactionId = ids.receiptNumber();
      body = {
        ...head,
        amount,
        requestId: state.requestRefId,
        resultType: '0',
        conversationID: ids.conversationId(now),
        transactionId: state.transactionId,
        status: 'SUCCESS',
      };
    } else body = { ...head, requestId: state.requestRefId, amount, paymentReference: state.paymentRef };
    this.#config.log.info('sim: b2b express result decided', {
      requestRefId: state.requestRefId,
      resultCode: plan.resultCode,
      delivery: plan.delivery,
    });
    const job = {
      operation: 'b2bExpress.callback',
      transactionId: state.requestRefId,
      url: state.callbackUrl,
      body,
    };
    return { job, delivery: plan.delivery };
  }

  /** List, read, resolve one (manual mode), and queue outcomes for the next pushes. */
  #controlRoutes(): SimulatorRoute[] {
    const problem = (status: number, error: string): RouteResponse => ({ status, body: { error } });
    const attempt = (run: () => RouteResponse): RouteResponse => {
      try {
        return run();
      } catch (error) {
        return problem(400, (error as Error).message);
      }
    };
    const base = '/simulator/b2b-express';
    return [
      { method: 'GET', path: base, handle: () => ok({ pushes: this.list() }) },
      {
        method: 'GET',
        path: `${base}/:id`,
        handle: ({ params }) => {
          const push = this.get(params['id']!);
          return push ? ok(push) : problem(404, 'no such RequestRefID');
        },
      },
      {
        method: 'POST',
        path: `${base}/next-outcome`,
        handle: ({ json }) => {
          const body = json as { outcomes?: unknown; outcome?: unknown } | undefined;
          const outcomes = body?.outcomes ?? (body?.outcome === undefined ? undefined : [body.outcome]);
          if (!Array.isArray(outcomes)) return problem(400, 'send {"outcomes": ["cancelled", …]}');
          return attempt(() => {
            this.enqueue(outcomes);
            return ok({ queued: outcomes.length });
          });
        },
      },
      {
        method: 'POST',
        path: `${base}/:id/resolve`,
        handle: ({ params, json }) => {
          const entry = this.#life.entries().findLast((e) => e.state.requestRefId === params['id']);
          if (!entry) return problem(404, 'no such RequestRefID');
          if (entry.state.decidedAt) return problem(409, `already decided: ${entry.state.status}`);
          const outcome = (json as { outcome?: unknown } | undefined)?.outcome ?? 'success';
          return attempt(() => {
            this.#life.settle(entry, resolvePlan(outcome));
            return ok(Object.freeze({ ...entry.state }));
          });
        },
      },
    ];
  }
}
