import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type CallbackRequest,
  createPaymentFlow,
  createWebCallbackHandler,
  Daraja,
  isDarajaValidationError,
  MemoryCallbackJournal,
  maskPhoneNumber,
  maskPhoneNumbersInText,
  type Payment,
  SAFARICOM_CALLBACK_IPS,
  type WebHandlerContext,
} from 'daraja-sdk';
import { FileCallbackJournal } from 'daraja-sdk/journal';
import {
  PAYER_MESSAGES,
  type PayerMessageKey,
  pageMessage,
  payerMessage,
  payerMessageKey,
} from 'daraja-sdk/messages';
import { PostgresPaymentStore } from 'daraja-sdk/postgres';
import { createSimulator, type Simulator, STK_OUTCOME_RULES } from 'daraja-sdk/simulator';
import { authenticate, DEMO_USERS, type User } from './auth.js';
import { type AppConfig, SettingsError, usesRealDaraja } from './config.js';
import { describeError, isDatabaseUnavailable, openDatabase } from './database.js';
import { hasControlCharacters, PAYMENT_ID } from './input.js';
import { createJsonLogger } from './logger.js';
import { findPlan, PLANS } from './plans.js';
import { type InitiateLimit, rateLimitedReply, requestedPhone } from './rate-limits.js';
import { Subscriptions } from './subscriptions.js';

/** A framework-neutral HTTP answer: each adapter sends it with its own API. */
export interface Reply {
  status: number;
  body: unknown;
  /** Extra response headers, such as `Retry-After`. */
  headers?: Record<string, string>;
}

/** Where the app's parts come from, shown at start-up and on the page. */
export interface AppMode {
  daraja: 'simulator' | 'sandbox' | 'production';
  store: 'pglite' | 'postgres';
  /** PGlite's folder, or `memory`. */
  dataDir?: string;
  /** The in-process simulator's URL. */
  simulatorUrl?: string;
}

/**
 * The subscription product, implemented once: plans, M-Pesa payments through the SDK's payment flow,
 * activation once per payment, status checks and reconciliation. Express and Fastify adapt it in a few
 * lines each.
 */
