import { suffixRule as rule, spellOut } from './engine.js';
import { stkResultText } from './result-texts.js';

/**
 * Where a simulated STK push stands: `pending` while the prompt is open; once decided, `completed`
 * (0), `cancelled` (1032), `timeout` (1037, 1036) or `failed` (any other code). The same words as the
 * SDK's payment statuses, written out here: the simulator imports nothing of the SDK.
 */
export type SimulatedStkStatus = 'pending' | 'completed' | 'cancelled' | 'failed' | 'timeout';

/**
 * What the customer does with a simulated STK prompt:
 *
 * - `success`: enters the right PIN and pays (result code 0).
 * - `cancelled`: cancels the prompt (1032, "Request cancelled by user").
 * - `timeout`: never answers or cannot be reached (1037, "DS timeout user cannot be reached").
 * - `insufficient-funds`: has too little money (1, "The balance is insufficient for the transaction.").
 * - `wrong-pin`: enters a wrong PIN (2001, "The initiator information is invalid.").
 * - `{ resultCode, resultDesc? }`: any other result code, e.g. `{ resultCode: 17 }`.
 */
export type SimulatedStkResult =
  | 'success'
  | 'cancelled'
  | 'timeout'
  | 'insufficient-funds'
  | 'wrong-pin'
  | {
      /** The `ResultCode` to send, e.g. 17 ("Rule limited"). */
      readonly resultCode: number;
      /** The `ResultDesc` to send. @defaultValue Daraja's text for the code, or "The transaction failed." */
      readonly resultDesc?: string;
    };

/**
 * How the result reaches the callback URL:
 *
 * - `once`: one callback, as normal.
 * - `none`: no callback at all (a lost callback); the result is still visible to STK query.
 * - `duplicate`: the same callback delivered several times at once (`duplicateCallbackCount`).
 * - `late`: one callback, `lateCallbackDelayMs` after the result is decided, so an STK query already
 *   shows the final state before it arrives.
 */
export type CallbackDelivery = 'once' | 'none' | 'duplicate' | 'late';

/** A simulated outcome spelled out: the customer's result and how the callback is delivered. */
export interface SimulatorOutcomeSpec {
  /** The customer's result. */
  readonly result: SimulatedStkResult;
  /** How the callback is delivered. @defaultValue `'once'` */
  readonly delivery?: CallbackDelivery;
}

/**
 * The named outcomes, also chosen by the phone number's last two digits (see {@link STK_OUTCOME_RULES}):
 * the five customer results with one callback, and three delivery faults of a successful payment
 * (`no-callback`, `duplicate-callback`, `late-callback`).
 */
export type SimulatorOutcomeName =
  | 'success'
  | 'cancelled'
  | 'timeout'
  | 'insufficient-funds'
  | 'wrong-pin'
  | 'no-callback'
  | 'duplicate-callback'
  | 'late-callback';

/** An outcome: a name such as `'cancelled'`, or a spec such as `{ result: 'cancelled', delivery: 'late' }`. */
export type SimulatorOutcome = SimulatorOutcomeName | SimulatorOutcomeSpec;

/** One row of the phone-number rule: numbers ending in `suffix` get `outcome`. */
export interface StkOutcomeRule {
  /** The last two digits of the customer's phone number. */
  readonly suffix: string;
  /** The outcome of pushes to such numbers. */
  readonly outcome: SimulatorOutcomeName;
  /** The `ResultCode` of the callback and query. */
  readonly resultCode: number;
  /** What the test sees: the callback and query behaviour. */
  readonly description: string;
}

/**
 * The automatic outcome rule, by the last two digits of the STK push's `PhoneNumber`. Every other
 * ending (including `00` and the sandbox test number 254708374149) is `success`.
 *
 * | ends in | outcome | ResultCode | callback |
 * |---|---|---|---|
 * | `01` | `cancelled` | 1032 | once |
 * | `02` | `timeout` | 1037 | once |
 * | `03` | `insufficient-funds` | 1 | once |
 * | `04` | `wrong-pin` | 2001 | once |
 * | `05` | `no-callback` | 0 | never |
 * | `06` | `duplicate-callback` | 0 | `duplicateCallbackCount` times at once |
 * | `07` | `late-callback` | 0 | `lateCallbackDelayMs` after the result |
 * | anything else | `success` | 0 | once |
 */
