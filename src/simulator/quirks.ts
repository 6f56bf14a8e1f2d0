import { createHash, randomInt } from 'node:crypto';
import type { SimulatedStkTransaction } from './outcomes.js';
import type { RouteResponse } from './routes.js';

// What real Daraja was observed to send that its documentation does not describe (daraja-api.md §21
// "Field notes"), each behind a switch. Where the docs and the traffic disagree, the traffic wins: the
// one quirk every capture shows (the value-less Balance item of success callbacks) is on by default;
// the others are opt-in, one by one or as the `realistic` preset.

/**
 * When an STK query quirk answers a query. Every condition given must hold; `{}` (or `true` in a
 * {@link SimulatorQuirkSwitch}) answers every query the quirk can answer.
 *
 * Queries are counted per `CheckoutRequestID` (1, 2, 3, …), so `every` is deterministic; `probability`
 * draws from the simulator's seeded random numbers ({@link SimulatorQuirks.seed}), so a run with the same
 * seed and the same queries gets the same answers.
 *
 * @example
 * ```ts
 * { withinMs: 10_000 }   // the first 10 s after the push
 * { every: 3 }           // the 3rd, 6th, 9th… query of each CheckoutRequestID
 * { probability: 0.2 }   // one query in five, at random (seeded)
 * ```
 */
export interface SimulatorQuirkRule {
  /** Only during the first `withinMs` ms after the push was accepted. @defaultValue no time limit */
  readonly withinMs?: number;
  /**
   * Only on every `every`-th query of the same `CheckoutRequestID`: the `every`-th, the 2×`every`-th, …
   * @defaultValue `1`: every query
   */
  readonly every?: number;
  /**
   * The chance, from 0 to 1, that a query meeting the other conditions gets the quirk, drawn from the
   * simulator's seeded random numbers. @defaultValue `1`
   */
  readonly probability?: number;
}

/** A quirk's switch: `false` (off), `true` (on for every query it can answer), or a {@link SimulatorQuirkRule}. */
export type SimulatorQuirkSwitch = boolean | SimulatorQuirkRule;

/**
 * The undocumented answers STK query was seen to give instead of the documented ones (HTTP 500 "The
 * transaction is being processed" while the prompt is open, the result once it is decided). None of them
 * is a final answer.
 *
 * When several are on, the first that applies to a query answers it, in this order:
 * `intermittentError`, `invalidCheckoutRequestId`, `stillProcessing`, `emptyErrorMessage`. A query none
 * of them answers gets the documented answer.
 */
export interface StkQueryQuirks {
  /**
   * While the prompt is open: HTTP 200 with `ResultCode "4999"`, `ResultDesc "The transaction is still
   * under processing"`, in the usual `ResponseCode "0"` envelope. Seen in 2026 sandbox runs at +1 s and
   * +10 s after the push; the same payment answered `0` at +17 s. @defaultValue `false`
   */
  readonly stillProcessing?: SimulatorQuirkSwitch;
  /**
   * While the prompt is open: HTTP 200 carrying an error envelope, `{ requestId, errorCode:
   * "500.001.1001", errorMessage: "" }`, with an empty message. @defaultValue `false`
   */
  readonly emptyErrorMessage?: SimulatorQuirkSwitch;
  /**
   * While the prompt is open: HTTP 400 `400.002.02` "Bad Request - Invalid CheckoutRequestID", as seen
   * when querying right after the push (give it a `withinMs`). @defaultValue `false`
   */
  readonly invalidCheckoutRequestId?: SimulatorQuirkSwitch;
  /**
   * For any transaction that exists, open or decided: HTTP 500 `500.001.1001` with an empty
   * `errorMessage`, an intermittent failure with no useful message. @defaultValue `false`
   */
  readonly intermittentError?: SimulatorQuirkSwitch;
}

/**
 * The gateway's SpikeArrest rate for STK queries: `messagesPerPeriod` per `periodMs`, at most `burst` at
 * once. Apigee smooths the rate, so with `burst` 1 queries must be spaced at least
 * `periodMs / messagesPerPeriod` apart (12 s in the sandbox); a query that comes sooner gets HTTP 429.
 * Rejected queries do not count.
 */
