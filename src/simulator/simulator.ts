import { B2bExpressSimulation } from './b2b-express.js';
import { BillManagerSimulation } from './bill-manager.js';
import { C2bSimulation } from './c2b.js';
import { CallbackSender, type SimulatorCallbackRecord } from './callbacks.js';
import {
  type CredentialKeys,
  credentialKeysFrom,
  defaultCredentialKeys,
  encryptCredential,
} from './certificate.js';
import { controlRoutes } from './control.js';
import type { EngineConfig } from './engine.js';
import { InitiatorSimulation } from './initiator-operations/simulation.js';
import { Ledger, recordStkPayment } from './ledger.js';
import { createLog, type Log } from './log.js';
import { oauthRoutes, TokenStore } from './oauth.js';
import {
  checkOptions,
  MAX_DELAY_MS,
  quirksOrThrow,
  SIMULATOR_DEFAULTS,
  type SimulatorOptions,
} from './options.js';
import { PullSimulation } from './pull.js';
import { qrRoutes } from './qr.js';
import { RatibaSimulation } from './ratiba.js';
import { Scheduler } from './scheduler.js';
import { type RunningServer, type SimulatorRequest, startServer } from './server.js';
import type { Simulator } from './simulator-api.js';
import { StkSimulation } from './stk.js';
import { withoutUndefined } from './validation.js';

// cli.ts reads the options and their defaults from here.
export { SIMULATOR_DEFAULTS, type SimulatorOptions } from './options.js';

/** The options given, over the defaults. */
const settingsOf = (options: SimulatorOptions) => ({ ...SIMULATOR_DEFAULTS, ...withoutUndefined(options) });
type Settings = ReturnType<typeof settingsOf>;

/** Everything one simulator holds: the shared machinery, the books and the APIs. */
interface Parts {
  o: Settings;
  shortcode: string;
  initiatorShortcode: string;
  log: Log;
  requests: SimulatorRequest[];
  callbackRecords: SimulatorCallbackRecord[];
  scheduler: Scheduler;
  tokens: TokenStore;
  ledger: Ledger;
  keys: () => CredentialKeys;
  delays: { ms: number; remaining: number };
  stk: StkSimulation;
  initiator: InitiatorSimulation;
  c2b: C2bSimulation;
  pull: PullSimulation;
  b2bExpress: B2bExpressSimulation;
  ratiba: RatibaSimulation;
  billManager: BillManagerSimulation;
}

/** Build the machinery and the three asynchronous APIs on one engine. */
function buildParts(options: SimulatorOptions): Parts {
  const o = settingsOf(options);
  const log = createLog(options.logger);
  const callbackRecords: SimulatorCallbackRecord[] = [];
  const scheduler = new Scheduler((error) => log.error('sim: scheduled work failed', { error }));
  const tokens = new TokenStore(o.tokenLifetimeMs);
  const ledger = new Ledger();
  const pinned =
    options.certificate === undefined
      ? undefined
      : (credentialKeysFrom(options.certificate, options.privateKey) as CredentialKeys);
  const keys = () => pinned ?? defaultCredentialKeys();
  const engine: EngineConfig = {
    scheduler,
    callbacks: new CallbackSender(scheduler, log, o.callbackTimeoutMs, callbackRecords),
    log,
    callbackDelayMs: o.callbackDelayMs,
    lateCallbackDelayMs: o.lateCallbackDelayMs,
    duplicateCallbackCount: o.duplicateCallbackCount,
  };
  const stk = new StkSimulation({
    ...engine,
    shortcode: String(o.shortcode),
    passkey: o.passkey,
    mode: o.mode,
    promptTimeoutMs: options.promptTimeoutMs,
    outcomeRule: options.outcomeRule,
    quirks: quirksOrThrow(options.quirks),
    onCompleted: (t) => recordStkPayment(ledger, t),
    tokens,
  });
  const initiatorShortcode = String(o.initiatorShortcode);
  const initiator = new InitiatorSimulation({
    ...engine,
    initiatorName: o.initiatorName,
    initiatorPassword: o.initiatorPassword,
    initiatorShortcode,
    credentialCheck: o.credentialCheck,
    keys,
    mode: () => stk.mode,
    resultRule: options.resultRule,
    tokens,
    ledger,
  });
  const c2b = new C2bSimulation({ ...engine, validationTimeoutMs: o.c2bValidationTimeoutMs, tokens, ledger });
  const delays = { ms: 0, remaining: 0 };
  const shortcode = String(o.shortcode);
  const billManager = new BillManagerSimulation({
    ...engine,
    tokens,
    appKeyHeader: o.billManagerAppKeyHeader,
    shortcodes: [shortcode, initiatorShortcode],
    pushDelayMs: o.callbackDelayMs,
  });
  return {
    o,
    shortcode,
    initiatorShortcode,
    log,
    requests: [],
    callbackRecords,
    scheduler,
    tokens,
    ledger,
    keys,
    delays,
    stk,
    initiator,
    c2b,
    pull: new PullSimulation(tokens, ledger),
    b2bExpress: new B2bExpressSimulation({ ...engine, tokens, mode: () => stk.mode }),
    ratiba: new RatibaSimulation({ ...engine, tokens, shortcode }),
    billManager,
  };
}

/** Log the quirks in effect (a `phoneNumber` function is logged as `function`). */
function logQuirks({ log, stk }: Parts): void {
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
}

