import { DarajaConfigError, type DarajaConfigIssue } from '../core/errors.js';
import { createLog, type DarajaLogger } from '../core/logger.js';
import { C2bSimulation, type SimulatedC2bPayment, type SimulatedC2bRegistration } from './c2b.js';
import { CallbackSender, type SimulatorCallbackRecord } from './callbacks.js';
import {
  type CredentialKeys,
  credentialKeysFrom,
  defaultCredentialKeys,
  encryptCredential,
} from './certificate.js';
import { controlRoutes } from './control.js';
import { type CredentialCheck, InitiatorSimulation, type SimulatedOperation } from './initiator.js';
import { CUSTOMER, Ledger, ORGANISATION_NAME, type SimulatedLedgerEntry } from './ledger.js';
import { oauthRoutes, TokenStore } from './oauth.js';
import type { SimulatorOutcome } from './outcomes.js';
import { qrRoutes } from './qr.js';
import {
  type ActiveSimulatorQuirks,
  activeQuirks,
  type SimulatorQuirks,
  type SimulatorQuirksPreset,
} from './quirks.js';
import type { ResultOutcome } from './result-outcomes.js';
import { Scheduler } from './scheduler.js';
import { type SimulatorRequest, startServer } from './server.js';
import { type SimulatedStkTransaction, type SimulatorMode, StkSimulation } from './stk.js';

/** The values the simulator uses for every option you leave out. */
export const SIMULATOR_DEFAULTS = Object.freeze({
  /** Listen on a random free port. */
  port: 0,
  /** Listen on the loopback interface only. */
  host: '127.0.0.1',
  /** The consumer key the simulator accepts (a fake value: it is not a secret). */
  consumerKey: 'simulator-consumer-key',
  /** The consumer secret the simulator accepts (a fake value: it is not a secret). */
  consumerSecret: 'simulator-consumer-secret',
  /** Safaricom's public sandbox shortcode (daraja-api.md §17). */
  shortcode: '174379',
  /** Safaricom's public sandbox passkey (daraja-api.md §17). */
  passkey: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
  /** Access tokens live 3599 s, as Daraja's `expires_in` says. */
  tokenLifetimeMs: 3_599_000,
  /** Outcomes come from the phone-number rule. */
  mode: 'auto' as SimulatorMode,
  /** A push, initiator request or C2B payment is decided, and its callback sent, one second after it is accepted. */
  callbackDelayMs: 1000,
  /** A late callback comes 10 s after its result is decided. */
  lateCallbackDelayMs: 10_000,
  /** A duplicated callback is delivered twice. */
  duplicateCallbackCount: 2,
  /** A callback receiver gets 10 s to answer. */
  callbackTimeoutMs: 10_000,
  /** The initiator name the initiator APIs accept (the one in Daraja's samples; a fake value). */
  initiatorName: 'testapi',
  /** The initiator password a `SecurityCredential` must decrypt to (a fake value: it is not a secret). */
  initiatorPassword: 'simulator-initiator-password',
  /** The organisation shortcode of the initiator APIs (`PartyA`), as in Daraja's samples. */
  initiatorShortcode: '600000',
  /** `SecurityCredential` must decrypt, with the simulator's private key, to the initiator password. */
  credentialCheck: 'decrypt' as CredentialCheck,
  /** A C2B validation URL gets 8 s to answer, as on Daraja; then the registered `ResponseType` applies. */
  c2bValidationTimeoutMs: 8000,
});