export interface SpikeArrestRate {
  /** How many queries a period allows. @defaultValue `5` (the sandbox's) */
  readonly messagesPerPeriod?: number;
  /** The period, in ms. @defaultValue `60_000` */
  readonly periodMs?: number;
  /** How many queries may come at once, a whole number from 1. @defaultValue `1` */
  readonly burst?: number;
}

/**
 * How the `PhoneNumber` item of a success callback carries the payer's number:
 *
 * - `full`: the number, as a JSON number (`254712345678`), as documented.
 * - `masked`: a string keeping the first and last four digits, `"2547****5678"` (2026 masking).
 * - `hashed`: the lowercase hex SHA-256 of the number's digits (64 characters), as seen in C2B.
 * - `omitted`: no `PhoneNumber` item at all.
 */
export type CallbackPhoneNumberForm = 'full' | 'masked' | 'hashed' | 'omitted';

/** The shape of STK callbacks. */
export interface StkCallbackQuirks {
  /**
   * A value-less `{"Name":"Balance"}` item third in success callbacks (Amount, MpesaReceiptNumber,
   * Balance, TransactionDate, PhoneNumber): every captured real success callback has it, though the
   * documentation does not. @defaultValue `true` (`false` in the `documented` preset)
   */
  readonly balanceItem?: boolean;
  /**
   * How success callbacks carry the payer's number: one {@link CallbackPhoneNumberForm} for every
   * callback, or a function choosing one per transaction. The Central Bank of Kenya approved masking
   * payer numbers; the rollout began 2026-03-24. @defaultValue `'full'`
   *
   * @example
   * ```ts
   * { phoneNumber: (t) => (t.amount > 100 ? 'masked' : 'omitted') }
   * ```
   */
  readonly phoneNumber?:
    | CallbackPhoneNumberForm
    | ((transaction: SimulatedStkTransaction) => CallbackPhoneNumberForm);
}

/**
 * A named set of quirks:
 *
 * - `documented`: only what Daraja's documentation describes (no `Balance` item either).
 * - `realistic`: a mix of what real Daraja was seen to send: every STK query quirk now and then, the
 *   sandbox's STK query rate limit, the `Balance` item and masked phone numbers in callbacks (see
 *   {@link SIMULATOR_QUIRK_PRESETS}).
 *
 * Without a preset, the simulator answers as documented, plus the `Balance` item.
 */
export type SimulatorQuirksPreset = 'documented' | 'realistic';

/**
 * Switches for behaviours real Daraja shows and its documentation does not (daraja-api.md §21): the
 * `quirks` option of `createSimulator`, {@link Simulator.setQuirks} and `POST /simulator/quirks`.
 *
 * A `preset` is the base; every other field given replaces the preset's value of that field (each STK
 * query quirk, the rate limit, each callback setting separately).
 *
 * @example
 * ```ts
 * createSimulator({ quirks: 'realistic' });
 * createSimulator({ quirks: { preset: 'realistic', seed: 42, stkQueryRateLimit: false } });
 * createSimulator({ quirks: { stkQuery: { stillProcessing: { withinMs: 5000 } } } });
 * ```
 */
export interface SimulatorQuirks {
  /** The preset to start from. @defaultValue none: documented answers plus the `Balance` item */
  readonly preset?: SimulatorQuirksPreset;
  /** STK query's undocumented in-flight answers. @defaultValue all off */
  readonly stkQuery?: StkQueryQuirks;
  /**
   * HTTP 429 from the gateway's SpikeArrest policy when STK queries come too fast: `true` for the
   * sandbox's rate (5 per 60 s, burst 1), or a {@link SpikeArrestRate} (tests use a fast one). The
   * simulator serves one app (one consumer key), so every token shares the limit, as on Daraja, where
   * it applies per app. @defaultValue `false`
   */
  readonly stkQueryRateLimit?: boolean | SpikeArrestRate;
  /** The shape of STK callbacks. */
  readonly stkCallback?: StkCallbackQuirks;
  /**
   * The seed of the random numbers behind `probability` rules, a whole number from 0 to 2³²−1. The same
   * seed gives the same answers to the same sequence of queries. @defaultValue a random seed, logged at
   * start and readable from {@link Simulator.quirks}
   */
  readonly seed?: number;
}

