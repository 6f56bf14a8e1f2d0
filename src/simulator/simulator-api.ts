import type { SimulatedC2bPayment, SimulatedC2bRegistration } from './c2b.js';
import type { SimulatorCallbackRecord } from './callbacks.js';
import type { SimulatorMode } from './engine.js';
import type { SimulatedOperation } from './initiator-operations/simulation.js';
import type { SimulatedLedgerEntry } from './ledger.js';
import type { SimulatedStkTransaction, SimulatorOutcome } from './outcomes.js';
import type { ActiveSimulatorQuirks, SimulatorQuirks, SimulatorQuirksPreset } from './quirks.js';
import type { ResultOutcome } from './result-outcomes.js';
import type { SimulatorRequest } from './server.js';

/**
 * A running simulator, returned by {@link createSimulator}. Point a client at {@link Simulator.url}
 * with the simulator's credentials, or use {@link Simulator.env} with `Daraja.fromEnv`.
 */
export interface Simulator {
  /** The base URL, e.g. `http://127.0.0.1:54321`: the client's `baseUrl` / `MPESA_BASE_URL`. */
  readonly url: string;
  /** The interface it listens on. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** The consumer key OAuth accepts. */
  readonly consumerKey: string;
  /** The consumer secret OAuth accepts. */
  readonly consumerSecret: string;
  /** The `BusinessShortCode` STK push and query accept. */
  readonly shortcode: string;
  /** The passkey STK passwords must be built with. */
  readonly passkey: string;
  /**
   * The `MPESA_*` environment variables that point `Daraja.fromEnv()` at this simulator:
   * `MPESA_BASE_URL`, `MPESA_CONSUMER_KEY`, `MPESA_CONSUMER_SECRET`, `MPESA_SHORTCODE`, `MPESA_PASSKEY`.
   * Add `MPESA_CALLBACK_URL` yourself.
   */
  readonly env: Readonly<Record<string, string>>;
  /**
   * How new STK pushes and initiator requests are decided; settable at any time (queued outcomes still
   * come first).
   */
  mode: SimulatorMode;
  /** The initiator name the initiator APIs accept. */
  readonly initiatorName: string;
  /** The initiator password a `SecurityCredential` must decrypt to (a test value). */
  readonly initiatorPassword: string;
  /** The organisation shortcode the initiator may act for: the client's `initiatorShortcode`. */
  readonly initiatorShortcode: string;
  /**
   * The certificate (PEM) to give the client as `certificate`, with `initiatorPassword`, so the SDK
   * builds a `SecurityCredential` the simulator accepts, as it does with Safaricom's certificate. Generated
   * on first read unless `certificate` was given.
   */
  readonly certificate: string;
  /**
   * A `SecurityCredential` the simulator accepts: `initiatorPassword` encrypted with
   * {@link Simulator.certificate}. A new one each call (the encryption is randomised); all are valid.
   */
  securityCredential(): string;
  /** Every Daraja request answered so far, oldest first (a copy). */
  readonly requests: readonly SimulatorRequest[];
  /** Every callback delivery attempt so far, oldest first (a copy). */
  readonly callbacks: readonly SimulatorCallbackRecord[];
  /** Every STK transaction so far, oldest first (snapshots). */
  readonly transactions: readonly SimulatedStkTransaction[];
  /** Every accepted initiator request (B2C, B2B, tax, status, balance, reversal), oldest first (snapshots). */
  readonly operations: readonly SimulatedOperation[];
  /** The C2B URLs registered, one per shortcode. */
  readonly c2bRegistrations: readonly SimulatedC2bRegistration[];
  /** Every simulated C2B payment, oldest first (snapshots). */
  readonly c2bPayments: readonly SimulatedC2bPayment[];
  /**
   * Every completed money movement (STK and C2B payments, B2C, B2B, tax, reversals), oldest first: what
   * transaction status finds, reversal reverses and pull transactions lists.
   */
  readonly ledger: readonly SimulatedLedgerEntry[];
  /**
   * The state of one STK push.
   *
   * @param checkoutRequestId - The `CheckoutRequestID` the push returned.
   * @returns A snapshot, or `undefined` for an unknown id.
   */
  transaction(checkoutRequestId: string): SimulatedStkTransaction | undefined;
  /**
   * Decide an open STK prompt now (`manual` mode, or an `auto` push not yet decided): STK query shows
   * the result at once, and the callback is sent as the outcome's delivery says.
   *
   * @param checkoutRequestId - The `CheckoutRequestID` the push returned.
   * @param outcome - What the customer does. @defaultValue `'success'`
   * @returns The decided transaction.
   * @throws `Error` for an unknown or already decided id, `TypeError` for an unknown outcome.
   *
   * @example
   * ```ts
   * const { checkoutRequestId } = await daraja.stk.push({ ... });
   * sim.resolve(checkoutRequestId, 'wrong-pin');
   * ```
   */
  resolve(checkoutRequestId: string, outcome?: SimulatorOutcome): SimulatedStkTransaction;
  /**
   * Queue the outcomes of the next pushes, in order, whatever the mode and phone number. `'manual'`
   * keeps that one push open until {@link Simulator.resolve}.
   *
   * @param outcomes - One outcome per coming push.
   * @throws `TypeError` for an unknown outcome.
   *
   * @example
   * ```ts
   * sim.nextOutcome('cancelled', { result: 'success', delivery: 'duplicate' });
   * ```
   */
  nextOutcome(...outcomes: Array<SimulatorOutcome | 'manual'>): void;
  /**
   * The state of one initiator request.
   *
   * @param id - Its `ConversationID` or `OriginatorConversationID` (B2C's idempotency key).
   * @returns A snapshot, or `undefined` for an unknown id.
   */
  operation(id: string): SimulatedOperation | undefined;
  /**
   * Process an initiator request now (`manual` mode, or an `auto` one not yet processed): its result is
   * decided and sent as the outcome's delivery says.
   *
   * @param id - Its `ConversationID` or `OriginatorConversationID`.
   * @param outcome - What M-Pesa does. @defaultValue `'success'`
   * @returns The processed request.
   * @throws `Error` for an unknown or already processed id, `TypeError` for an unknown outcome.
   *
   * @example
   * ```ts
   * const { originatorConversationId } = await daraja.b2c.pay({ ... });
   * sim.resolveResult(originatorConversationId, 'insufficient-funds');
   * ```
   */
  resolveResult(id: string, outcome?: ResultOutcome): SimulatedOperation;
  /**
   * Queue the outcomes of the next initiator requests (any of B2C, B2B, tax, status, balance, reversal),
   * in order, whatever the mode and the rule. `'manual'` holds that one request until
   * {@link Simulator.resolveResult}. STK pushes have their own queue ({@link Simulator.nextOutcome}).
   *
   * @param outcomes - One outcome per coming request.
   * @throws `TypeError` for an unknown outcome.
   *
   * @example
   * ```ts
   * sim.nextResult('queue-timeout', { result: { resultCode: 2028 }, delivery: 'duplicate' });
   * ```
   */
  nextResult(...outcomes: Array<ResultOutcome | 'manual'>): void;
  /**
   * Hold back the answers of the next `count` Daraja API requests (not OAuth) for `delayMs`: each request
   * is processed at once, but its answer comes late, so a client with a shorter timeout sees no answer.
   * This is how to test what happens when a request reached Daraja and the answer was lost (e.g. the B2C
   * retry with the same `OriginatorConversationID`).
   *
   * @param delayMs - How long to hold each answer.
   * @param count - How many answers to hold. @defaultValue `1`
   */
  delayResponses(delayMs: number, count?: number): void;
  /** Make every access token issued so far invalid, as if it expired: the next API call gets 404.001.03. */
  expireTokens(): void;
  /**
   * The quirks in effect: the preset applied, every switch spelled out, and the seed of the random
   * numbers behind `probability` rules (to repeat a run, pass it back as `seed`).
   */
  readonly quirks: ActiveSimulatorQuirks;
  /**
   * Replace the quirks, as the `quirks` option sets them (what is left out takes its default, not its
   * current value). The random numbers restart from the seed, and the rate limit forgets past queries.
   *
   * @param quirks - A preset name or a {@link SimulatorQuirks} object.
   * @returns The quirks now in effect.
   * @throws `TypeError` naming every invalid field.
   *
   * @example
   * ```ts
   * sim.setQuirks({ stkQuery: { stillProcessing: true } }); // every open-prompt query answers 4999
   * sim.setQuirks('documented');
   * ```
   */
  setQuirks(quirks: SimulatorQuirksPreset | SimulatorQuirks): ActiveSimulatorQuirks;
  /**
   * Resolves when no decision or callback is waiting or in flight: every callback due has been
   * delivered (or failed) and recorded. Prompts waiting for {@link Simulator.resolve} do not count.
   */
  idle(): Promise<void>;
  /**
   * Forget requests, callbacks, transactions, initiator requests, C2B registrations and payments, the ledger
   * and queued outcomes, and cancel pending work. Tokens and quirks stay; the quirks' random numbers restart
   * from the seed, and the STK query rate limit forgets past queries.
   */
  reset(): void;
  /** Stop: cancel pending decisions and callbacks, close every connection and the server. */
  close(): Promise<void>;
}
