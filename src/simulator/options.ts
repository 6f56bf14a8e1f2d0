import { credentialKeysFrom } from './certificate.js';
import { SimulatorConfigError, type SimulatorConfigIssue } from './config-error.js';
import type { SimulatorMode } from './engine.js';
import type { CredentialCheck, SimulatedOperation } from './initiator-operations/simulation.js';
import type { SimulatorLogger } from './log.js';
import type { SimulatedStkTransaction, SimulatorOutcome } from './outcomes.js';
import { activeQuirks } from './quirk-options.js';
import type { ActiveSimulatorQuirks, SimulatorQuirks, SimulatorQuirksPreset } from './quirks.js';
import type { ResultOutcome } from './result-outcomes.js';

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
  /** Safaricom's public sandbox shortcode, published in Daraja's documentation. */
  shortcode: '174379',
  /** Safaricom's public sandbox passkey, published in Daraja's documentation. */
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
  /** The header Bill Manager calls bring the app key in (the name Safaricom never states; see the guide). */
  billManagerAppKeyHeader: 'app_key',
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
   * The header Bill Manager calls must bring the app key in: `app_key` (the opt-in answer's field name), or
   * `appKey` as some SDKs send it. Safaricom never names it. @defaultValue `'app_key'`
   */
  billManagerAppKeyHeader?: string;
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
   * Behaviours real Daraja shows and its documentation does not (seen in 2019–2026 traffic), each behind a
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
  logger?: SimulatorLogger;
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
  'billManagerAppKeyHeader',
  'quirks',
]);

/** @internal setTimeout's limit, the longest delay an option may ask for. */
export const MAX_DELAY_MS = 2_147_483_647;

/** @internal */
export function checkOptions(options: SimulatorOptions): void {
  const issues: SimulatorConfigIssue[] = [];
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
  const header = options.billManagerAppKeyHeader;
  if (header !== undefined && !(typeof header === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)))
    add('billManagerAppKeyHeader', 'must be a header name, e.g. "app_key" or "appKey".');
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
  if (issues.length > 0) throw new SimulatorConfigError(issues);
}

/** @internal */
export /** The quirks in effect for a `quirks` value, or a `TypeError` naming every invalid field. */
function quirksOrThrow(input: unknown): ActiveSimulatorQuirks {
  const { quirks, issues } = activeQuirks(input);
  if (issues) {
    throw new TypeError(
      `daraja-sim: invalid quirks: ${issues.map((i) => `${i.field} ${i.message}`).join(' ')}`,
    );
  }
  return quirks;
}
