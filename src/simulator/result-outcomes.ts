import { suffixRule as rule, spellOut } from './engine.js';

/**
 * What the simulated M-Pesa does with an initiator request (B2C, B2B, tax, transaction status, account
 * balance, reversal):
 *
 * - `success`: processes it normally. The result still reports what the simulator's state says: a
 *   wrong initiator or `SecurityCredential` (2001), too little money (1), an unknown (`R000002`) or
 *   already reversed (`R000001`) receipt, an unknown transaction for a status query.
 * - `insufficient-funds`: result code 1, "The balance is insufficient for the transaction."
 * - `initiator-invalid`: result code 2001, "The initiator information is invalid."
 * - `unregistered-customer`: result code 2040 (B2C only; other operations process normally).
 * - `{ resultCode, resultDesc? }`: any other result code, e.g. `{ resultCode: 2028 }` or
 *   `{ resultCode: 'SFC_IC0003' }`.
 */
export type SimulatedResult =
  | 'success'
  | 'insufficient-funds'
  | 'initiator-invalid'
  | 'unregistered-customer'
  | {
      /** The `ResultCode` to send, e.g. 2028 or `'SFC_IC0003'`. */
      readonly resultCode: number | string;
      /** The `ResultDesc` to send. @defaultValue Daraja's text for the code (the simulator's own table) */
      readonly resultDesc?: string;
    };

/**
 * How the result reaches the `ResultURL`:
 *
 * - `once`: one result, as normal.
 * - `none`: no result at all (a lost callback); the request is still processed.
 * - `duplicate`: the same result delivered several times at once (`duplicateCallbackCount`).
 * - `late`: one result, `lateCallbackDelayMs` after the request is processed.
 * - `queue-timeout`: the request is never processed; a queue-timeout notice goes to the
 *   `QueueTimeOutURL` instead.
 */
export type ResultDelivery = 'once' | 'none' | 'duplicate' | 'late' | 'queue-timeout';

/** An initiator outcome spelled out: the result and how it is delivered. */
export interface ResultOutcomeSpec {
  /** What M-Pesa decides. */
  readonly result: SimulatedResult;
  /** How the result is delivered. @defaultValue `'once'` */
  readonly delivery?: ResultDelivery;
}

/**
 * The named initiator outcomes, also chosen by the last two digits of a phone number or amount (see
 * {@link RESULT_OUTCOME_RULES}): four results with one callback, three delivery faults of a processed
 * request (`no-callback`, `duplicate-callback`, `late-callback`, as for STK), and `queue-timeout`.
 */
export type ResultOutcomeName =
  | 'success'
  | 'insufficient-funds'
  | 'initiator-invalid'
  | 'unregistered-customer'
  | 'no-callback'
  | 'duplicate-callback'
  | 'late-callback'
  | 'queue-timeout';

/** An initiator outcome: a name such as `'insufficient-funds'`, or a spec such as `{ result: 'success', delivery: 'late' }`. */
export type ResultOutcome = ResultOutcomeName | ResultOutcomeSpec;

/** One row of the initiator rule: phone numbers or amounts ending in `suffix` get `outcome`. */
export interface ResultOutcomeRule {
  /** The last two digits of B2C's `PartyB`, or of the `Amount` (100 or more) of B2B, tax and reversal. */
  readonly suffix: string;
  /** The outcome. */
  readonly outcome: ResultOutcomeName;
  /** The `ResultCode` of the result; `undefined` when no result is sent (`queue-timeout`). */
  readonly resultCode: number | undefined;
  /** What the test sees. */
  readonly description: string;
}

/**
 * The automatic rule of the initiator APIs, in `auto` mode. The digits are those of B2C's `PartyB` (the
 * customer's phone number), or of the `Amount` of B2B, tax and reversal when it is 100 or more (smaller
 * amounts, and round amounts such as 1500, succeed). Account balance and transaction status have neither:
 * they succeed unless an outcome is queued with {@link Simulator.nextResult}. The suffixes mean what
 * they mean for STK where both apply (`03`, `04`, `05`, `06`, `07`).
 *
 * | ends in | outcome | ResultCode | result |
 * |---|---|---|---|
 * | `02` | `queue-timeout` | none | a queue-timeout notice to `QueueTimeOutURL`, no result |
 * | `03` | `insufficient-funds` | 1 | once |
 * | `04` | `initiator-invalid` | 2001 | once |
 * | `05` | `no-callback` | 0 | never |
 * | `06` | `duplicate-callback` | 0 | `duplicateCallbackCount` times at once |
 * | `07` | `late-callback` | 0 | `lateCallbackDelayMs` after processing |
 * | `08` | `unregistered-customer` | 2040 | once (B2C only; elsewhere `success`) |
 * | anything else | `success` | 0 | once |
 */
