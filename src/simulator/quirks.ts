import type { SimulatedStkTransaction } from './outcomes.js';

// What real Daraja was observed to send that its documentation does not describe (sandbox and production
// traffic, 2019–2026), each behind a switch. Where the docs and the traffic disagree, the traffic wins: the
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
 * Switches for behaviours real Daraja shows and its documentation does not (seen in sandbox and
 * production traffic, 2019–2026): the
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

/** @internal The sandbox's STK query rate: 5 per 60 s, burst 1 (seen in 2024–2026 sandbox traffic). */
export const SANDBOX_QUERY_RATE: Required<SpikeArrestRate> = Object.freeze({
  messagesPerPeriod: 5,
  periodMs: 60_000,
  burst: 1,
});

/** @internal Every STK query quirk off. */
export const OFF: ActiveStkQueryQuirks = Object.freeze({
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

/** @internal The STK query quirks, in the order their switches are read. */
export const QUERY_QUIRKS = [
  'stillProcessing',
  'emptyErrorMessage',
  'invalidCheckoutRequestId',
  'intermittentError',
] as const;

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