export interface SubscriptionService {
  readonly mode: AppMode;
  /** The in-process simulator, when the app runs on embedded defaults. */
  readonly simulator: Simulator | undefined;
  authenticate(headers: Record<string, string | string[] | undefined>): User | undefined;
  page(): string;
  plans(): Reply;
  initiate(user: User, body: unknown): Promise<Reply>;
  callback(request: CallbackRequest): Promise<Reply>;
  /**
   * The same route for a web-standard framework (Hono, Next.js): the SDK's `createWebCallbackHandler`,
   * with the client's address (and the platform's `waitUntil`, where it has one) in `context`.
   */
  webCallback(request: Request, context?: WebHandlerContext): Promise<Response>;
  checkPayment(user: User, paymentId: unknown): Promise<Reply>;
  subscription(user: User): Promise<Reply>;
  /**
   * The answer to a request refused by one of the initiate limits (see `rate-limits.ts`): a 429 with
   * `Retry-After`, logged with the user id and a masked phone number.
   */
  rateLimited(limit: InitiateLimit, user: User, body: unknown, retryAfterSeconds: number): Reply;
  /**
   * The answer to an unexpected error in a route: logged server-side (masked), answered with a generic
   * JSON body, never the error's text. 503 when the database cannot be reached right now, else 500.
   */
  failure(error: unknown, context: Record<string, unknown>): Reply;
  /** Run one reconciliation now (the app also runs it periodically). */
  reconcile(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The callback route. No "mpesa" in it: Safaricom documents a rule against that keyword in C2B URLs, and
 * avoiding it in the STK one costs nothing.
 */
export const CALLBACK_PATH = '/api/subscription/payment-callback';

/**
 * How long an STK prompt stays open on the phone, as the page counts it down: Daraja ends an unanswered
 * prompt with 1037 after about a minute. The page keeps checking after that.
 */
export const PROMPT_SECONDS = 60;

/** How long the page keeps checking after the prompt closes, before it says "we could not confirm yet". */
export const KEEP_CHECKING_SECONDS = 120;

// The page, with the payer messages (English and Kiswahili, from daraja-sdk/messages) embedded as JSON.
const PAGE = readFileSync(new URL('./page.html', import.meta.url), 'utf8').replace(
  '/*PAYER_MESSAGES*/ null',
  () => JSON.stringify(PAYER_MESSAGES).replace(/</g, '\\u003c'),
);

/**
 * Build the service. `listeningUrl` is where the app itself listens: with the in-process simulator,
 * callbacks come back to it.
 */
export async function createSubscriptionService(
  config: AppConfig,
  listeningUrl: string,
): Promise<SubscriptionService> {
  const log = config.logger ?? createJsonLogger('subscriptions', config.logLevel);
  const database = await openDatabase(config, log);
  const store = new PostgresPaymentStore(database.db);
  await store.migrate();
  const subscriptions = new Subscriptions(database.db);
  await subscriptions.migrate();

  // Daraja: the real one when its credentials are set, else the simulator in this process.
  const useSimulator = !usesRealDaraja(config.env);
  let simulator: Simulator | undefined;
  let daraja: Daraja;
  let callbackUrl: string;
  let callbackSecret = config.callbackSecret;
  if (useSimulator) {
    simulator = await createSimulator({ callbackDelayMs: config.simulatorCallbackDelayMs, logger: log });
    daraja = new Daraja({
      baseUrl: simulator.url,
      consumerKey: simulator.consumerKey,
      consumerSecret: simulator.consumerSecret,
      shortcode: simulator.shortcode,
      passkey: simulator.passkey,
      logger: log,
    });
    callbackUrl = `${listeningUrl}${CALLBACK_PATH}`;
    callbackSecret ??= randomBytes(32).toString('base64url'); // only this process ever checks it
  } else {
    daraja = Daraja.fromEnv(config.env, { logger: log });
    const fromEnv = config.env['MPESA_CALLBACK_URL'];
    // configFromEnv() reports these with every other setting; a config built in code is checked here.
    const missing = [
      ...(!fromEnv && !config.publicUrl
        ? [
            {
              variable: 'PUBLIC_URL',
              fix: `is not set: the public HTTPS address Daraja sends callbacks to (${CALLBACK_PATH}), or set MPESA_CALLBACK_URL.`,
            },
          ]
        : []),
      ...(!callbackSecret
        ? [
            {
              variable: 'CALLBACK_SECRET',
              fix: 'is not set: at least 32 random characters, the same on every instance.',
            },
          ]
        : []),
    ];
    if (missing.length > 0) throw new SettingsError(missing, true);
    callbackUrl = fromEnv || `${config.publicUrl}${CALLBACK_PATH}`;
  }
  const mode: AppMode = {
    daraja: useSimulator ? 'simulator' : daraja.environment,
    ...database.mode,
    ...(simulator ? { simulatorUrl: simulator.url } : {}),
  };

  const flow = createPaymentFlow({
    daraja,
    store,
    callbackUrl,
    callbackSecret,
    // The simulator calls back from this machine; only then are local addresses allowed.
    allowedIps: useSimulator ? [...SAFARICOM_CALLBACK_IPS, '127.0.0.1', '::1'] : SAFARICOM_CALLBACK_IPS,
    trustedProxies: config.trustedProxies,
    // Callbacks that arrive while the database is down wait here, on disk, until reconcile replays them.
    journal:
      config.journalDir === 'memory'
        ? new MemoryCallbackJournal()
        : new FileCallbackJournal(config.journalDir),
    logger: log,
    onCompleted: async (payment) => {
      const plan = findPlan(payment.metadata['plan']);
      if (!plan) throw new Error(`payment ${payment.id} has no known plan`);
      const extended = await subscriptions.extend(payment, plan);
      log.info(
        { paymentId: payment.id, userId: payment.ownerId, plan: plan.id, extended },
        'subscription extended',
      );
    },
    // Daraja's own text (resultDesc) is for developers: it goes to the log, never to the page.
    onFailed: (payment) => {
      log.info(
        {
          paymentId: payment.id,
          status: payment.status,
          resultCode: payment.resultCode,
          resultDesc: payment.resultDesc === null ? null : maskPhoneNumbersInText(payment.resultDesc),
        },
        'payment did not complete',
      );
    },
    // The flow gave up on it (and onFailed ran), then Daraja said it was paid: onCompleted still runs.
    onLateSuccess: (payment) => {
      log.warn(
        { paymentId: payment.id, userId: payment.ownerId, correctedFrom: payment.correctedFrom },
        'late success: a payment reported as not completed was paid; the subscription is extended',
      );
    },
    onFulfilmentParked: (payment, error) => {
      log.error(
        { paymentId: payment.id, attempts: payment.fulfilmentAttempts, error },
        'activation keeps failing',
      );
    },
  });

  let reconciling: Promise<unknown> | undefined;
  const reconcile = () => {
    reconciling ??= flow
      .reconcile({ olderThanMs: config.reconcileAfterMs })
      .catch((error: unknown) => log.error(describeError(error), 'reconcile failed'))
      .finally(() => {
        reconciling = undefined;
      });
    return reconciling;
  };
  const timer =
    config.reconcileIntervalMs > 0 ? setInterval(reconcile, config.reconcileIntervalMs) : undefined;
  timer?.unref();

  const unavailable = (message: string): Reply => ({
    status: 503,
    headers: { 'retry-after': '5' },
    body: { error: 'unavailable', message },
  });
  /**
   * A 400 naming the field, for developers (`message`), with `messageKey`: the payer message the page
   * shows instead (a payer never reads a field name).
   */
  const invalid = (field: string, message: string): Reply => ({
    status: 400,
    body: { error: 'validation', field, message: `${field}: ${message}`, messageKey: messageKeyFor(field) },
  });

  /**
   * What the browser may see of a payment: never the CheckoutRequestID, the full phone number or Daraja's
   * text (`resultDesc`, logged instead). `messageKey` names the payer message (`daraja-sdk/messages`)
   * and `message` is its English text; the receipt is null until M-Pesa sends it (a status query carries
   * none).
   */
  const view = (p: Payment) => ({
    id: p.id,
    status: p.status,
    plan: p.metadata['plan'],
    amount: p.amount,
    phoneNumber: maskPhoneNumber(p.phoneNumber),
    mpesaReceiptNumber: p.mpesaReceiptNumber,
    resultCode: p.resultCode,
    messageKey: payerMessageKey(p),
    message: payerMessage(p, 'en'),
    createdAt: p.createdAt.toISOString(),
    completedAt: p.completedAt?.toISOString() ?? null,
    /** How it settled: by its callback, a status check, reconciliation, or a rejected push. */
    settledBy: p.settledBy,
    activated: p.fulfilledAt !== null,
  });

  return {
    mode,
    simulator,
    authenticate,
    page: () => PAGE,
    plans: () => ({
      status: 200,
      body: {
        plans: Object.values(PLANS),
        mode: { daraja: mode.daraja, store: mode.store },
        // Demo only: the page lets you act as either user.
        users: DEMO_USERS.map(({ id, name, token }) => ({ id, name, token })),
        simulatorRules: useSimulator ? STK_OUTCOME_RULES : undefined,
        promptSeconds: PROMPT_SECONDS,
        keepCheckingSeconds: KEEP_CHECKING_SECONDS,
      },
    }),

    async initiate(user, body) {
      const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      const plan = findPlan(input['plan']);
      if (!plan)
        return {
          status: 400,
          body: {
            error: 'validation',
            field: 'plan',
            message: `Choose a plan: ${Object.keys(PLANS).join(' or ')}.`,
            messageKey: 'failed',
          },
        };
      const key = input['idempotencyKey'];
      if (key !== undefined && (typeof key !== 'string' || key.length > 100 || hasControlCharacters(key))) {
        return invalid(
          'idempotencyKey',
          'must be a string of at most 100 characters, without control characters.',
        );
      }
      const phone = input['phoneNumber'];
      if (typeof phone === 'string' && hasControlCharacters(phone)) {
        return invalid('phoneNumber', 'remove the control characters (such as tabs or line breaks).');
      }
      try {
        const result = await flow.initiate({
          ownerId: user.id,
          amount: plan.amount,
          phoneNumber: phone as string,
          accountReference: plan.accountReference,
          transactionDesc: 'Subscription',
          metadata: { plan: plan.id },
          ...(typeof key === 'string' ? { idempotencyKey: `${user.id}:${key}` } : {}),
        });
        // Daraja's CustomerMessage ("Success. Request accepted for processing") is for developers: logged.
        log.info(
          {
            paymentId: result.payment.id,
            userId: user.id,
            plan: plan.id,
            outcome: result.outcome,
            ...(result.customerMessage
              ? { customerMessage: maskPhoneNumbersInText(result.customerMessage) }
              : {}),
          },
          'payment initiated',
        );
        const messageKey: PayerMessageKey =
          result.outcome === 'unknown'
            ? 'push-unconfirmed'
            : result.outcome === 'rejected'
              ? 'push-rejected'
              : payerMessageKey(result.payment);
        return {
          status: result.outcome === 'rejected' ? 502 : result.outcome === 'existing' ? 200 : 202,
          body: {
            payment: view(result.payment),
            outcome: result.outcome,
            messageKey,
            message: PAYER_MESSAGES.en[messageKey].text,
          },
        };
      } catch (error) {
        if (isDarajaValidationError(error)) {
          return {
            status: 400,
            body: {
              error: 'validation',
              field: error.field,
              message: error.message.replace(/^\[daraja\] /, ''),
              messageKey: messageKeyFor(error.field),
            },
          };
        }
        log.error({ ...describeError(error), userId: user.id }, 'initiate failed');
        if (isDatabaseUnavailable(error)) return unavailable(pageMessage('unavailable').text);
        return {
          status: 500,
          body: { error: 'internal', message: 'Could not start the payment.', messageKey: 'unavailable' },
        };
      }
    },

    async callback(request) {
      const ack = await flow.handleCallback(request);
      return { status: ack.status, body: ack.body };
    },

    webCallback: createWebCallbackHandler(flow, { logger: log }),

    async checkPayment(user, paymentId) {
      if (typeof paymentId !== 'string' || paymentId === '')
        return invalid('paymentId', 'pass ?paymentId=pay_…');
      // Only something shaped like our ids reaches the database (no NUL byte, no megabyte of text).
      if (!PAYMENT_ID.test(paymentId)) {
        return invalid('paymentId', 'not a payment id (pay_ followed by letters, digits, - or _).');
      }
      // checkStatus answers only the owner: another user's payment looks like a missing one.
      const payment = await flow.checkStatus(paymentId, { ownerId: user.id });
      if (!payment) return { status: 404, body: { error: 'not_found', message: 'No such payment.' } };
      return {
        status: 200,
        body: { payment: view(payment), subscription: await subscriptions.current(user.id) },
      };
    },

    async subscription(user) {
      return {
        status: 200,
        body: { user: { id: user.id, name: user.name }, subscription: await subscriptions.current(user.id) },
      };
    },

    rateLimited(limit, user, body, retryAfterSeconds) {
      const phone = requestedPhone(body);
      log.warn(
        {
          userId: user.id,
          limit: limit.name,
          max: limit.max,
          windowMs: limit.windowMs,
          ...(phone ? { phoneNumber: maskPhoneNumber(phone) } : {}),
        },
        'initiate rate-limited',
      );
      return rateLimitedReply(limit, retryAfterSeconds);
    },

    failure(error, context) {
      log.error({ ...context, ...describeError(error) }, 'request failed');
      return isDatabaseUnavailable(error)
        ? unavailable('The service is temporarily unavailable. Try again in a moment.')
        : { status: 500, body: { error: 'internal', message: 'Something went wrong. Try again later.' } };
    },

    reconcile,

    async close() {
      if (timer) clearInterval(timer);
      await reconciling;
      await simulator?.close();
      await database.close();
    },
  };
}

/** The payer message for a rejected input: the phone number's own, or a generic one. */
function messageKeyFor(field: string | undefined): PayerMessageKey {
  return field === 'phoneNumber' ? 'invalid-phone' : 'failed';
}

/** A one-line description of the mode, for start-up logs. */
export function describeMode(mode: AppMode): string {
  const daraja =
    mode.daraja === 'simulator'
      ? `Daraja simulator (in-process, ${mode.simulatorUrl})`
      : `Daraja ${mode.daraja}`;
  const store =
    mode.store === 'pglite'
      ? `PGlite (${mode.dataDir === 'memory' ? 'in memory' : mode.dataDir})`
      : 'PostgreSQL (DATABASE_URL)';
  return `${daraja}, ${store}`;
}