/** The STK query quirks in effect: each one off (`false`) or its rule. */
export interface ActiveStkQueryQuirks {
  /** See {@link StkQueryQuirks.stillProcessing}. */
  readonly stillProcessing: SimulatorQuirkRule | false;
  /** See {@link StkQueryQuirks.emptyErrorMessage}. */
  readonly emptyErrorMessage: SimulatorQuirkRule | false;
  /** See {@link StkQueryQuirks.invalidCheckoutRequestId}. */
  readonly invalidCheckoutRequestId: SimulatorQuirkRule | false;
  /** See {@link StkQueryQuirks.intermittentError}. */
  readonly intermittentError: SimulatorQuirkRule | false;
}

/** The quirks in effect ({@link Simulator.quirks}): the preset applied and every switch spelled out. */
export interface ActiveSimulatorQuirks {
  /** The preset they started from, if any. */
  readonly preset: SimulatorQuirksPreset | undefined;
  /** STK query's in-flight answers. */
  readonly stkQuery: ActiveStkQueryQuirks;
  /** The STK query rate limit, or `false`. */
  readonly stkQueryRateLimit: Required<SpikeArrestRate> | false;
  /** The shape of STK callbacks. */
  readonly stkCallback: Required<StkCallbackQuirks>;
  /** The seed of the random numbers behind `probability` rules. */
  readonly seed: number;
}

/** The sandbox's STK query rate: 5 per 60 s, burst 1 (daraja-api.md §21). */
const SANDBOX_QUERY_RATE: Required<SpikeArrestRate> = Object.freeze({
  messagesPerPeriod: 5,
  periodMs: 60_000,
  burst: 1,
});

const OFF: ActiveStkQueryQuirks = Object.freeze({
  stillProcessing: false,
  emptyErrorMessage: false,
  invalidCheckoutRequestId: false,
  intermittentError: false,
});

/**
 * What each preset turns on. `realistic` draws its `probability` rules from the seeded random numbers,
 * so pass a `seed` for repeatable runs:
 *
 * | quirk | `documented` | `realistic` |
 * |---|---|---|
 * | `stkQuery.invalidCheckoutRequestId` | off | the first second after the push, half the queries |
 * | `stkQuery.stillProcessing` (4999) | off | the first 15 s after the push, half the queries |
 * | `stkQuery.emptyErrorMessage` | off | one open-prompt query in ten |
 * | `stkQuery.intermittentError` | off | one query in twenty |
 * | `stkQueryRateLimit` | off | 5 per 60 s, burst 1 (the sandbox's) |
 * | `stkCallback.balanceItem` | off | on |
 * | `stkCallback.phoneNumber` | `full` | `masked` |
 */