/** Options of {@link createSimulator}. Every one is optional; see {@link SIMULATOR_DEFAULTS}. */
export interface SimulatorOptions {
  /** The port to listen on; 0 picks a free one (read it from {@link Simulator.url}). @defaultValue `0` */
  port?: number;
  /** The interface to listen on. @defaultValue `'127.0.0.1'` */
  host?: string;
  /** The consumer key OAuth accepts. @defaultValue `'simulator-consumer-key'` */
  consumerKey?: string;
  /** The consumer secret OAuth accepts. @defaultValue `'simulator-consumer-secret'` */
  consumerSecret?: string;
  /** The only `BusinessShortCode` STK push and query accept. @defaultValue `'174379'` */
  shortcode?: string | number;
  /** The passkey STK passwords must be built with. @defaultValue the public sandbox passkey */
  passkey?: string;
  /**
   * How long an access token stays valid, in ms. `expires_in` says the same, in whole seconds (at
   * least 1), so a lifetime under a second makes tokens expire before the client expects: useful to
   * test the replay after "Invalid Access Token". @defaultValue `3_599_000`
   */
  tokenLifetimeMs?: number;
  /**
   * `auto` (outcomes by rule) or `manual` (STK prompts wait for {@link Simulator.resolve}, initiator requests
   * for {@link Simulator.resolveResult}). @defaultValue `'auto'`
   */
  mode?: SimulatorMode;
  /**
   * In `auto` mode, how long after a push, an initiator request or a C2B simulation its result is decided and
   * its callback (result, validation request) sent, in ms. @defaultValue `1000`
   */
  callbackDelayMs?: number;
  /** How long after the result a `late` callback is sent, in ms. @defaultValue `10_000` */
  lateCallbackDelayMs?: number;
  /** How many times a `duplicate` callback is delivered (at least 2). @defaultValue `2` */
  duplicateCallbackCount?: number;
  /**
   * In `manual` mode, how long an unresolved STK prompt stays open before it ends as `timeout` (1037), in
   * ms, like a customer who never answers. Initiator requests wait for `resolveResult()` however long.
   * @defaultValue never
   */
  promptTimeoutMs?: number;
  /** How long a callback receiver gets to answer before the delivery counts as failed, in ms. @defaultValue `10_000` */
  callbackTimeoutMs?: number;
  /**
   * The initiator name (`InitiatorName`, `Initiator`) the initiator APIs accept; another one gets result
   * 2001. @defaultValue `'testapi'`
   */
  initiatorName?: string;
  /**
   * The initiator password: a `SecurityCredential` is accepted when it decrypts to it with the
   * simulator's private key (see {@link Simulator.certificate}); otherwise the result is 2001, as on
   * Daraja. @defaultValue `'simulator-initiator-password'`
   */
  initiatorPassword?: string;
  /**
   * The organisation shortcode the initiator may act for (`PartyA`; `ReceiverParty` of a reversal). Another
   * one gets result 21 ("The initiator is not allowed to initiate this request."). @defaultValue `'600000'`
   */
  initiatorShortcode?: string | number;
  /**
   * The certificate (PEM) clients encrypt the initiator password with, with `privateKey`: pin them to keep
   * one credential across runs. @defaultValue an RSA-2048 certificate generated on first use, shared by the
   * simulators of the process
   */
  certificate?: string;
  /** The RSA private key (PEM) of `certificate`, which decrypts `SecurityCredential`. Give both or neither. */
  privateKey?: string;
  /**
   * `decrypt`: a `SecurityCredential` must decrypt to `initiatorPassword` (RSA, PKCS#1 v1.5). `any`: any
   * non-empty value is accepted, e.g. for an app configured with Safaricom's own certificate.
   * @defaultValue `'decrypt'`
   */
  credentialCheck?: CredentialCheck;
  /**
   * Chooses the outcome of each initiator request (B2C, B2B, tax, transaction status, account balance,
   * reversal) in `auto` mode, replacing {@link RESULT_OUTCOME_RULES}. It gets the request as accepted.
   *
   * @example
   * ```ts
   * createSimulator({ resultRule: (op) => (op.operation === 'b2c.pay' && op.amount! > 1000 ? 'insufficient-funds' : 'success') });
   * ```
   */
  resultRule?: (operation: SimulatedOperation) => ResultOutcome;
  /** How long a C2B validation URL gets to answer before the registered `ResponseType` applies, in ms. @defaultValue `8000` */
  c2bValidationTimeoutMs?: number;
  /**
   * Chooses the outcome of each push in `auto` mode, replacing the phone-number rule
   * ({@link STK_OUTCOME_RULES}). It gets the transaction as accepted (status `pending`).
   *
   * @example
   * ```ts
   * createSimulator({ outcomeRule: (t) => (t.amount > 1000 ? 'insufficient-funds' : 'success') });
   * ```
   */
  outcomeRule?: (transaction: SimulatedStkTransaction) => SimulatorOutcome;
  /**
   * Behaviours real Daraja shows and its documentation does not (daraja-api.md §21), each behind a
   * switch: STK query's undocumented in-flight answers (`4999`, an empty error message, an early
   * "Invalid CheckoutRequestID", an intermittent 500), the gateway's HTTP 429 rate limit on STK queries,
   * and the shape of STK callbacks (the value-less `Balance` item, masked, hashed or omitted phone
   * numbers). `'realistic'` turns on a mix of them ({@link SIMULATOR_QUIRK_PRESETS}); `'documented'`
   * keeps to the documentation. Change them later with {@link Simulator.setQuirks}.
   *
   * @defaultValue the documented answers, plus the `Balance` item every real success callback has
   *
   * @example
   * ```ts
   * createSimulator({ quirks: 'realistic' });
   * createSimulator({
   *   quirks: {
   *     stkQuery: { stillProcessing: { withinMs: 2000 }, intermittentError: { every: 3 } },
   *     stkQueryRateLimit: { messagesPerPeriod: 1, periodMs: 500 },
   *     stkCallback: { phoneNumber: 'masked' },
   *   },
   * });
   * ```
   */
  quirks?: SimulatorQuirksPreset | SimulatorQuirks;
  /**
   * Receives the simulator's logs (requests, decisions, callback deliveries). They never contain a
   * token, the passkey, an STK password or a full phone number. @defaultValue silent
   */
  logger?: DarajaLogger;
}

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