/** The test-facing actions shared by the in-process handle and the control API. */
function actions(p: Parts) {
  const { o, stk, delays } = p;
  const securityCredential = () => encryptCredential(o.initiatorPassword, p.keys().certificate);
  return {
    securityCredential,
    setQuirks: (quirks: unknown) => {
      stk.quirks = quirksOrThrow(quirks);
      logQuirks(p);
      return stk.quirks;
    },
    delayResponses: (delayMs: number, count = 1) => {
      if (!(Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= MAX_DELAY_MS))
        throw new TypeError(
          `daraja-sim: delayMs must be a whole number of ms, got ${JSON.stringify(delayMs)}.`,
        );
      if (!(Number.isInteger(count) && count >= 0))
        throw new TypeError(`daraja-sim: count must be a whole number, got ${JSON.stringify(count)}.`);
      delays.ms = delayMs;
      delays.remaining = count;
    },
    initiatorInfo: () => ({
      initiatorName: o.initiatorName,
      initiatorShortcode: p.initiatorShortcode,
      certificate: p.keys().certificate,
      securityCredential: securityCredential(),
    }),
  };
}

/** Listen: the route table (each API contributes its routes), answers held back on request. */
function listen(p: Parts, act: ReturnType<typeof actions>): Promise<RunningServer> {
  const { o, tokens, stk, initiator, c2b, ledger, requests, log, delays, scheduler } = p;
  const routes = [
    ...oauthRoutes({ consumerKey: o.consumerKey, consumerSecret: o.consumerSecret }, tokens),
    ...stk.routes(),
    ...c2b.routes(),
    ...p.pull.routes(),
    ...initiator.routes(),
    ...qrRoutes(tokens),
    ...p.b2bExpress.routes(),
    ...p.ratiba.routes(),
    ...p.billManager.routes(),
    ...controlRoutes({
      stk,
      initiator,
      c2b,
      ledger,
      requests,
      callbacks: p.callbackRecords,
      initiatorInfo: act.initiatorInfo,
      delayResponses: act.delayResponses,
      quirks: () => stk.quirks,
      setQuirks: act.setQuirks,
    }),
  ];
  return startServer({
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
}

/**
 * Start a local Daraja: OAuth, STK push and query, C2B (register, simulate, validation and
 * confirmation), B2C, B2B, tax, transaction status, account balance, reversal, dynamic QR, pull
 * transactions, B2B Express Checkout, M-Pesa Ratiba and Bill Manager over real HTTP, with Daraja's
 * validation, error envelopes, callbacks and results, and no
 * Safaricom credentials or internet.
 *
 * STK outcomes follow the phone number's last two digits ({@link STK_OUTCOME_RULES}), an `outcomeRule`,
 * outcomes queued with {@link Simulator.nextOutcome}, or (in `manual` mode) the test's
 * {@link Simulator.resolve}. Initiator results follow {@link RESULT_OUTCOME_RULES}, a `resultRule`,
 * {@link Simulator.nextResult} or {@link Simulator.resolveResult}.
 *
 * @param options - Credentials, port, delays and mode; all optional (see {@link SIMULATOR_DEFAULTS}).
 * @returns The running simulator, once it listens. Call {@link Simulator.close} when done.
 * @throws {@link SimulatorConfigError} listing every invalid option; the listen error (e.g. `EADDRINUSE`).
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
 * (await daraja.stk.query({ checkoutRequestId: checkoutRequestId })).status; // 'cancelled'
 * await sim.close();
 * ```
 */
export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  checkOptions(options);
  const p = buildParts(options);
  const act = actions(p);
  const server = await listen(p, act);
  p.log.info('sim: listening', { url: server.url, mode: p.o.mode });
  logQuirks(p);
  return handle(p, act, server);
}

/** The running simulator as a test sees it. */
function handle(p: Parts, act: ReturnType<typeof actions>, server: RunningServer): Simulator {
  const { o, stk, initiator, c2b, ledger, tokens, scheduler, requests, callbackRecords } = p;
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    consumerKey: o.consumerKey,
    consumerSecret: o.consumerSecret,
    shortcode: p.shortcode,
    passkey: o.passkey,
    // The names of the SDK's MPESA_* environment variables, spelled out: the simulator loads no SDK code.
    env: Object.freeze({
      MPESA_BASE_URL: server.url,
      MPESA_CONSUMER_KEY: o.consumerKey,
      MPESA_CONSUMER_SECRET: o.consumerSecret,
      MPESA_SHORTCODE: p.shortcode,
      MPESA_PASSKEY: o.passkey,
    }),
    get mode() {
      return stk.mode;
    },
    set mode(mode) {
      stk.mode = mode;
    },
    initiatorName: o.initiatorName,
    initiatorPassword: o.initiatorPassword,
    initiatorShortcode: p.initiatorShortcode,
    get certificate() {
      return p.keys().certificate;
    },
    securityCredential: act.securityCredential,
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
    delayResponses: act.delayResponses,
    expireTokens: () => tokens.expireAll(),
    get quirks() {
      return stk.quirks;
    },
    setQuirks: act.setQuirks,
    idle: () => scheduler.idle(),
    ...lifecycle(p, server),
  };
}

/** `reset()` and `close()`. */
function lifecycle(p: Parts, server: RunningServer): Pick<Simulator, 'reset' | 'close'> {
  let closing: Promise<void> | undefined;
  return {
    reset: () => {
      p.stk.reset();
      p.initiator.reset();
      p.c2b.reset();
      p.pull.reset();
      p.b2bExpress.reset();
      p.ratiba.reset();
      p.billManager.reset();
      p.ledger.reset();
      p.scheduler.cancelAll();
      p.delays.remaining = 0;
      p.requests.length = 0;
      p.callbackRecords.length = 0;
    },
    close: () => {
      closing ??= (async () => {
        p.scheduler.close();
        await server.close();
        await p.scheduler.idle();
        p.log.info('sim: closed', { url: server.url });
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