export const STK_OUTCOME_RULES: readonly StkOutcomeRule[] = Object.freeze([
  rule('01', 'cancelled', 1032, 'the customer cancels'),
  rule('02', 'timeout', 1037, 'the customer cannot be reached'),
  rule('03', 'insufficient-funds', 1, 'the balance is too low'),
  rule('04', 'wrong-pin', 2001, 'the customer enters a wrong PIN'),
  rule('05', 'no-callback', 0, 'paid; the callback is never sent'),
  rule('06', 'duplicate-callback', 0, 'paid; the same callback arrives several times'),
  rule('07', 'late-callback', 0, 'paid; the callback arrives long after STK query shows the result'),
]);

/**
 * The outcome the automatic rule ({@link STK_OUTCOME_RULES}) gives a phone number.
 *
 * @param phoneNumber - The `PhoneNumber` of the push, e.g. `254712345601`.
 * @returns The outcome name; `success` when no rule matches.
 *
 * @example
 * ```ts
 * stkOutcomeForPhoneNumber('254712345601'); // 'cancelled'
 * stkOutcomeForPhoneNumber('254708374149'); // 'success'
 * ```
 */
export function stkOutcomeForPhoneNumber(phoneNumber: string | number): SimulatorOutcomeName {
  const suffix = String(phoneNumber).trim().slice(-2);
  return STK_OUTCOME_RULES.find((rule) => rule.suffix === suffix)?.outcome ?? 'success';
}

/** @internal An outcome with every choice made. */
export interface ResolvedOutcome {
  result: SimulatedStkResult;
  delivery: CallbackDelivery;
  resultCode: number;
  resultDesc: string;
  status: SimulatedStkStatus;
}

// The texts Daraja sends with each code (its STK documentation and callbacks).
const RESULTS: Record<Exclude<SimulatedStkResult, object>, { code: number; desc: string }> = {
  success: { code: 0, desc: 'The service request is processed successfully.' },
  cancelled: { code: 1032, desc: 'Request cancelled by user' },
  timeout: { code: 1037, desc: 'DS timeout user cannot be reached' },
  'insufficient-funds': { code: 1, desc: 'The balance is insufficient for the transaction.' },
  'wrong-pin': { code: 2001, desc: 'The initiator information is invalid.' },
};

const NAMED: Record<SimulatorOutcomeName, Required<SimulatorOutcomeSpec>> = {
  success: { result: 'success', delivery: 'once' },
  cancelled: { result: 'cancelled', delivery: 'once' },
  timeout: { result: 'timeout', delivery: 'once' },
  'insufficient-funds': { result: 'insufficient-funds', delivery: 'once' },
  'wrong-pin': { result: 'wrong-pin', delivery: 'once' },
  'no-callback': { result: 'success', delivery: 'none' },
  'duplicate-callback': { result: 'success', delivery: 'duplicate' },
  'late-callback': { result: 'success', delivery: 'late' },
};

const DELIVERIES: readonly CallbackDelivery[] = ['once', 'none', 'duplicate', 'late'];

/**
 * @internal
 * Spell an outcome out, or throw a `TypeError` saying what is wrong with it (outcomes come from tests
 * and from the control API, so they are checked at run time).
 */
export function resolveOutcome(outcome: SimulatorOutcome): ResolvedOutcome {
  const { result, delivery } = spellOut<SimulatedStkResult, CallbackDelivery>(
    outcome,
    NAMED,
    DELIVERIES,
    'outcome',
  );
  let code: number;
  let desc: string;
  if (typeof result === 'string' && Object.hasOwn(RESULTS, result)) {
    ({ code, desc } = RESULTS[result]);
  } else if (
    typeof result === 'object' &&
    result !== null &&
    Number.isSafeInteger(result.resultCode) &&
    result.resultCode >= 0
  ) {
    code = result.resultCode;
    desc = result.resultDesc ?? stkResultText(code);
  } else {
    throw new TypeError(
      `daraja-sim: unknown result ${JSON.stringify(result)}; use one of ${Object.keys(RESULTS).join(', ')}, or { resultCode }.`,
    );
  }
  return { result, delivery, resultCode: code, resultDesc: desc, status: statusOfResultCode(code) };
}

/**
 * The status of a decided push, by the simulator's own rule (it must not follow the SDK's catalogue it
 * checks, which may keep unknown codes pending): `0` completed, `1032` cancelled, `1037` and `1036`
 * (the customer cannot be reached) timeout, any other code failed. A decided push is never `pending`.
 */
function statusOfResultCode(code: number): SimulatedStkStatus {
  if (code === 0) return 'completed';
  if (code === 1032) return 'cancelled';
  if (code === 1037 || code === 1036) return 'timeout';
  return 'failed';
}

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
  readonly status: SimulatedStkStatus;
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