const KNOWN_OPTIONS = new Set([
  'port',
  'host',
  'consumerKey',
  'consumerSecret',
  'shortcode',
  'passkey',
  'tokenLifetimeMs',
  'mode',
  'callbackDelayMs',
  'lateCallbackDelayMs',
  'duplicateCallbackCount',
  'promptTimeoutMs',
  'callbackTimeoutMs',
  'outcomeRule',
  'logger',
  'initiatorName',
  'initiatorPassword',
  'initiatorShortcode',
  'certificate',
  'privateKey',
  'credentialCheck',
  'resultRule',
  'c2bValidationTimeoutMs',
  'quirks',
]);

const MAX_DELAY_MS = 2_147_483_647; // setTimeout's limit

function checkOptions(options: SimulatorOptions): void {
  const issues: DarajaConfigIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });
  for (const key of Object.keys(options))
    if (!KNOWN_OPTIONS.has(key)) add(key, 'unknown option; check its spelling.');
  const whole = (field: keyof SimulatorOptions, min: number, max: number) => {
    const v = options[field];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) {
      add(field, `must be a whole number from ${min} to ${max}.`);
    }
  };
  whole('port', 0, 65_535);
  whole('tokenLifetimeMs', 1, MAX_DELAY_MS);
  whole('callbackDelayMs', 0, MAX_DELAY_MS);
  whole('lateCallbackDelayMs', 0, MAX_DELAY_MS);
  whole('duplicateCallbackCount', 2, 100);
  whole('promptTimeoutMs', 0, MAX_DELAY_MS);
  whole('callbackTimeoutMs', 1, MAX_DELAY_MS);
  whole('c2bValidationTimeoutMs', 1, MAX_DELAY_MS);
  for (const field of [
    'host',
    'consumerKey',
    'consumerSecret',
    'passkey',
    'initiatorName',
    'initiatorPassword',
  ] as const) {
    const v = options[field];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === ''))
      add(field, 'must be a non-empty string.');
  }
  if (options.shortcode !== undefined && !/^\d{5,7}$/.test(String(options.shortcode))) {
    add('shortcode', 'must be 5 to 7 digits, e.g. "174379".');
  }
  if (options.mode !== undefined && options.mode !== 'auto' && options.mode !== 'manual') {
    add('mode', 'must be "auto" or "manual".');
  }
  if (options.outcomeRule !== undefined && typeof options.outcomeRule !== 'function') {
    add('outcomeRule', 'must be a function returning an outcome.');
  }
  if (options.resultRule !== undefined && typeof options.resultRule !== 'function') {
    add('resultRule', 'must be a function returning an outcome.');
  }
  if (options.initiatorShortcode !== undefined && !/^\d{5,7}$/.test(String(options.initiatorShortcode))) {
    add('initiatorShortcode', 'must be 5 to 7 digits, e.g. "600000".');
  }
  if (
    options.credentialCheck !== undefined &&
    options.credentialCheck !== 'decrypt' &&
    options.credentialCheck !== 'any'
  ) {
    add('credentialCheck', 'must be "decrypt" or "any".');
  }
  if ((options.certificate === undefined) !== (options.privateKey === undefined)) {
    add(
      options.certificate === undefined ? 'certificate' : 'privateKey',
      'give certificate and privateKey together.',
    );
  } else if (options.certificate !== undefined) {
    const keys = credentialKeysFrom(options.certificate, options.privateKey);
    if (typeof keys === 'string') add('certificate', keys);
  }
  const quirks = activeQuirks(options.quirks);
  if (quirks.issues) issues.push(...quirks.issues);
  if (issues.length > 0) throw new DarajaConfigError(issues);
}