export const RESULT_OUTCOME_RULES: readonly ResultOutcomeRule[] = Object.freeze([
  rule('02', 'queue-timeout', undefined, 'not processed; a queue-timeout notice goes to QueueTimeOutURL'),
  rule('03', 'insufficient-funds', 1, 'the balance is too low'),
  rule('04', 'initiator-invalid', 2001, 'the initiator is refused'),
  rule('05', 'no-callback', 0, 'processed; the result is never sent'),
  rule('06', 'duplicate-callback', 0, 'processed; the same result arrives several times'),
  rule('07', 'late-callback', 0, 'processed; the result arrives late'),
  rule('08', 'unregistered-customer', 2040, 'B2C: the customer is not registered on M-Pesa'),
]);

/**
 * The outcome the initiator rule ({@link RESULT_OUTCOME_RULES}) gives a B2C phone number or an amount.
 *
 * @param value - B2C's `PartyB` (e.g. `254712345603`), or an amount (e.g. `1003`). Amounts under 100 always
 * give `success`.
 * @returns The outcome name; `success` when no rule matches.
 *
 * @example
 * ```ts
 * resultOutcomeFor('254712345603'); // 'insufficient-funds'
 * resultOutcomeFor(1005); // 'no-callback'
 * resultOutcomeFor(5); // 'success': under 100
 * ```
 */
export function resultOutcomeFor(value: string | number): ResultOutcomeName {
  const text = String(value).trim();
  if (typeof value === 'number' && !(value >= 100)) return 'success';
  const suffix = text.replace(/\.0+$/, '').slice(-2);
  return RESULT_OUTCOME_RULES.find((rule) => rule.suffix === suffix)?.outcome ?? 'success';
}

/** @internal An initiator outcome with every choice made (the code is resolved when the result is built). */
export interface ResolvedResultOutcome {
  result: SimulatedResult;
  delivery: ResultDelivery;
}

const NAMED: Record<ResultOutcomeName, Required<ResultOutcomeSpec>> = {
  success: { result: 'success', delivery: 'once' },
  'insufficient-funds': { result: 'insufficient-funds', delivery: 'once' },
  'initiator-invalid': { result: 'initiator-invalid', delivery: 'once' },
  'unregistered-customer': { result: 'unregistered-customer', delivery: 'once' },
  'no-callback': { result: 'success', delivery: 'none' },
  'duplicate-callback': { result: 'success', delivery: 'duplicate' },
  'late-callback': { result: 'success', delivery: 'late' },
  'queue-timeout': { result: 'success', delivery: 'queue-timeout' },
};

const RESULTS = ['success', 'insufficient-funds', 'initiator-invalid', 'unregistered-customer'];
const DELIVERIES: readonly ResultDelivery[] = ['once', 'none', 'duplicate', 'late', 'queue-timeout'];

/**
 * @internal
 * Spell an initiator outcome out, or throw a `TypeError` saying what is wrong with it (outcomes come from
 * tests and from the control API, so they are checked at run time).
 */
export function resolveResultOutcome(outcome: ResultOutcome): ResolvedResultOutcome {
  const { result, delivery } = spellOut<SimulatedResult, ResultDelivery>(
    outcome,
    NAMED,
    DELIVERIES,
    'result outcome',
  );
  const valid =
    (typeof result === 'string' && RESULTS.includes(result)) ||
    (typeof result === 'object' &&
      result !== null &&
      ((typeof result.resultCode === 'number' &&
        Number.isSafeInteger(result.resultCode) &&
        result.resultCode >= 0) ||
        (typeof result.resultCode === 'string' && /^[A-Za-z0-9_]{1,20}$/.test(result.resultCode))) &&
      (result.resultDesc === undefined || typeof result.resultDesc === 'string'));
  if (!valid) {
    throw new TypeError(
      `daraja-sim: unknown result ${JSON.stringify(result)}; use one of ${RESULTS.join(', ')}, or { resultCode }.`,
    );
  }
  return { result, delivery };
}