export const SIMULATOR_QUIRK_PRESETS: Readonly<Record<SimulatorQuirksPreset, SimulatorQuirks>> = deepFreeze({
  documented: {
    stkQuery: {
      stillProcessing: false,
      emptyErrorMessage: false,
      invalidCheckoutRequestId: false,
      intermittentError: false,
    },
    stkQueryRateLimit: false,
    stkCallback: { balanceItem: false, phoneNumber: 'full' },
  },
  realistic: {
    stkQuery: {
      invalidCheckoutRequestId: { withinMs: 1000, probability: 0.5 },
      stillProcessing: { withinMs: 15_000, probability: 0.5 },
      emptyErrorMessage: { probability: 0.1 },
      intermittentError: { probability: 0.05 },
    },
    stkQueryRateLimit: { ...SANDBOX_QUERY_RATE },
    stkCallback: { balanceItem: true, phoneNumber: 'masked' },
  },
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** @internal One problem with a quirks value, named by its path (`quirks.stkQuery.stillProcessing.every`). */
export interface QuirkIssue {
  field: string;
  message: string;
}

const QUERY_QUIRKS = [
  'stillProcessing',
  'emptyErrorMessage',
  'invalidCheckoutRequestId',
  'intermittentError',
] as const;
const PHONE_FORMS: readonly CallbackPhoneNumberForm[] = ['full', 'masked', 'hashed', 'omitted'];
const PRESETS: readonly SimulatorQuirksPreset[] = ['documented', 'realistic'];
const MAX_MS = 2_147_483_647;
const MAX_SEED = 2 ** 32 - 1;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isWhole = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * @internal
 * Check a `quirks` value (from options, a test or the control API's JSON) and spell it out: the preset
 * applied, every switch a rule or `false`, a seed chosen when none is given.
 *
 * @returns The quirks in effect, or every problem found (unknown keys included).
 */
export function activeQuirks(
  input: unknown,
  path = 'quirks',
): { quirks: ActiveSimulatorQuirks; issues?: undefined } | { quirks?: undefined; issues: QuirkIssue[] } {
  const issues: QuirkIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });
  let spec: Record<string, unknown> = {};
  if (typeof input === 'string') spec = { preset: input };
  else if (isObject(input)) spec = input;
  else if (input !== undefined) add(path, 'must be "documented", "realistic" or an object of quirks.');
  const unknownKeys = (value: Record<string, unknown>, known: readonly string[], at: string) => {
    for (const key of Object.keys(value))
      if (!known.includes(key)) add(`${at}.${key}`, 'unknown quirk; check its spelling.');
  };
  unknownKeys(spec, ['preset', 'stkQuery', 'stkQueryRateLimit', 'stkCallback', 'seed'], path);

  let preset: SimulatorQuirksPreset | undefined;
  if (spec['preset'] !== undefined) {
    if (PRESETS.includes(spec['preset'] as SimulatorQuirksPreset))
      preset = spec['preset'] as SimulatorQuirksPreset;
    else add(`${path}.preset`, 'must be "documented" or "realistic".');
  }
  const base = preset === undefined ? undefined : SIMULATOR_QUIRK_PRESETS[preset];

  // STK query quirks: each given switch replaces the preset's.
  const stkQuery: Record<string, SimulatorQuirkRule | false> = { ...OFF };
  for (const name of QUERY_QUIRKS) {
    const fromPreset = base?.stkQuery?.[name];
    if (fromPreset !== undefined) stkQuery[name] = ruleOf(fromPreset, '', () => {});
  }
  const query = spec['stkQuery'];
  if (query !== undefined) {
    if (!isObject(query)) add(`${path}.stkQuery`, 'must be an object of STK query quirks.');
    else {
      unknownKeys(query, QUERY_QUIRKS, `${path}.stkQuery`);
      for (const name of QUERY_QUIRKS) {
        if (query[name] !== undefined) stkQuery[name] = ruleOf(query[name], `${path}.stkQuery.${name}`, add);
      }
    }
  }

  // The rate limit.
  let rate: Required<SpikeArrestRate> | false = false;
  const given = spec['stkQueryRateLimit'] ?? base?.stkQueryRateLimit;
  if (given === true) rate = SANDBOX_QUERY_RATE;
  else if (isObject(given)) {
    const at = `${path}.stkQueryRateLimit`;
    unknownKeys(given, ['messagesPerPeriod', 'periodMs', 'burst'], at);
    const r = { ...SANDBOX_QUERY_RATE, ...withoutUndefined(given) } as Record<string, unknown>;
    if (!isWhole(r['messagesPerPeriod'], 1, 1_000_000))
      add(`${at}.messagesPerPeriod`, 'must be a whole number from 1.');
    if (!isWhole(r['periodMs'], 1, MAX_MS))
      add(`${at}.periodMs`, `must be a whole number of ms from 1 to ${MAX_MS}.`);
    if (!isWhole(r['burst'], 1, 1_000_000)) add(`${at}.burst`, 'must be a whole number from 1.');
    rate = Object.freeze(r as Required<SpikeArrestRate>);
  } else if (given !== undefined && given !== false) {
    add(`${path}.stkQueryRateLimit`, 'must be true, false or { messagesPerPeriod, periodMs, burst }.');
  }

  // Callbacks.
  let balanceItem = base?.stkCallback?.balanceItem ?? true;
  let phoneNumber: Required<StkCallbackQuirks>['phoneNumber'] = base?.stkCallback?.phoneNumber ?? 'full';
  const callback = spec['stkCallback'];
  if (callback !== undefined) {
    const at = `${path}.stkCallback`;
    if (!isObject(callback)) add(at, 'must be an object of callback quirks.');
    else {
      unknownKeys(callback, ['balanceItem', 'phoneNumber'], at);
      if (callback['balanceItem'] !== undefined) {
        if (typeof callback['balanceItem'] === 'boolean') balanceItem = callback['balanceItem'];
        else add(`${at}.balanceItem`, 'must be true or false.');
      }
      const form = callback['phoneNumber'];
      if (form !== undefined) {
        if (typeof form === 'function' || PHONE_FORMS.includes(form as CallbackPhoneNumberForm)) {
          phoneNumber = form as Required<StkCallbackQuirks>['phoneNumber'];
        } else
          add(`${at}.phoneNumber`, `must be one of ${PHONE_FORMS.join(', ')}, or a function returning one.`);
      }
    }
  }

  let seed = randomInt(MAX_SEED);
  if (spec['seed'] !== undefined) {
    if (isWhole(spec['seed'], 0, MAX_SEED)) seed = spec['seed'];
    else add(`${path}.seed`, `must be a whole number from 0 to ${MAX_SEED}.`);
  }
  if (issues.length > 0) return { issues };
  return {
    quirks: Object.freeze({
      preset,
      stkQuery: Object.freeze(stkQuery as unknown as ActiveStkQueryQuirks),
      stkQueryRateLimit: rate,
      stkCallback: Object.freeze({ balanceItem, phoneNumber }),
      seed,
    }),
  };
}

/** A switch as a rule (`true` → `{}`), or `false`; problems go to `add`. */
function ruleOf(
  value: unknown,
  at: string,
  add: (field: string, message: string) => void,
): SimulatorQuirkRule | false {
  if (value === false) return false;
  if (value === true) return Object.freeze({});
  if (!isObject(value)) {
    add(at, 'must be true, false or { withinMs, every, probability }.');
    return false;
  }
  for (const key of Object.keys(value)) {
    if (!['withinMs', 'every', 'probability'].includes(key))
      add(`${at}.${key}`, 'unknown condition; check its spelling.');
  }
  const { withinMs, every, probability } = value;
  if (withinMs !== undefined && !isWhole(withinMs, 0, MAX_MS))
    add(`${at}.withinMs`, `must be a whole number of ms from 0 to ${MAX_MS}.`);
  if (every !== undefined && !isWhole(every, 1, Number.MAX_SAFE_INTEGER))
    add(`${at}.every`, 'must be a whole number from 1.');
  if (
    probability !== undefined &&
    !(typeof probability === 'number' && Number.isFinite(probability) && probability >= 0 && probability <= 1)
  ) {
    add(`${at}.probability`, 'must be a number from 0 to 1.');
  }
  return Object.freeze(withoutUndefined({ withinMs, every, probability }) as SimulatorQuirkRule);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** @internal The quirks as JSON for the control API: a `phoneNumber` function reads `"function"`. */
export function quirksJson(quirks: ActiveSimulatorQuirks): unknown {
  const { phoneNumber } = quirks.stkCallback;
  return {
    ...quirks,
    stkCallback: {
      ...quirks.stkCallback,
      phoneNumber: typeof phoneNumber === 'function' ? 'function' : phoneNumber,
    },
  };
}

/** @internal The name of an STK query quirk. */
export type StkQueryQuirkName = (typeof QUERY_QUIRKS)[number];

/** @internal What the quirk rules look at for one query. */
export interface QueryContext {
  /** The prompt is still open. */
  pending: boolean;
  /** How long ago the push was accepted, in ms. */
  ageMs: number;
  /** This query's number among the queries of the same `CheckoutRequestID`, from 1. */
  queryNumber: number;
}

// The order in which the quirks get a chance to answer; open-prompt quirks skip decided transactions.
const ORDER: ReadonlyArray<[StkQueryQuirkName, 'any' | 'pending']> = [
  ['intermittentError', 'any'],
  ['invalidCheckoutRequestId', 'pending'],
  ['stillProcessing', 'pending'],
  ['emptyErrorMessage', 'pending'],
];

/**
 * @internal
 * The quirk that answers this query, if any. Random numbers are drawn only for a rule whose other
 * conditions hold, so deterministic rules never consume them.
 */
export function pickQueryQuirk(
  quirks: ActiveStkQueryQuirks,
  query: QueryContext,
  random: () => number,
): StkQueryQuirkName | undefined {
  for (const [name, when] of ORDER) {
    const rule = quirks[name];
    if (rule === false || (when === 'pending' && !query.pending)) continue;
    if (rule.withinMs !== undefined && query.ageMs >= rule.withinMs) continue;
    if (query.queryNumber % (rule.every ?? 1) !== 0) continue;
    const p = rule.probability ?? 1;
    if (p >= 1 || (p > 0 && random() < p)) return name;
  }
  return undefined;
}

/**
 * @internal
 * Deterministic random numbers in [0, 1) from a 32-bit seed (mulberry32): the simulator's quirks must
 * repeat exactly under the same seed, which `Math.random` cannot.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * @internal
 * Apigee's SpikeArrest as a generic cell rate algorithm: one message per `periodMs / messagesPerPeriod`,
 * with up to `burst` at once. A rejected message does not count.
 */
export class SpikeArrest {
  readonly rate: Required<SpikeArrestRate>;
  #theoreticalArrival = Number.NEGATIVE_INFINITY;

  constructor(rate: Required<SpikeArrestRate>) {
    this.rate = rate;
  }

  /** Let a message through at `now` (ms), or refuse it. */
  take(now: number): boolean {
    const interval = this.rate.periodMs / this.rate.messagesPerPeriod;
    const tolerance = (this.rate.burst - 1) * interval;
    const arrival = Math.max(this.#theoreticalArrival, now);
    if (arrival - now > tolerance) return false;
    this.#theoreticalArrival = arrival + interval;
    return true;
  }

  /** Forget the messages seen so far. */
  reset(): void {
    this.#theoreticalArrival = Number.NEGATIVE_INFINITY;
  }
}

/** @internal The gateway's HTTP 429 answer: an Apigee fault naming the rate. */
export function spikeArrestViolation(rate: Required<SpikeArrestRate>): RouteResponse {
  const messageRate =
    `MessageRate{messagesPerPeriod=${rate.messagesPerPeriod}, periodInMicroseconds=${rate.periodMs * 1000}, ` +
    `maxBurstMessageCount=${rate.burst.toFixed(1)}}`;
  return {
    status: 429,
    body: {
      fault: {
        faultstring: `Spike arrest violation. Allowed rate : ${messageRate}`,
        detail: { errorcode: 'policies.ratelimit.SpikeArrestViolation' },
      },
    },
  };
}

/**
 * @internal
 * The `PhoneNumber` item of a success callback in the given form, or `undefined` to leave it out.
 *
 * @param msisdn - The payer's number, `2547XXXXXXXX`.
 */
export function callbackPhoneNumberItem(
  form: CallbackPhoneNumberForm,
  msisdn: string,
): { Name: 'PhoneNumber'; Value: number | string } | undefined {
  switch (form) {
    case 'omitted':
      return undefined;
    case 'masked':
      return { Name: 'PhoneNumber', Value: `${msisdn.slice(0, 4)}****${msisdn.slice(-4)}` };
    case 'hashed':
      return { Name: 'PhoneNumber', Value: createHash('sha256').update(msisdn).digest('hex') };
    default:
      return { Name: 'PhoneNumber', Value: Number(msisdn) };
  }
}