/** The quirks in effect for a `quirks` value, or a `TypeError` naming every invalid field. */
function quirksOrThrow(input: unknown): ActiveSimulatorQuirks {
  const { quirks, issues } = activeQuirks(input);
  if (issues) {
    throw new TypeError(
      `daraja-sim: invalid quirks: ${issues.map((i) => `${i.field} ${i.message}`).join(' ')}`,
    );
  }
  return quirks;
}

/**
 * Start a local Daraja: OAuth, STK push and query, C2B (register, simulate, validation and
 * confirmation), B2C, B2B, tax, transaction status, account balance, reversal, dynamic QR and pull
 * transactions over real HTTP, with Daraja's validation, error envelopes, callbacks and results, and no
 * Safaricom credentials or internet.
 *
 * STK outcomes follow the phone number's last two digits ({@link STK_OUTCOME_RULES}), an `outcomeRule`,
 * outcomes queued with {@link Simulator.nextOutcome}, or (in `manual` mode) the test's
 * {@link Simulator.resolve}. Initiator results follow {@link RESULT_OUTCOME_RULES}, a `resultRule`,
 * {@link Simulator.nextResult} or {@link Simulator.resolveResult}.
 *
 * @param options - Credentials, port, delays and mode; all optional (see {@link SIMULATOR_DEFAULTS}).
 * @returns The running simulator, once it listens. Call {@link Simulator.close} when done.
 * @throws {@link daraja-sdk!DarajaConfigError} listing every invalid option; the listen error (e.g. `EADDRINUSE`).
 *
 * @example
 * ```ts
 * import { Daraja } from 'daraja-sdk';
 * import { createSimulator } from 'daraja-sdk/simulator';
 *
 * const sim = await createSimulator({ callbackDelayMs: 50 });
 * const daraja = new Daraja({
 *   baseUrl: sim.url,
 *   consumerKey: sim.consumerKey,
 *   consumerSecret: sim.consumerSecret,
 *   shortcode: sim.shortcode,
 *   passkey: sim.passkey,
 *   callbackUrl: 'http://127.0.0.1:3000/payments/callback',
 * });
 * const { checkoutRequestId } = await daraja.stk.push({
 *   phoneNumber: '0712345601', // ends in 01: the customer cancels (1032)
 *   amount: 10,
 *   accountReference: 'INV-1',
 * });
 * await sim.idle(); // the callback has been delivered
 * (await daraja.stk.query(checkoutRequestId)).status; // 'cancelled'
 * await sim.close();
 * ```
 */
export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  checkOptions(options);
  const o = { ...SIMULATOR_DEFAULTS, ...withoutUndefined(options) };
  const shortcode = String(o.shortcode);
  const initiatorShortcode = String(o.initiatorShortcode);
  const log = createLog(options.logger);
  const requests: SimulatorRequest[] = [];
  const callbackRecords: SimulatorCallbackRecord[] = [];
  const scheduler = new Scheduler((error) => log.error('sim: scheduled work failed', { error }));
  const tokens = new TokenStore(o.tokenLifetimeMs);
  const callbacks = new CallbackSender(scheduler, log, o.callbackTimeoutMs, callbackRecords);
  const ledger = new Ledger();
  const pinned =
    options.certificate === undefined
      ? undefined
      : (credentialKeysFrom(options.certificate, options.privateKey) as CredentialKeys);
  const keys = () => pinned ?? defaultCredentialKeys();
  const delays = { ms: 0, remaining: 0 };
  const stk = new StkSimulation({
    shortcode,
    passkey: o.passkey,
    mode: o.mode,
    callbackDelayMs: o.callbackDelayMs,
    lateCallbackDelayMs: o.lateCallbackDelayMs,
    duplicateCallbackCount: o.duplicateCallbackCount,
    promptTimeoutMs: options.promptTimeoutMs,
    outcomeRule: options.outcomeRule,
    quirks: quirksOrThrow(options.quirks),
    // A successful push is money received: the ledger records it for status, reversal and pull.
    onCompleted: (t) => {
      ledger.accounts(t.businessShortCode).utility += t.amount;
      ledger.record({
        receipt: t.receiptNumber!,
        kind: 'stk',
        amount: t.amount,
        shortcode: t.businessShortCode,
        debitParty: `${t.phoneNumber} - ${CUSTOMER.full}`,
        creditParty: `${t.businessShortCode} - ${ORGANISATION_NAME}`,
        phoneNumber: t.phoneNumber,
        billReference: t.accountReference,
        originatorConversationId: t.checkoutRequestId,
        conversationId: t.merchantRequestId,
        reasonType: t.transactionType === 'CustomerBuyGoodsOnline' ? 'Buy Goods Online' : 'Pay Bill Online',
        completedAt: t.decidedAt ?? new Date(),
      });
    },
    tokens,
    scheduler,
    callbacks,
    log,
  });
  const initiator = new InitiatorSimulation({
    initiatorName: o.initiatorName,
    initiatorPassword: o.initiatorPassword,
    initiatorShortcode,
    credentialCheck: o.credentialCheck,
    keys,
    mode: () => stk.mode,
    callbackDelayMs: o.callbackDelayMs,
    lateCallbackDelayMs: o.lateCallbackDelayMs,
    duplicateCallbackCount: o.duplicateCallbackCount,
    resultRule: options.resultRule,
    tokens,
    scheduler,
    callbacks,
    ledger,
    log,
  });
  const c2b = new C2bSimulation({
    callbackDelayMs: o.callbackDelayMs,
    lateCallbackDelayMs: o.lateCallbackDelayMs,
    duplicateCallbackCount: o.duplicateCallbackCount,
    validationTimeoutMs: o.c2bValidationTimeoutMs,
    tokens,
    scheduler,
    callbacks,
    ledger,
    log,
  });
  const logQuirks = () => {
    const { preset, seed, stkQuery, stkQueryRateLimit, stkCallback } = stk.quirks;
    log.info('sim: quirks', {
      preset: preset ?? 'none',
      seed,
      stkQuery: Object.entries(stkQuery)
        .filter(([, rule]) => rule !== false)
        .map(([name]) => name),
      stkQueryRateLimit: stkQueryRateLimit !== false,
      balanceItem: stkCallback.balanceItem,
      phoneNumber: typeof stkCallback.phoneNumber === 'function' ? 'function' : stkCallback.phoneNumber,
    });
  };
  const setQuirks = (quirks: unknown) => {
    stk.quirks = quirksOrThrow(quirks);
    logQuirks();
    return stk.quirks;
  };
  const securityCredential = () => encryptCredential(o.initiatorPassword, keys().certificate);
  const delayResponses = (delayMs: number, count = 1) => {
    if (!(Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= MAX_DELAY_MS))
      throw new TypeError(
        `daraja-sim: delayMs must be a whole number of ms, got ${JSON.stringify(delayMs)}.`,
      );
    if (!(Number.isInteger(count) && count >= 0))
      throw new TypeError(`daraja-sim: count must be a whole number, got ${JSON.stringify(count)}.`);
    delays.ms = delayMs;
    delays.remaining = count;
  };
  // The route table: each API contributes its routes.
  const routes = [
    ...oauthRoutes({ consumerKey: o.consumerKey, consumerSecret: o.consumerSecret }, tokens),
    ...stk.routes(),
    ...c2b.routes(),
    ...initiator.routes(),
    ...qrRoutes(tokens),
    ...controlRoutes({
      stk,
      initiator,
      c2b,
      ledger,
      requests,
      callbacks: callbackRecords,
      initiatorInfo: () => ({
        initiatorName: o.initiatorName,
        initiatorShortcode,
        certificate: keys().certificate,
        securityCredential: securityCredential(),
      }),
      delayResponses,
      quirks: () => stk.quirks,
      setQuirks,
    }),
  ];
  const server = await startServer({
    host: o.host,
    port: o.port,
    routes,
    log,
    requests,
    holdAnswer: (operation) => {
      if (operation === 'oauth' || operation === 'unknown' || delays.remaining <= 0) return undefined;
      delays.remaining -= 1;
      log.info('sim: holding the answer back', { operation, delayMs: delays.ms });
      return scheduler.run(() => pause(delays.ms, scheduler.signal));
    },
  });
  log.info('sim: listening', { url: server.url, mode: o.mode });
  logQuirks();

  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    consumerKey: o.consumerKey,
    consumerSecret: o.consumerSecret,
    shortcode,
    passkey: o.passkey,
    // The names of DARAJA_ENV_VARS, spelled out so the simulator does not load the client.
    env: Object.freeze({
      MPESA_BASE_URL: server.url,
      MPESA_CONSUMER_KEY: o.consumerKey,
      MPESA_CONSUMER_SECRET: o.consumerSecret,
      MPESA_SHORTCODE: shortcode,
      MPESA_PASSKEY: o.passkey,
    }),
    get mode() {
      return stk.mode;
    },
    set mode(mode: SimulatorMode) {
      stk.mode = mode;
    },
    initiatorName: o.initiatorName,
    initiatorPassword: o.initiatorPassword,
    initiatorShortcode,
    get certificate() {
      return keys().certificate;
    },
    securityCredential,
    get requests() {
      return [...requests];
    },
    get callbacks() {
      return [...callbackRecords];
    },
    get transactions() {
      return stk.list();
    },
    get operations() {
      return initiator.list();
    },
    get c2bRegistrations() {
      return c2b.registrations();
    },
    get c2bPayments() {
      return c2b.payments();
    },
    get ledger() {
      return ledger.list();
    },
    transaction: (id) => stk.get(id),
    resolve: (id, outcome = 'success') => stk.resolve(id, outcome),
    nextOutcome: (...outcomes) => stk.enqueue(outcomes),
    operation: (id) => initiator.get(id),
    resolveResult: (id, outcome = 'success') => initiator.resolve(id, outcome),
    nextResult: (...outcomes) => initiator.enqueue(outcomes),
    delayResponses,
    expireTokens: () => tokens.expireAll(),
    get quirks() {
      return stk.quirks;
    },
    setQuirks,
    idle: () => scheduler.idle(),
    reset: () => {
      stk.reset();
      initiator.reset();
      c2b.reset();
      ledger.reset();
      scheduler.cancelAll();
      delays.remaining = 0;
      requests.length = 0;
      callbackRecords.length = 0;
    },
    close: () => {
      closing ??= (async () => {
        scheduler.close();
        await server.close();
        await scheduler.idle();
        log.info('sim: closed', { url: server.url });
      })();
      return closing;
    },
  };
}

/** Wait `ms`, or less if `signal` aborts (the simulator closes). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
