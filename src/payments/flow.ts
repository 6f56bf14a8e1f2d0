import { randomBytes } from 'node:crypto';
import { parseStkCallback, type StkCallbackResult } from '../callbacks/stk-callback.js';
import type { Daraja } from '../client.js';
import {
  DarajaConfigError,
  type DarajaError,
  DarajaValidationError,
  isDarajaApiError,
  isDarajaCallbackError,
  isDarajaConfigError,
  isDarajaError,
  isDarajaUnknownOutcomeError,
  isDarajaValidationError,
} from '../errors.js';
import { createLog, type DarajaLogger, type Log } from '../logger.js';
import type { PaymentStatus } from '../payment-status.js';
import type { StkQueryResult } from '../stk/stk.js';
import { hasControlCharacter, normalizeStkFields, validateText } from '../stk/stk.js';
import { addressScope, describeScope } from '../utils/ip.js';
import { maskPhoneNumbersInText } from '../utils/mask.js';
import { isDarajaHost, validateCallbackUrl } from '../utils/url.js';
import { VERSION } from '../version.js';
import { auditedBody, bodyFingerprint, RejectionSampler } from './audit.js';
import { type CallbackJournal, type JournalEntry, MemoryCallbackJournal } from './journal.js';
import { CALLBACK_PROBE_PARAM, type CallbackProbeProblem, type CallbackProbeReport } from './probe.js';
import {
  DEFAULT_QUERY_BUDGET,
  type QueryBudget,
  QueryLimiter,
  SANDBOX_QUERY_BUDGET,
} from './query-budget.js';
import {
  callbackToken,
  clientAddress,
  comparePhone,
  ipMatches,
  SAFARICOM_CALLBACK_IPS,
  verifyCallbackToken,
} from './security.js';
import type {
  CallbackEvent,
  CallbackOutcome,
  FulfilmentClaim,
  Payment,
  PaymentStore,
  PaymentTransition,
  ReceiptEnrichment,
  SettledBy,
} from './types.js';

/** The JSON body acknowledging a callback to Daraja. */
export interface CallbackAck {
  /** Always `0`. */
  readonly ResultCode: 0;
  /** Always `'Accepted'`. */
  readonly ResultDesc: 'Accepted';
}

/** The acknowledgement of a callback probe (see {@link PaymentFlow.handleCallback}): the usual ack plus the report. */
export interface CallbackProbeAck extends CallbackAck {
  /** What the flow saw of the probe request, and what would make real callbacks fail. */
  readonly probe: CallbackProbeReport;
}

/** The JSON body of the rare answer that does not acknowledge a callback (HTTP 503): see {@link CallbackResponse}. */
export interface CallbackRetryLater {
  /** Always `1`. */
  readonly ResultCode: 1;
  /** Always `'Not recorded, retry later'`. */
  readonly ResultDesc: 'Not recorded, retry later';
}

/** The acknowledgement Daraja gets for every callback that is durable (in the store or a durable journal). */
export const CALLBACK_ACK: CallbackAck = Object.freeze({ ResultCode: 0, ResultDesc: 'Accepted' });

/** The answer (with HTTP 503) for a callback that could not be kept durably. */
export const CALLBACK_RETRY_LATER: CallbackRetryLater = Object.freeze({
  ResultCode: 1,
  ResultDesc: 'Not recorded, retry later',
});

/** Names of the query parameters the flow adds to each payment's callback URL. */
export interface CallbackUrlParams {
  /** Carries the payment id. */
  readonly payment: 'payment';
  /** Carries the payment's HMAC token. */
  readonly token: 'token';
}

/** Query parameters the flow adds to the callback URL of each payment. */
export const CALLBACK_URL_PARAMS: CallbackUrlParams = Object.freeze({ payment: 'payment', token: 'token' });

/** Options of {@link createPaymentFlow}. */
export interface PaymentFlowOptions {
  /** The Daraja client used for STK push and query. */
  daraja: Daraja;
  /** Where payments are kept. */
  store: PaymentStore;
  /**
   * Public URL of your callback route, e.g. `https://example.com/payments/callback`. The flow adds
   * `?payment=<id>&token=<hmac>` for each payment. When the client talks to Daraja (not a simulator), it
   * must be a URL Safaricom can reach: not `localhost`, `*.local` or a loopback, private or link-local
   * address. Safaricom documents no keyword rule for STK callback URLs (it does for C2B: see
   * `c2b.registerUrls`), but a neutral path such as `/payments/callback` is the safe choice.
   */
  callbackUrl: string;
  /**
   * Secret for the per-payment callback tokens (at least 32 characters; keep it out of source control).
   * Pass several to rotate: the first signs new URLs, all are accepted. Required unless
   * `verifyCallbackToken` is false. Every app instance must share it.
   */
  callbackSecret?: string | readonly string[];
  /**
   * Require the per-payment token in the callback URL (compared in constant time). It authenticates the
   * callback and links it to its payment even when the push answer was lost. @defaultValue true
   */
  verifyCallbackToken?: boolean;
  /**
   * Addresses (exact, or IPv4 CIDR like `196.201.212.0/24`) allowed to send callbacks, or `false` to
   * accept any. Add `127.0.0.1` to use the local simulator. @defaultValue {@link SAFARICOM_CALLBACK_IPS}
   */
  allowedIps?: readonly string[] | false;
  /**
   * Proxies (exact or CIDR) whose `X-Forwarded-For` is believed, e.g. your load balancer. Behind one, the
   * client is the rightmost untrusted hop. @defaultValue `[]` (the socket address is used)
   */
  trustedProxies?: readonly string[];
  /** Reject a success callback whose amount differs from the payment's. @defaultValue true */
  verifyAmount?: boolean;
  /**
   * Reject a success callback whose phone number differs from the payment's, compared on the digits it
   * shows (full, masked or hashed). @defaultValue true
   */
  verifyPhone?: boolean;
  /**
   * What to do with a success callback whose phone number proves nothing (omitted, `"*"`, masked down to a
   * digit or two, an unknown hash), as Daraja's 2026 masking may send: `confirm` it with an STK query
   * before settling (after the acknowledgement), `accept` it on the token and amount alone, or `reject`
   * it. @defaultValue `'confirm'`
   */
  unverifiablePhone?: 'confirm' | 'accept' | 'reject';
  /**
   * Confirm every success callback with an STK query before settling it (after the acknowledgement).
   * Costs one query per success; the only check that does not trust the callback at all.
   * @defaultValue false
   */
  confirmWithQuery?: boolean;
  /**
   * Your fulfilment, e.g. activating a subscription. Runs once per completed payment: concurrent
   * callbacks, status checks and instances share one fenced claim, renewed while it runs. If it throws,
   * `reconcile` retries it (with backoff, up to `maxFulfilmentAttempts`). Make it idempotent on
   * `payment.id` too: a crash after it ran but before it was recorded runs it again. A payment with
   * `correctedFrom` set is a late success: the customer may have been told it failed.
   */
  onCompleted: (payment: Payment) => void | Promise<void>;
  /**
   * Called once when a payment ends `cancelled`, `timeout` or `failed` (including a give-up, which a late
   * success can still correct). Runs after the callback is acknowledged; errors are logged, not retried.
   */
  onFailed?: (payment: Payment) => void | Promise<void>;
  /**
   * Called once when a verified success corrects a payment the flow had given up on (a late success),
   * before its fulfilment: tell the customer who was told it failed. Errors are logged, not retried.
   */
  onLateSuccess?: (payment: Payment) => void | Promise<void>;
  /**
   * Called when a fulfilment has failed `maxFulfilmentAttempts` times: the payment is parked (paid, not
   * fulfilled, no longer retried by `reconcile`) until you fix the cause and call
   * {@link PaymentFlow.retryFulfilment}. Alert on it.
   */
  onFulfilmentParked?: (payment: Payment, error: string) => void | Promise<void>;
  /**
   * How long one fulfilment claim lasts (by the store's clock) before another instance may take over. It
   * is renewed every third of this while `onCompleted` runs, so a slow fulfilment keeps it.
   * @defaultValue 5 minutes
   */
  fulfilmentLeaseMs?: number;
  /** Wait this long before retrying a failed fulfilment; doubles with each attempt, up to an hour. @defaultValue 30 seconds */
  fulfilmentRetryDelayMs?: number;
  /** Fulfilment attempts before a payment is parked (see `onFulfilmentParked`). @defaultValue 10 */
  maxFulfilmentAttempts?: number;
  /**
   * `reconcile` checks a pending payment again after this long, doubling with each check up to
   * `maxRecheckIntervalMs`. @defaultValue 30 seconds
   */
  recheckIntervalMs?: number;
  /** The longest wait between two status checks of one payment. @defaultValue 1 hour */
  maxRecheckIntervalMs?: number;
  /**
   * Give up on a payment Daraja keeps reporting as pending (or cannot find) after this long: it becomes
   * `timeout`, settled by `give-up`, and a verified success still corrects it. @defaultValue 24 hours
   */
  giveUpAfterMs?: number;
  /**
   * Give up on a payment whose push outcome is unknown (no `CheckoutRequestID` to query) after this long,
   * unless its callback arrives (which still corrects it later). @defaultValue 15 minutes
   */
  unknownOutcomeGiveUpAfterMs?: number;
  /** `checkStatus` queries Daraja at most once per this interval per payment. @defaultValue 5 seconds */
  statusQueryIntervalMs?: number;
  /**
   * How many STK queries the flow may send (per flow instance: divide it between instances), or `false`
   * for no limit. `checkStatus` skips its query when the budget is spent; `reconcile` waits for it (up
   * to its `maxWaitMs`) and takes no more payments than it can query. A 429 or spike-arrest answer pauses
   * queries for a minute. @defaultValue {@link SANDBOX_QUERY_BUDGET} (4 per 60 s, one every 15 s) against
   * the sandbox, else {@link DEFAULT_QUERY_BUDGET}
   */
  queryBudget?: QueryBudget | false;
  /**
   * Where callbacks (and push answers) go when the store cannot take them in time, to be replayed into
   * the store by the next `reconcile` or callback. @defaultValue a {@link MemoryCallbackJournal} (not
   * durable: callbacks that only reach it are answered 503). Pass `FileCallbackJournal` from
   * `daraja-sdk/journal`, or your own durable journal.
   */
  journal?: CallbackJournal;
  /**
   * The callback's acknowledgement deadline. The store gets two thirds of it to record the callback; past
   * that (or on an error) it goes to the journal. The answer never waits for `onCompleted`.
   * @defaultValue 3000
   */
  ackDeadlineMs?: number;
  /**
   * Receives redacted logs. Without a logger the flow is silent, except for a few one-time warnings of a
   * misconfiguration that makes every callback fail (no body parser on the callback route, no
   * `remoteAddress`, every callback rejected by `allowedIps`, the store's tables missing), which then go to
   * `console.warn`. Pass `null` to silence those too. @defaultValue silent but for those warnings
   */
  logger?: DarajaLogger | null;
  /** The app's clock, for callback receipt times and `checkStatus` throttling; for tests. @defaultValue `() => new Date()` */
  now?: () => Date;
}

/** Input of {@link PaymentFlow.initiate}. */
export interface InitiateParams {
  /** Who pays (your user or account id); `checkStatus` only answers this owner. */
  ownerId: string;
  /** Whole shillings, 1 to 250,000. */
  amount: number;
  /** The customer's number, any Kenyan form. */
  phoneNumber: string | number;
  /** Shown on the prompt; 1–12 characters. */
  accountReference: string;
  /** Up to 13 characters. @defaultValue `'Payment'` */
  transactionDesc?: string;
  /** Your data kept with the payment, e.g. `{ plan: 'pro' }`. JSON only. */
  metadata?: Record<string, unknown>;
  /**
   * Makes the call idempotent: a second `initiate` with the same key returns the first payment and sends
   * no second prompt (e.g. one key per checkout form, to survive double clicks).
   */
  idempotencyKey?: string;
}

/** The result of {@link PaymentFlow.initiate}. */
export interface InitiateResult {
  /**
   * - `sent`: Daraja accepted the push; the prompt is on its way.
   * - `rejected`: Daraja refused the push (or it never left); the payment is `failed` with the reason.
   * - `unknown`: the push may have reached Daraja; the payment stays `pending` and is never resent.
   * - `existing`: a payment with this `idempotencyKey` already existed; nothing was sent.
   */
  outcome: 'sent' | 'rejected' | 'unknown' | 'existing';
  /** The payment after the call. */
  payment: Payment;
  /** Daraja's message for the customer, when the push was accepted. */
  customerMessage?: string;
  /** The error behind `rejected` or `unknown`. */
  error?: DarajaError;
}

/**
 * What {@link PaymentFlow.handleCallback} needs from the HTTP request. Every field but `body` also takes
 * `undefined`, so framework values typed `string | undefined` (Express's `req.socket.remoteAddress`) pass
 * as they are under `exactOptionalPropertyTypes`.
 */
export interface CallbackRequest {
  /**
   * The parsed JSON body (Express `express.json()`, Fastify's default parser), or the raw text or bytes.
   * Without a body parser nothing usable arrives and every callback is rejected as invalid.
   */
  body: unknown;
  /** The request URL or path with its query string (Express `req.originalUrl`, Fastify `request.url`). */
  url?: string | undefined;
  /**
   * The socket's address (Express `req.socket.remoteAddress`, Fastify `request.socket.remoteAddress` or
   * `request.ip`). Needed by the `allowedIps` check: without it every callback is rejected (`ip_unknown`).
   */
  remoteAddress?: string | undefined;
  /** Request headers (for `X-Forwarded-For` behind a trusted proxy). */
  headers?: Record<string, string | string[] | undefined> | Headers | undefined;
}

/** What to send back to Daraja, plus what the flow did (for your logs and tests). */
export interface CallbackResponse {
  /**
   * 200 once the callback is durable (in the store, or in a durable journal); 503 only when it could not
   * be kept durably (then it may still be applied later from memory, and the log says how to recover it).
   */
  status: 200 | 503;
  /** `{ 'content-type': 'application/json' }`. */
  headers: Record<'content-type', 'application/json'>;
  /**
   * {@link CALLBACK_ACK} with 200, {@link CALLBACK_RETRY_LATER} with 503, and for a probe the ack with its
   * report ({@link CallbackProbeAck}).
   */
  body: CallbackAck | CallbackRetryLater | CallbackProbeAck;
  /** What happened: `probe` for a callback probe, which changed nothing. */
  outcome: CallbackOutcome | 'probe';
  /** The probe's report, for a probe (`outcome: 'probe'`). */
  probe?: CallbackProbeReport;
  /** Why, for anything but `applied`. */
  reason: string | null;
  /** The payment it concerned, if linked. */
  paymentId: string | null;
  /**
   * The work the flow goes on with after the answer (fulfilment, `onFailed`, confirming a success by
   * query, replaying the journal). Never rejects. On serverless platforms that stop work after the
   * response, pass it to the platform's `waitUntil`; elsewhere ignore it.
   */
  afterAck: Promise<void>;
}

/** A summary of one {@link PaymentFlow.reconcile} run. */
export interface ReconcileSummary {
  /** Journal entries (callbacks and push answers kept during a store outage) applied to the store. */
  replayed: number;
  /** Pending payments examined (queried, or given up without a query). */
  checked: number;
  /** Payments settled by this run, by status. */
  settled: Record<Exclude<PaymentStatus, 'pending'>, number>;
  /** Examined payments still pending. */
  stillPending: number;
  /** Payments given up as `timeout` after the horizon (still correctable by a verified success). */
  gaveUp: number;
  /** Given-up payments a verified success corrected to `completed` in this run. */
  lateSuccesses: number;
  /** Fulfilments that succeeded in this run (retries of failed ones included). */
  fulfilled: number;
  /** Fulfilments that failed again (retried later). */
  fulfilmentFailures: number;
  /** Fulfilments that reached `maxFulfilmentAttempts` in this run and are parked. */
  parked: number;
  /** Queries that failed (network, Daraja errors, rate limits); those payments are retried later. */
  queryErrors: number;
  /** Claimed payments not queried because the query budget ran out within `maxWaitMs`; they come back later. */
  deferredByBudget: number;
}

/** The payment flow: see {@link createPaymentFlow}. */
export interface PaymentFlow {
  /**
   * Write a `pending` payment, then send its STK push with a per-payment callback URL, and record the
   * answer (in the journal if the store cannot take it). A rejected push makes the payment `failed`; an
   * unknown outcome leaves it `pending` for the callback or `reconcile` (it is never resent).
   *
   * @throws {@link DarajaValidationError} for bad input (nothing is written or sent).
   * @throws {@link DarajaConfigError} when the store is not set up, e.g. a `PostgresPaymentStore` whose
   * `migrate()` was never called (nothing is sent). A missing table is a setup step, not an outage: it is
   * never retried or journaled as one.
   */
  initiate(params: InitiateParams): Promise<InitiateResult>;
  /**
   * Handle a callback request. Never throws. Answers HTTP 200 with `{"ResultCode":0,"ResultDesc":"Accepted"}`
   * once the callback is durable (recorded in the store within the deadline, or else in a durable
   * journal), without waiting for `onCompleted` (see {@link CallbackResponse.afterAck}).
   *
   * **Misconfiguration is loud.** A route that makes every callback fail gets one warning per cause (to
   * the logger, or `console.warn` without one; `logger: null` silences it): a body that did not arrive
   * parsed (add `express.json()` to the route, or pass the raw text), no `remoteAddress` while `allowedIps`
   * is on, and three callbacks rejected by `allowedIps` with none accepted (a proxy or tunnel: see
   * `trustedProxies`). Payments still settle by status queries then, but without their receipts.
   *
   * **Probes.** A request whose URL has the query parameter {@link CALLBACK_PROBE_PARAM} (`daraja_probe`),
   * as `daraja doctor --callback-url` sends, is a probe whatever its body: it touches neither the store nor
   * the journal, counts toward no warning, and is answered 200 with
   * `{ ResultCode: 0, ResultDesc: 'Accepted', probe }`, where `probe` ({@link CallbackProbeReport}) says
   * whether a real callback sent the same way would get through (`verdict`) and, if not, what to fix
   * (`problems`: `invalid_body`, `ip_unknown`, or `ip_not_allowed` when the allow-list is on and the
   * address the flow sees is private, loopback, link-local or carrier-grade NAT, the signature of a proxy
   * missing from `trustedProxies`). The probe is cheap (no I/O); Daraja never sends the parameter.
   *
   * @example
   * ```ts
   * app.post('/payments/callback', express.json(), async (req, res) => {
   *   const ack = await flow.handleCallback({
   *     body: req.body, url: req.originalUrl, remoteAddress: req.socket.remoteAddress, headers: req.headers,
   *   });
   *   res.status(ack.status).json(ack.body);
   * });
   * ```
   */
  handleCallback(request: CallbackRequest): Promise<CallbackResponse>;
  /**
   * The payment, if it exists and belongs to `ownerId` (otherwise `undefined`: another user's payment
   * looks the same as a missing one). While pending (or given up), queries Daraja (at most once per
   * `statusQueryIntervalMs`, within the query budget) and settles and fulfils a missed callback.
   */
  checkStatus(paymentId: string, options: { ownerId: string }): Promise<Payment | undefined>;
  /**
   * Replay the journal, settle payments pending for longer than `olderThanMs` by STK query (most overdue
   * first, each with its own backoff, within the query budget; giving up after the horizon as a
   * correctable `timeout`), and retry failed fulfilments. Safe to run on several instances at once. Run it
   * periodically (e.g. every minute).
   *
   * @param options - `olderThanMs` (default 1 minute), `limit` of payments per phase (default 100), and
   * `maxWaitMs`, how long to wait for query budget (default 15 s).
   * @throws {@link DarajaConfigError} when the store is not set up (a `PostgresPaymentStore` before
   * `migrate()`); journaled callbacks stay in the journal and are applied by the first run after it.
   */
  reconcile(options?: {
    olderThanMs?: number;
    limit?: number;
    maxWaitMs?: number;
  }): Promise<ReconcileSummary>;
  /**
   * Run the fulfilment of a completed payment now, even if it is parked after too many failures (call it
   * once you fixed the cause). Returns the payment after the attempt, or `undefined` if it does not exist.
   */
  retryFulfilment(paymentId: string): Promise<Payment | undefined>;
  /** The callback URL (with its token) the flow sends for a payment. */
  callbackUrlFor(paymentId: string): string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const PAYMENT_ID = /^pay_[A-Za-z0-9_-]{1,64}$/;
/** Fulfilments `reconcile` runs (and so claims) at once. */
const FULFILMENT_CONCURRENCY = 4;

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 1000);
  return String(error).slice(0, 1000);
}

function header(headers: CallbackRequest['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : record[key];
  return Array.isArray(v) ? v.join(',') : v;
}

/** A Node stream, a web `ReadableStream` or an async iterable: a body nobody read. */
function isStream(value: object): boolean {
  const v = value as Record<string | symbol, unknown>;
  return (
    typeof v['pipe'] === 'function' ||
    typeof v['getReader'] === 'function' ||
    typeof v[Symbol.asyncIterator] === 'function'
  );
}

/**
 * How the body reached the flow: `parsed` (a JSON object), `missing` (nothing: `undefined`, `null`, empty
 * text or bytes, `{}`) or `unparsed` (text, bytes or an unread stream).
 */
function bodyState(body: unknown): CallbackProbeReport['body'] {
  if (body === undefined || body === null) return 'missing';
  if (typeof body === 'string') return body.trim() === '' ? 'missing' : 'unparsed';
  if (body instanceof Uint8Array) return body.byteLength === 0 ? 'missing' : 'unparsed';
  if (typeof body !== 'object') return 'unparsed';
  if (isStream(body)) return 'unparsed';
  if (!Array.isArray(body) && Object.keys(body).length === 0) return 'missing';
  return 'parsed';
}

/**
 * Why the flow cannot read this body at all (the route has no JSON body parser), or `undefined` when it
 * can: a parsed object, or raw text or bytes holding a JSON object.
 */
function unreadableBody(body: unknown): 'missing' | 'stream' | 'not_json' | undefined {
  const state = bodyState(body);
  if (state === 'missing') return 'missing';
  if (state === 'parsed') return undefined;
  if (typeof body === 'string') return body.trimStart().startsWith('{') ? undefined : 'not_json';
  if (body instanceof Uint8Array) {
    const text = Buffer.from(body.subarray(0, 64)).toString('utf8');
    return text.trimStart().startsWith('{') ? undefined : 'not_json';
  }
  return typeof body === 'object' ? 'stream' : 'not_json';
}

const BODY_FIX =
  'add a JSON body parser to the callback route (Express: app.post(path, express.json(), handler); Fastify ' +
  'parses JSON by default) and pass req.body, or pass the raw body text.';
const ADDRESS_FIX =
  'pass remoteAddress: req.socket.remoteAddress (Express) or request.socket.remoteAddress / request.ip ' +
  '(Fastify) to handleCallback, or turn the check off with allowedIps: false.';

/** The one-time warnings of a misconfiguration that makes callbacks fail. */
type Misconfiguration = 'body' | 'remote_address' | 'allowed_ips' | 'schema';

/** Rejections by `allowedIps`, with none accepted, before the flow warns of a proxy or tunnel. */
const ALLOWED_IPS_WARN_AFTER = 3;

const TIMED_OUT = Symbol('timed out');

/** Race `promise` against `ms`; the promise goes on (its rejection is observed) after a timeout. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a verified success callback brings to a payment already completed without it. */
function receiptOf(parsed: Extract<StkCallbackResult, { status: 'completed' }>): ReceiptEnrichment {
  return {
    mpesaReceiptNumber: parsed.mpesaReceiptNumber,
    callback: parsed.raw,
    merchantRequestId: parsed.merchantRequestId ?? null,
    checkoutRequestId: parsed.checkoutRequestId,
  };
}

/** Is this error Daraja's gateway rate-limiting us (429, spike arrest, quota)? */
function isRateLimited(error: unknown): boolean {
  if (!isDarajaApiError(error)) return false;
  const code = error.errorCode ?? '';
  return (
    error.status === 429 ||
    code === '500.003.02' ||
    code === '500.003.03' ||
    /spike ?arrest|quota violation|ratelimit/i.test(`${code} ${error.errorMessage ?? ''}`)
  );
}

/** What one fulfilment attempt came to (`skipped`: no claim, or nothing to fulfil). */
type FulfilmentOutcome = 'fulfilled' | 'failed' | 'parked' | 'skipped';

/** One callback to process: as received, or replayed from the journal. */
interface CallbackInput {
  eventId: string;
  receivedAt: Date;
  /** The body as kept for audit (JSON, or the text). */
  body: unknown;
  url: string | null;
  address: string | null;
  fingerprint: { bytes: number; sha256: string };
}

/** What processing a callback decided, and the work it leaves for after the answer. */
interface Processed {
  outcome: Exclude<CallbackOutcome, 'deferred'>;
  reason: string | null;
  paymentId: string | null;
  after?: () => Promise<unknown>;
}

/**
 * Build the payment flow: payment records written before the push, callbacks turned into settled
 * payments exactly once (and kept in a journal when the store is down), fulfilment run once per payment
 * under a fenced lease, and reconciliation of everything a lost callback left behind.
 *
 * @param options - The client, the store, the public callback URL and secret, your `onCompleted`, and
 * the defences (each with a safe default).
 * @throws {@link DarajaConfigError} for invalid options.
 *
 * @example
 * ```ts
 * const flow = createPaymentFlow({
 *   daraja, store: new MemoryPaymentStore(),
 *   callbackUrl: 'https://example.com/payments/callback',
 *   callbackSecret: process.env.CALLBACK_SECRET!,
 *   onCompleted: async (payment) => activateSubscription(payment.ownerId, payment.metadata.plan),
 * });
 * const { payment } = await flow.initiate({ ownerId: 'user-1', amount: 500, phoneNumber: '0712345678', accountReference: 'PRO' });
 * app.post('/payments/callback', express.json(), async (req, res) => {
 *   const ack = await flow.handleCallback({ body: req.body, url: req.originalUrl, remoteAddress: req.socket.remoteAddress, headers: req.headers });
 *   res.status(ack.status).json(ack.body);
 * });
 * ```
 */
export function createPaymentFlow(options: PaymentFlowOptions): PaymentFlow {
  return new Flow(options);
}

const STORE_METHODS = [
  'create',
  'get',
  'getByCheckoutRequestId',
  'attachCheckout',
  'transition',
  'attachReceipt',
  'claimFulfilment',
  'renewFulfilment',
  'completeFulfilment',
  'releaseFulfilment',
  'claimDuePending',
  'claimDueFulfilments',
  'recordCallback',
  'listCallbacks',
  'pruneRejectedCallbacks',
] as const;

class Flow implements PaymentFlow {
  readonly #o: PaymentFlowOptions;
  readonly #store: PaymentStore;
  readonly #journal: CallbackJournal;
  readonly #secrets: readonly string[];
  readonly #verifyToken: boolean;
  readonly #allowedIps: readonly string[] | false;
  readonly #trustedProxies: readonly string[];
  readonly #log: Log;
  readonly #now: () => Date;
  readonly #lastQuery = new Map<string, number>();
  readonly #limiter: QueryLimiter | undefined;
  readonly #sampler = new RejectionSampler();
  #replaying: Promise<{ applied: number; lateSuccesses: number }> | undefined;
  /** Journal entries that failed while others applied, by id: set aside after three such replays. */
  readonly #poisoned = new Map<string, number>();
  /** Set when this process journaled something (or at start): the next callback triggers a replay. */
  #journalMayHaveEntries = true;
  /** The misconfiguration warnings already given (each once per flow). */
  readonly #warned = new Set<Misconfiguration>();
  /** Callbacks rejected by `allowedIps` so far, and whether any address passed it. */
  #ipRejections = 0;
  #allowListPassed = false;
  readonly #t: {
    lease: number;
    retry: number;
    maxAttempts: number;
    recheck: number;
    maxRecheck: number;
    giveUp: number;
    giveUpUnknown: number;
    statusQuery: number;
    ack: number;
    /** The part of the ack deadline the store gets; the rest is the journal's. */
    storeDeadline: number;
  };

  constructor(o: PaymentFlowOptions) {
    const issues: { field: string; message: string }[] = [];
    if (!o || typeof o !== 'object')
      throw new DarajaConfigError([{ field: 'options', message: 'pass an options object.' }]);
    if (!o.daraja || typeof o.daraja.stk?.push !== 'function')
      issues.push({ field: 'daraja', message: 'pass a Daraja client.' });
    const missing = STORE_METHODS.filter(
      (m) => typeof (o.store as unknown as Record<string, unknown>)?.[m] !== 'function',
    );
    if (missing.length > 0)
      issues.push({
        field: 'store',
        message: `must implement PaymentStore (missing: ${missing.join(', ')}).`,
      });
    for (const hook of ['onFailed', 'onLateSuccess', 'onFulfilmentParked'] as const) {
      if (o[hook] !== undefined && typeof o[hook] !== 'function')
        issues.push({ field: hook, message: 'must be a function.' });
    }
    if (typeof o.onCompleted !== 'function')
      issues.push({ field: 'onCompleted', message: 'pass your fulfilment function.' });
    const production = o.daraja?.environment === 'production';
    const darajaHost = typeof o.daraja?.baseUrl === 'string' && isDarajaHost(o.daraja.baseUrl);
    const urlProblem = validateCallbackUrl(o.callbackUrl, production, darajaHost);
    if (urlProblem) issues.push({ field: 'callbackUrl', message: urlProblem });
    this.#verifyToken = o.verifyCallbackToken !== false;
    const secrets =
      o.callbackSecret === undefined
        ? []
        : typeof o.callbackSecret === 'string'
          ? [o.callbackSecret]
          : [...o.callbackSecret];
    if (
      this.#verifyToken &&
      (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32))
    ) {
      issues.push({
        field: 'callbackSecret',
        message:
          'required: a random secret of at least 32 characters shared by every instance (or set verifyCallbackToken: false).',
      });
    }
    const lists = { allowedIps: o.allowedIps, trustedProxies: o.trustedProxies };
    for (const [field, list] of Object.entries(lists)) {
      if (
        list !== undefined &&
        list !== false &&
        (!Array.isArray(list) || list.some((x) => typeof x !== 'string'))
      ) {
        issues.push({ field, message: 'must be a list of IP addresses or CIDR blocks.' });
      }
    }
    const durations = {
      fulfilmentLeaseMs: o.fulfilmentLeaseMs,
      fulfilmentRetryDelayMs: o.fulfilmentRetryDelayMs,
      recheckIntervalMs: o.recheckIntervalMs,
      maxRecheckIntervalMs: o.maxRecheckIntervalMs,
      giveUpAfterMs: o.giveUpAfterMs,
      unknownOutcomeGiveUpAfterMs: o.unknownOutcomeGiveUpAfterMs,
      statusQueryIntervalMs: o.statusQueryIntervalMs,
      ackDeadlineMs: o.ackDeadlineMs,
      maxFulfilmentAttempts: o.maxFulfilmentAttempts,
    };
    for (const [field, value] of Object.entries(durations)) {
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0))
        issues.push({ field, message: 'must be a number ≥ 0.' });
    }
    if (o.fulfilmentLeaseMs !== undefined && o.fulfilmentLeaseMs < 100)
      issues.push({ field: 'fulfilmentLeaseMs', message: 'must be at least 100 ms.' });
    if (
      o.unverifiablePhone !== undefined &&
      !['confirm', 'accept', 'reject'].includes(o.unverifiablePhone as string)
    )
      issues.push({ field: 'unverifiablePhone', message: "must be 'confirm', 'accept' or 'reject'." });
    const budget = o.queryBudget;
    if (
      budget !== undefined &&
      budget !== false &&
      (typeof budget !== 'object' ||
        !(budget.limit > 0) ||
        !(budget.intervalMs > 0) ||
        (budget.burst !== undefined && !(budget.burst >= 1)))
    )
      issues.push({
        field: 'queryBudget',
        message:
          'must be { limit > 0, intervalMs > 0, burst? ≥ 1 } or false, e.g. { limit: 5, intervalMs: 60000 }.',
      });
    const journal = o.journal;
    if (
      journal !== undefined &&
      (typeof journal !== 'object' ||
        journal === null ||
        !['append', 'read', 'remove'].every(
          (m) => typeof (journal as unknown as Record<string, unknown>)[m] === 'function',
        ))
    )
      issues.push({ field: 'journal', message: 'must implement CallbackJournal (append, read, remove).' });
    if (issues.length > 0) throw new DarajaConfigError(issues);
    this.#o = o;
    this.#store = o.store;
    this.#journal = o.journal ?? new MemoryCallbackJournal();
    this.#secrets = secrets;
    this.#allowedIps = o.allowedIps === undefined ? SAFARICOM_CALLBACK_IPS : o.allowedIps;
    this.#trustedProxies = o.trustedProxies ?? [];
    this.#log = createLog(o.logger ?? undefined, { component: 'payment-flow' });
    this.#now = o.now ?? (() => new Date());
    const sandbox = o.daraja.baseUrl === 'https://sandbox.safaricom.co.ke';
    const chosen = budget === undefined ? (sandbox ? SANDBOX_QUERY_BUDGET : DEFAULT_QUERY_BUDGET) : budget;
    this.#limiter = chosen === false ? undefined : new QueryLimiter(chosen);
    this.#t = {
      lease: o.fulfilmentLeaseMs ?? 5 * MINUTE,
      retry: o.fulfilmentRetryDelayMs ?? 30_000,
      maxAttempts: o.maxFulfilmentAttempts ?? 10,
      recheck: o.recheckIntervalMs ?? 30_000,
      maxRecheck: o.maxRecheckIntervalMs ?? HOUR,
      giveUp: o.giveUpAfterMs ?? 24 * HOUR,
      giveUpUnknown: o.unknownOutcomeGiveUpAfterMs ?? 15 * MINUTE,
      statusQuery: o.statusQueryIntervalMs ?? 5_000,
      ack: o.ackDeadlineMs ?? 3_000,
      storeDeadline: ((o.ackDeadlineMs ?? 3_000) * 2) / 3,
    };
  }

  callbackUrlFor(paymentId: string): string {
    const url = new URL(this.#o.callbackUrl);
    url.searchParams.set(CALLBACK_URL_PARAMS.payment, paymentId);
    if (this.#verifyToken)
      url.searchParams.set(CALLBACK_URL_PARAMS.token, callbackToken(this.#secrets[0]!, paymentId));
    return url.toString();
  }

  // ---------------------------------------------------------------- initiate

  async initiate(params: InitiateParams): Promise<InitiateResult> {
    if (typeof params !== 'object' || params === null) {
      throw new DarajaValidationError('params', 'pass { ownerId, amount, phoneNumber, accountReference }.');
    }
    const ownerId = validateText('ownerId', params.ownerId, 200, true);
    const { phoneNumber, amount, accountReference, transactionDesc } = normalizeStkFields(params);
    const metadata = validateMetadata(params.metadata);
    const idempotencyKey =
      params.idempotencyKey === undefined
        ? null
        : validateText('idempotencyKey', params.idempotencyKey, 200, true);

    const id = `pay_${randomBytes(16).toString('base64url')}`;
    const { created, payment } = await this.#store.create({
      id,
      ownerId,
      amount,
      phoneNumber,
      accountReference,
      transactionDesc,
      metadata,
      idempotencyKey,
    });
    if (!created) {
      this.#log.info('initiate: existing payment for this idempotency key; nothing sent', {
        paymentId: payment.id,
      });
      return { outcome: 'existing', payment };
    }

    try {
      const response = await this.#o.daraja.stk.push({
        phoneNumber,
        amount,
        accountReference,
        transactionDesc,
        callbackUrl: this.callbackUrlFor(id),
      });
      const ids = {
        merchantRequestId: response.merchantRequestId,
        checkoutRequestId: response.checkoutRequestId,
      };
      const attached = await this.#attachOrJournal(id, ids);
      this.#log.info('payment initiated', {
        paymentId: id,
        checkoutRequestId: response.checkoutRequestId,
        amount,
      });
      return {
        outcome: 'sent',
        payment: attached ?? { ...payment, ...ids },
        customerMessage: response.customerMessage,
      };
    } catch (error) {
      if (isDarajaUnknownOutcomeError(error)) {
        this.#log.warn('push outcome unknown; payment stays pending and is not resent', { paymentId: id });
        return {
          outcome: 'unknown',
          payment: (await this.#store.get(id).catch(() => undefined)) ?? payment,
          error,
        };
      }
      // Anything else means the push did not go out (validation, config, a Daraja rejection, a network
      // failure before sending): the payment fails with the reason.
      const reason = isDarajaApiError(error)
        ? { code: error.errorCode ?? `HTTP ${error.status}`, desc: error.errorMessage ?? error.message }
        : { code: isDarajaError(error) ? error.name : 'push_failed', desc: errorText(error) };
      let settled: Payment | undefined;
      try {
        const result = await this.#store.transition(id, {
          status: 'failed',
          final: true,
          resultCode: reason.code,
          resultDesc: `STK push not sent: ${reason.desc}`,
          mpesaReceiptNumber: null,
          merchantRequestId: null,
          checkoutRequestId: null,
          callback: null,
          settledBy: 'push',
        });
        settled = result.payment;
        if (result.applied) await this.#afterSettled(result.payment!);
      } catch (storeError) {
        // The payment stays pending (no CheckoutRequestID): reconcile gives it up later.
        this.#log.error('could not record the rejected push', { paymentId: id, error: storeError });
      }
      if (isDarajaConfigError(error) || isDarajaValidationError(error) || !isDarajaError(error)) throw error;
      return { outcome: 'rejected', payment: settled ?? payment, error };
    }
  }

  /** Record the push answer; if the store cannot, keep it in the journal; if that fails too, log it all. */
  async #attachOrJournal(
    paymentId: string,
    ids: { merchantRequestId: string; checkoutRequestId: string },
  ): Promise<Payment | undefined> {
    const attempt = this.#store.attachCheckout(paymentId, ids);
    try {
      const result = await withDeadline(attempt, this.#t.storeDeadline);
      if (result !== TIMED_OUT) return result;
    } catch (error) {
      this.#log.warn('could not record the push answer; keeping it in the journal', { paymentId, error });
      if (isDarajaConfigError(error)) this.#warnSchema();
    }
    const entry: JournalEntry = {
      kind: 'checkout',
      id: `jrn_${randomBytes(12).toString('base64url')}`,
      receivedAt: this.#now().toISOString(),
      paymentId,
      ...ids,
    };
    try {
      await this.#journal.append(entry);
      this.#journalMayHaveEntries = true;
    } catch (error) {
      // The token-linked callback can still link the payment; this line is the manual way back.
      this.#log.error('could not record the push answer anywhere; attach it by hand', {
        paymentId,
        ...ids,
        error,
      });
    }
    return undefined;
  }

  // ---------------------------------------------------------------- callbacks

  async handleCallback(request: CallbackRequest): Promise<CallbackResponse> {
    const started = Date.now(); // deadlines run on the real clock, whatever `now` says
    const receivedAt = this.#now();
    const eventId = `cbe_${randomBytes(12).toString('base64url')}`;
    const req = (typeof request === 'object' && request !== null ? request : {}) as CallbackRequest;
    const url = typeof req.url === 'string' ? req.url : null;
    let address: string | null = null;
    let paymentHint: string | null = null;
    try {
      address =
        clientAddress(req.remoteAddress, header(req.headers, 'x-forwarded-for'), this.#trustedProxies) ??
        null;
      const query = new URL(url ?? '/', 'http://callback.invalid').searchParams;
      const probeNonce = query.get(CALLBACK_PROBE_PARAM);
      if (probeNonce !== null) return this.#probe(req, address, probeNonce);
      if (this.#allowedIps !== false && !req.remoteAddress?.trim())
        this.#warnOnce(
          'remote_address',
          'callbacks reach handleCallback without remoteAddress, so allowedIps rejects every one (ip_unknown) ' +
            `and payments settle only by status queries, without receipts. Fix: ${ADDRESS_FIX}`,
        );
      // Authentication first: without it, a callback costs a sampled, body-less audit row at most.
      const gate = this.#authenticate(query, address);
      paymentHint = gate.paymentId;
      this.#noteAllowList(address, gate.rejected === 'ip_not_allowed');
      if (gate.rejected) {
        const afterAck = this.#recordUnauthenticated(
          { id: eventId, receivedAt, reason: gate.rejected, remoteAddress: address },
          req.body,
        );
        return this.#answer(200, 'rejected', gate.rejected, null, afterAck);
      }
      const unreadable = unreadableBody(req.body);
      if (unreadable) this.#warnBody(unreadable);
      const input: CallbackInput = { eventId, receivedAt, url, address, ...auditedBody(req.body) };
      const processing = this.#process(input);
      const result = await withDeadline(
        processing.then((done) => ({ done })),
        this.#t.storeDeadline,
      ).catch((error: unknown) => ({ error }));
      if (result !== TIMED_OUT && 'done' in result) {
        const { done } = result;
        this.#noteAllowList(address, done.outcome === 'rejected' && done.reason === 'ip_not_allowed');
        this.#logCallback(done);
        const afterAck = this.#runAfter(done.after, this.#journalMayHaveEntries);
        return this.#answer(200, done.outcome, done.reason, done.paymentId, afterAck);
      }
      // The store failed or is too slow: keep the callback in the journal and answer.
      if (result === TIMED_OUT) {
        this.#log.warn('the store did not record the callback in time; keeping it in the journal', {
          callbackEventId: eventId,
          deadlineMs: Math.round(this.#t.storeDeadline),
        });
        // If the store finishes after all, its follow-up work still runs (replays are idempotent).
        processing.then((late) => this.#runAfter(late.after, false)).catch(() => undefined);
      } else {
        this.#log.warn('the store could not record the callback; keeping it in the journal', {
          callbackEventId: eventId,
          error: result.error,
        });
        if (isDarajaConfigError(result.error)) this.#warnSchema();
      }
      return await this.#journalCallback(input, paymentHint, receivedAt, started);
    } catch (error) {
      // A bug: still answer, and say what would let someone recover the callback by hand.
      this.#log.error('callback handling failed', { callbackEventId: eventId, error });
      this.#logRecovery(req.body, paymentHint, eventId);
      return this.#answer(
        503,
        'invalid',
        `internal_error: ${errorText(error)}`,
        paymentHint,
        Promise.resolve(),
      );
    }
  }

  /**
   * Answer a probe (see {@link PaymentFlow.handleCallback}): what the flow sees of the request and what
   * would make a real callback sent the same way fail. No I/O, no state.
   */
  #probe(req: CallbackRequest, address: string | null, nonce: string): CallbackResponse {
    const problems: CallbackProbeProblem[] = [];
    const body = bodyState(req.body);
    let readable = false;
    try {
      parseStkCallback(req.body);
      readable = true;
    } catch {
      readable = false;
    }
    if (!readable) {
      const kind = unreadableBody(req.body);
      problems.push({
        reason: 'invalid_body',
        fix:
          kind === 'missing'
            ? `No body reached handleCallback: ${BODY_FIX}`
            : kind === 'stream'
              ? `The body reached handleCallback unread (a stream): ${BODY_FIX}`
              : 'The body reached handleCallback but not as the JSON that was sent (a form or text parser?): ' +
                'parse the callback route as JSON (Express: express.json()) and pass req.body.',
      });
    }
    const allowList = this.#allowedIps;
    const hasAddress = typeof req.remoteAddress === 'string' && req.remoteAddress.trim() !== '';
    if (allowList !== false && !hasAddress)
      problems.push({
        reason: 'ip_unknown',
        fix: `handleCallback got no remoteAddress, so allowedIps would reject every callback: ${ADDRESS_FIX}`,
      });
    const allowed = allowList !== false && address !== null && ipMatches(allowList, address);
    const scope = address === null ? undefined : addressScope(address);
    if (allowList !== false && address !== null && !allowed && scope !== undefined && scope !== 'public')
      problems.push({
        reason: 'ip_not_allowed',
        fix:
          `The flow sees callbacks coming from ${address}, ${describeScope(scope)}: the app is behind a proxy ` +
          'or tunnel, so every callback from Safaricom would be rejected (ip_not_allowed). List the proxy in ' +
          'trustedProxies so the client address is read from X-Forwarded-For, or adjust allowedIps.',
      });
    const report: CallbackProbeReport = {
      nonce: nonce.slice(0, 128).replace(/[^A-Za-z0-9._~-]/g, ''),
      sdkVersion: VERSION,
      body,
      remoteAddress: hasAddress ? 'present' : 'missing',
      ...(address !== null ? { clientAddress: address } : {}),
      allowedIps: allowList === false ? 'off' : allowed ? 'allowed' : 'rejected',
      verdict: problems.length === 0 ? 'ok' : 'misconfigured',
      problems,
    };
    this.#log.info('callback probe answered', {
      verdict: report.verdict,
      problems: problems.map((p) => p.reason),
    });
    return {
      ...this.#answer(200, 'probe', null, null, Promise.resolve()),
      body: Object.freeze({ ...CALLBACK_ACK, probe: report }),
      probe: report,
    };
  }

  /** Say once, even with no logger (to `console.warn`), what makes callbacks fail; `logger: null` mutes it. */
  #warnOnce(kind: Misconfiguration, message: string, fields: Record<string, unknown> = {}): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    if (this.#o.logger === null) return;
    if (this.#o.logger !== undefined) {
      this.#log.warn(`payment flow misconfigured: ${message}`, { misconfiguration: kind, ...fields });
      return;
    }
    try {
      console.warn(`[daraja] payment flow misconfigured: ${maskPhoneNumbersInText(message)}`);
    } catch {
      // A broken console must never break a callback.
    }
  }

  #warnBody(kind: 'missing' | 'stream' | 'not_json'): void {
    const what =
      kind === 'missing'
        ? 'with no body'
        : kind === 'stream'
          ? 'with an unread body (a stream)'
          : 'with a body that is not JSON (a form or text parser?)';
    this.#warnOnce(
      'body',
      `callbacks reach handleCallback ${what}, so every one is rejected as invalid and payments settle ` +
        `only by status queries, without receipts. Fix: ${BODY_FIX}`,
    );
  }

  #warnSchema(): void {
    this.#warnOnce(
      'schema',
      "the store's tables are missing or older than this version of daraja-sdk: call await store.migrate() " +
        'once at start-up (or run npx daraja-sdk migrate). Callbacks wait in the journal until then.',
    );
  }

  /**
   * Watch the allow-list: if callbacks keep being rejected by it and none ever passed, the app is probably
   * behind a proxy or tunnel whose address is not Safaricom's. A route that accepted one never warns.
   */
  #noteAllowList(address: string | null, rejectedByAllowList: boolean): void {
    const list = this.#allowedIps;
    if (list === false || this.#allowListPassed || this.#warned.has('allowed_ips')) return;
    if (address !== null && ipMatches(list, address)) {
      this.#allowListPassed = true;
      return;
    }
    if (!rejectedByAllowList) return;
    this.#ipRejections += 1;
    if (this.#ipRejections < ALLOWED_IPS_WARN_AFTER) return;
    const scope = address === null ? undefined : addressScope(address);
    const seen =
      scope !== undefined && scope !== 'public'
        ? `${address}, ${describeScope(scope)}, which is a proxy or tunnel, not Safaricom`
        : `${address}`;
    this.#warnOnce(
      'allowed_ips',
      `${this.#ipRejections} callbacks were rejected by allowedIps (ip_not_allowed) and none passed it; the ` +
        `last came from ${seen}. The app is probably behind a proxy, load balancer or tunnel whose address ` +
        "is not Safaricom's: list it in trustedProxies (its X-Forwarded-For is then read), or set allowedIps " +
        'to the addresses your callbacks really come from (false turns the check off). Until then payments ' +
        'settle only by status queries, without receipts.',
    );
  }

  #answer(
    status: 200 | 503,
    outcome: CallbackOutcome | 'probe',
    reason: string | null,
    paymentId: string | null,
    afterAck: Promise<void>,
  ): CallbackResponse {
    return {
      status,
      headers: { 'content-type': 'application/json' },
      body: status === 200 ? CALLBACK_ACK : CALLBACK_RETRY_LATER,
      outcome,
      reason,
      paymentId,
      afterAck,
    };
  }

  /**
   * Who may send this callback. With tokens on, the token authenticates it (an address not on
   * `allowedIps` is checked later, keeping the body: it may be Safaricom on a new address); without
   * tokens, the address does.
   */
  #authenticate(
    query: URLSearchParams,
    address: string | null,
  ): { rejected: string | null; paymentId: string | null } {
    const paymentId = query.get(CALLBACK_URL_PARAMS.payment);
    const validId = paymentId !== null && PAYMENT_ID.test(paymentId) ? paymentId : null;
    if (this.#verifyToken) {
      const token = query.get(CALLBACK_URL_PARAMS.token);
      if (!paymentId || !token) return { rejected: 'missing_token', paymentId: null };
      if (validId === null || !verifyCallbackToken(this.#secrets, validId, token))
        return { rejected: 'bad_token', paymentId: null };
      return { rejected: null, paymentId: validId };
    }
    if (this.#allowedIps !== false && !ipMatches(this.#allowedIps, address ?? undefined)) {
      return { rejected: address ? 'ip_not_allowed' : 'ip_unknown', paymentId: null };
    }
    return { rejected: null, paymentId: validId };
  }

  /**
   * A sampled, body-less audit row for a callback rejected before authentication; never throws. The body
   * is only fingerprinted when the row is kept, so a flood costs no hashing either.
   */
  #recordUnauthenticated(
    rejection: Pick<CallbackEvent, 'id' | 'receivedAt' | 'reason' | 'remoteAddress'>,
    body: unknown,
  ): Promise<void> {
    const { record, suppressed } = this.#sampler.admit(
      `${rejection.remoteAddress ?? '?'}|${rejection.reason}`,
      Date.now(),
    );
    if (suppressed > 0)
      this.#log.warn('unauthenticated callbacks rejected without an audit row in the last window', {
        count: suppressed,
      });
    if (!record) {
      // Sampled like the audit rows, so a flood cannot fill the logs either.
      this.#log.debug('callback rejected before authentication', {
        reason: rejection.reason,
        remoteAddress: rejection.remoteAddress,
        recorded: false,
      });
      return Promise.resolve();
    }
    const fingerprint = bodyFingerprint(body);
    const event: CallbackEvent = {
      ...rejection,
      outcome: 'rejected',
      paymentId: null,
      checkoutRequestId: null,
      body: null,
      bodyBytes: fingerprint.bytes,
      bodySha256: fingerprint.sha256,
    };
    this.#log.warn('callback rejected before authentication', {
      reason: event.reason,
      remoteAddress: event.remoteAddress,
      bodyBytes: event.bodyBytes,
      recorded: true,
    });
    return withDeadline(this.#store.recordCallback(event), this.#t.storeDeadline).then(
      () => undefined,
      (error: unknown) => this.#log.warn('could not record a rejected callback', { error }),
    );
  }

  async #journalCallback(
    input: CallbackInput,
    paymentId: string | null,
    receivedAt: Date,
    started: number,
  ): Promise<CallbackResponse> {
    const entry: JournalEntry = {
      kind: 'callback',
      id: `jrn_${randomBytes(12).toString('base64url')}`,
      eventId: input.eventId,
      receivedAt: receivedAt.toISOString(),
      body: input.body,
      url: input.url,
      remoteAddress: input.address,
    };
    const remaining = Math.max(50, this.#t.ack - (Date.now() - started));
    try {
      const appended = await withDeadline(this.#journal.append(entry), remaining);
      if (appended === TIMED_OUT) throw new Error(`the journal did not answer within ${remaining} ms`);
      this.#journalMayHaveEntries = true;
      const durable = this.#journal.durable;
      if (!durable)
        this.#log.error('callback kept only in memory (the journal is not durable); answering 503', {
          callbackEventId: input.eventId,
          paymentId,
        });
      if (!durable) this.#logRecovery(input.body, paymentId, input.eventId);
      return this.#answer(
        durable ? 200 : 503,
        'deferred',
        durable ? 'store_unavailable' : 'store_unavailable_memory_journal',
        paymentId,
        Promise.resolve(),
      );
    } catch (error) {
      this.#log.error('callback could not be recorded in the store or the journal', {
        callbackEventId: input.eventId,
        error,
      });
      this.#logRecovery(input.body, paymentId, input.eventId);
      return this.#answer(503, 'deferred', 'not_recorded', paymentId, Promise.resolve());
    }
  }

  /** The log line that lets someone apply a callback by hand (masked as usual). */
  #logRecovery(body: unknown, paymentId: string | null, eventId: string): void {
    let facts: Record<string, unknown> = {};
    try {
      const parsed = parseStkCallback(body);
      facts = {
        checkoutRequestId: parsed.checkoutRequestId,
        resultCode: parsed.resultCode,
        ...(parsed.status === 'completed'
          ? {
              mpesaReceiptNumber: parsed.mpesaReceiptNumber,
              amount: parsed.amount,
              phoneNumber: parsed.phoneNumberRaw,
              transactionDate: parsed.transactionDate.toISOString(),
            }
          : {}),
      };
    } catch {
      facts = { unparsable: true };
    }
    this.#log.error('RECOVER BY HAND: a callback that may not be recorded', {
      callbackEventId: eventId,
      paymentId,
      ...facts,
    });
  }

  #logCallback(result: Processed): void {
    const quiet = ['applied', 'duplicate', 'enriched', 'late_success'].includes(result.outcome);
    this.#log[quiet ? 'info' : 'warn']('callback handled', {
      outcome: result.outcome,
      reason: result.reason,
      paymentId: result.paymentId,
    });
  }

  /** Run the work that follows an answer, then (if asked) replay the journal. Never rejects. */
  #runAfter(after: (() => Promise<unknown>) | undefined, replay: boolean): Promise<void> {
    return (async () => {
      if (after) {
        try {
          await after();
        } catch (error) {
          this.#log.error('work after the callback failed; reconcile retries it', { error });
        }
      }
      if (replay) await this.#replay().catch(() => undefined);
    })();
  }

  /** Process one authenticated callback with the store. Throws if the store fails. */
  async #process(input: CallbackInput): Promise<Processed> {
    const event: CallbackEvent = {
      id: input.eventId,
      receivedAt: input.receivedAt,
      outcome: 'invalid',
      reason: null,
      paymentId: null,
      checkoutRequestId: null,
      remoteAddress: input.address,
      body: input.body,
      bodyBytes: input.fingerprint.bytes,
      bodySha256: input.fingerprint.sha256,
    };
    const done = async (
      outcome: Processed['outcome'],
      reason: string | null,
      after?: () => Promise<unknown>,
    ): Promise<Processed> => {
      event.outcome = outcome;
      event.reason = reason;
      await this.#store.recordCallback(event);
      return { outcome, reason, paymentId: event.paymentId, ...(after ? { after } : {}) };
    };

    const query = new URL(input.url ?? '/', 'http://callback.invalid').searchParams;
    const hintedId = query.get(CALLBACK_URL_PARAMS.payment);
    let parsed: StkCallbackResult;
    try {
      parsed = parseStkCallback(input.body);
    } catch (error) {
      if (!isDarajaCallbackError(error)) throw error;
      // Token-verified: link it to its payment (if the store has it), so its audit trail shows it.
      if (this.#verifyToken && hintedId && (await this.#store.get(hintedId))) event.paymentId = hintedId;
      return done('invalid', `${error.reason}${error.path ? ` at ${error.path}` : ''}`);
    }
    event.checkoutRequestId = parsed.checkoutRequestId;

    // Link the callback to its payment.
    let payment: Payment | undefined;
    if (this.#verifyToken) {
      payment = await this.#store.get(hintedId!);
      if (!payment) return done('unmatched', 'unknown_payment');
    } else {
      payment = await this.#store.getByCheckoutRequestId(parsed.checkoutRequestId);
      if (!payment && hintedId && PAYMENT_ID.test(hintedId)) {
        // Without tokens, the id in the URL is a hint only: it must agree with the CheckoutRequestID.
        const hinted = await this.#store.get(hintedId);
        if (hinted && hinted.checkoutRequestId === parsed.checkoutRequestId) payment = hinted;
      }
      if (!payment) return done('unmatched', 'unknown_checkout_request_id');
    }
    event.paymentId = payment.id;
    if (
      this.#verifyToken &&
      this.#allowedIps !== false &&
      !ipMatches(this.#allowedIps, input.address ?? undefined)
    ) {
      this.#log.warn(
        'a callback with a valid token came from an address not on allowedIps; rejected and kept. If it is Safaricom, add the address',
        { paymentId: payment.id, remoteAddress: input.address },
      );
      return done('rejected', input.address ? 'ip_not_allowed' : 'ip_unknown');
    }
    if (payment.checkoutRequestId !== null && payment.checkoutRequestId !== parsed.checkoutRequestId) {
      return done('rejected', 'checkout_request_id_mismatch');
    }
    if (parsed.status === 'pending') {
      // Not a final answer (4999, or a code we do not know): unknown is never failed.
      return done('unconfirmed', `not_final_result_code_${parsed.resultCode}`);
    }

    if (parsed.status !== 'completed') {
      if (payment.status === 'pending') {
        const result = await this.#store.transition(payment.id, this.#fromCallback(parsed));
        if (result.applied) return done('applied', null, () => this.#afterSettled(result.payment!));
        if (result.reason === 'duplicate_checkout' || result.reason === 'duplicate_receipt')
          return done('rejected', result.reason);
        payment = result.payment ?? payment;
        if (payment.status === 'pending') return done('rejected', result.reason ?? 'not_applied');
      }
      // A final failure for a payment the flow gave up on: it stays as it is (only a success corrects it).
      if (!payment.final) return done('duplicate', 'already_given_up');
      if (payment.status === parsed.status) return done('duplicate', 'already_settled');
      return done('rejected', `conflicts_with_${payment.status}`);
    }

    // A success: the checks that do not need Daraja.
    if (payment.status !== 'completed' && payment.final) {
      this.#log.error('a success callback contradicts a final result', {
        paymentId: payment.id,
        status: payment.status,
        resultCode: payment.resultCode,
      });
      return done('rejected', `conflicts_with_${payment.status}`);
    }
    if (this.#o.verifyAmount !== false && parsed.amount !== payment.amount) {
      return done('rejected', 'amount_mismatch');
    }
    let phone: 'match' | 'mismatch' | 'unverifiable' = 'match';
    if (this.#o.verifyPhone !== false) phone = comparePhone(payment.phoneNumber, parsed.phoneNumberRaw);
    if (phone === 'mismatch') return done('rejected', 'phone_mismatch');
    const policy = this.#o.unverifiablePhone ?? 'confirm';
    if (phone === 'unverifiable' && policy === 'reject') return done('rejected', 'phone_unverifiable');

    if (payment.status === 'completed') {
      // Already completed (by an STK query): this callback brings the receipt.
      return this.#enrich(payment, parsed, done);
    }
    const needsQuery =
      this.#o.confirmWithQuery === true || (phone === 'unverifiable' && policy === 'confirm');
    if (needsQuery) {
      // Kept first (durable, with its receipt), confirmed after the answer; reconcile finishes the job.
      const reason = this.#o.confirmWithQuery ? 'awaiting_query_confirmation' : 'phone_unverifiable';
      const paymentId = payment.id;
      return done('unconfirmed', reason, () => this.#confirmByQuery(paymentId, parsed));
    }
    const result = await this.#store.transition(payment.id, this.#fromCallback(parsed));
    if (result.applied) {
      const settled = result.payment!;
      return done(
        settled.correctedFrom ? 'late_success' : 'applied',
        settled.correctedFrom ? `was_${settled.correctedFrom}` : null,
        () => this.#afterSettled(settled),
      );
    }
    if (result.reason === 'duplicate_receipt' || result.reason === 'duplicate_checkout') {
      return done('rejected', result.reason);
    }
    // Settled meanwhile (a racing query or callback): maybe this callback still brings the receipt.
    const now = result.payment;
    if (now?.status === 'completed') return this.#enrich(now, parsed, done);
    return done('rejected', now ? `conflicts_with_${now.status}` : 'unknown_payment');
  }

  async #enrich(
    payment: Payment,
    parsed: Extract<StkCallbackResult, { status: 'completed' }>,
    done: (outcome: Processed['outcome'], reason: string | null) => Promise<Processed>,
  ): Promise<Processed> {
    if (payment.mpesaReceiptNumber !== null) {
      return payment.mpesaReceiptNumber === parsed.mpesaReceiptNumber
        ? done('duplicate', 'already_settled')
        : done('rejected', 'receipt_mismatch');
    }
    const result = await this.#store.attachReceipt(payment.id, receiptOf(parsed));
    if (result.applied) return done('enriched', 'receipt_attached');
    if (result.reason === 'has_receipt' && result.payment?.mpesaReceiptNumber === parsed.mpesaReceiptNumber)
      return done('duplicate', 'already_settled');
    return done('rejected', result.reason ?? 'not_enriched');
  }

  #fromCallback(parsed: Exclude<StkCallbackResult, { status: 'pending' }>): PaymentTransition {
    return {
      status: parsed.status,
      final: true,
      resultCode: parsed.resultCode,
      resultDesc: parsed.resultDesc,
      mpesaReceiptNumber: parsed.status === 'completed' ? parsed.mpesaReceiptNumber : null,
      merchantRequestId: parsed.merchantRequestId ?? null,
      checkoutRequestId: parsed.checkoutRequestId,
      callback: parsed.raw,
      settledBy: 'callback',
    };
  }

  /** After a success callback was kept as unconfirmed: ask Daraja, and settle if it answers finally. */
  async #confirmByQuery(paymentId: string, parsed: Extract<StkCallbackResult, { status: 'completed' }>) {
    if (this.#limiter && !(await this.#limiter.take(30_000))) return; // reconcile confirms it later
    const result = await this.#queryStatus(parsed.checkoutRequestId);
    if (!result?.final) return; // a non-final answer never overrules a success callback
    if (result.status === 'completed') {
      const settled = await this.#store.transition(paymentId, this.#fromCallback(parsed));
      if (settled.applied) await this.#afterSettled(settled.payment!);
      else await this.#attachKeptReceipt(settled.payment, parsed);
      return;
    }
    this.#log.error('an STK query contradicts a success callback; Daraja’s query answer settles it', {
      paymentId,
      resultCode: result.resultCode,
    });
    await this.#settleFromQuery(paymentId, result, 'query', 'STK query contradicted the success callback');
  }

  // ---------------------------------------------------------------- status

  async checkStatus(paymentId: string, options: { ownerId: string }): Promise<Payment | undefined> {
    if (typeof paymentId !== 'string' || !PAYMENT_ID.test(paymentId)) return undefined;
    const ownerId = options?.ownerId;
    if (typeof ownerId !== 'string' || hasControlCharacter(ownerId)) return undefined;
    const payment = await this.#store.get(paymentId);
    if (!payment || payment.ownerId !== ownerId) return undefined;
    const open = payment.status === 'pending' || (!payment.final && payment.settledBy === 'give-up');
    if (open && payment.checkoutRequestId !== null) {
      const last = this.#lastQuery.get(payment.id) ?? 0;
      const now = this.#now().getTime();
      if (now - last >= this.#t.statusQuery && (!this.#limiter || this.#limiter.tryTake())) {
        this.#lastQuery.set(payment.id, now);
        this.#trimQueryMemory();
        const result = await this.#queryStatus(payment.checkoutRequestId);
        if (result?.final) await this.#settleFromQuery(payment.id, result, 'query');
      }
    } else if (payment.status === 'completed' && payment.fulfilledAt === null) {
      await this.#fulfil(payment.id); // repair a fulfilment that failed earlier
    }
    return (await this.#store.get(paymentId)) ?? payment;
  }

  // ---------------------------------------------------------------- reconcile

  async reconcile(
    options: { olderThanMs?: number; limit?: number; maxWaitMs?: number } = {},
  ): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = {
      replayed: 0,
      checked: 0,
      settled: { completed: 0, cancelled: 0, failed: 0, timeout: 0 },
      stillPending: 0,
      gaveUp: 0,
      lateSuccesses: 0,
      fulfilled: 0,
      fulfilmentFailures: 0,
      parked: 0,
      queryErrors: 0,
      deferredByBudget: 0,
    };
    const count = (outcome: FulfilmentOutcome) => {
      if (outcome === 'fulfilled') summary.fulfilled += 1;
      else if (outcome !== 'skipped') summary.fulfilmentFailures += 1;
      if (outcome === 'parked') summary.parked += 1;
    };
    const replay = await this.#replay();
    summary.replayed = replay.applied;
    summary.lateSuccesses += replay.lateSuccesses;
    const limit = Math.max(0, options.limit ?? 100);
    const maxWaitMs = Math.max(0, options.maxWaitMs ?? 15_000);
    const take = this.#limiter ? Math.min(limit, this.#limiter.within(maxWaitMs)) : limit;
    const started = Date.now();
    const { now, payments } =
      take > 0
        ? await this.#store.claimDuePending({
            olderThanMs: options.olderThanMs ?? MINUTE,
            limit: take,
            recheckMs: this.#t.recheck,
            maxRecheckMs: this.#t.maxRecheck,
          })
        : { now: new Date(), payments: [] };
    await pool(payments, 4, async (payment) => {
      const age = now.getTime() - payment.createdAt.getTime();
      let transition: PaymentTransition | undefined;
      if (payment.checkoutRequestId === null) {
        summary.checked += 1;
        if (age >= this.#t.giveUpUnknown)
          transition = this.#giveUp('no CheckoutRequestID (push outcome unknown) and no callback');
      } else {
        const waitLeft = maxWaitMs - (Date.now() - started);
        if (this.#limiter && !(await this.#limiter.take(Math.max(0, waitLeft)))) {
          summary.deferredByBudget += 1;
          return;
        }
        summary.checked += 1;
        const result = await this.#queryStatus(payment.checkoutRequestId, true);
        if (result === undefined) summary.queryErrors += 1;
        if (result?.final) {
          const {
            payment: settled,
            applied,
            fulfilment,
          } = await this.#settleFromQuery(payment.id, result, 'reconcile');
          if (applied && settled && settled.status !== 'pending') {
            summary.settled[settled.status] += 1;
            if (settled.correctedFrom !== null) summary.lateSuccesses += 1;
          }
          count(fulfilment);
          return;
        }
        if (age >= this.#t.giveUp) transition = this.#giveUp('Daraja still reports no final result');
      }
      if (!transition) {
        summary.stillPending += 1;
        return;
      }
      const settled = await this.#store.transition(payment.id, transition);
      if (!settled.applied) return; // settled meanwhile by a callback or another instance
      summary.settled[transition.status] += 1;
      summary.gaveUp += 1;
      await this.#afterSettled(settled.payment!);
    });

    // Claim only what runs now: a claim waiting in a queue would see its lease run out (nobody renews it)
    // and another instance take the payment over, while this one still runs it later.
    for (let remaining = limit; remaining > 0; ) {
      const claims = await this.#store.claimDueFulfilments({
        leaseMs: this.#t.lease,
        limit: Math.min(FULFILMENT_CONCURRENCY, remaining),
        maxAttempts: this.#t.maxAttempts,
      });
      if (claims.length === 0) break;
      remaining -= claims.length;
      const claimedAt = performance.now();
      await Promise.all(
        claims.map(async (claim) => count(await this.#runFulfilment(claim, false, claimedAt))),
      );
    }
    // A run that changed nothing (the usual case every few seconds) is debug; anything it did is info.
    const changed =
      summary.replayed > 0 ||
      Object.values(summary.settled).some((n) => n > 0) ||
      summary.gaveUp > 0 ||
      summary.lateSuccesses > 0 ||
      summary.fulfilled > 0 ||
      summary.fulfilmentFailures > 0 ||
      summary.parked > 0 ||
      summary.queryErrors > 0;
    this.#log[changed ? 'info' : 'debug']('reconcile finished', { ...summary });
    return summary;
  }

  async retryFulfilment(paymentId: string): Promise<Payment | undefined> {
    if (typeof paymentId !== 'string' || !PAYMENT_ID.test(paymentId)) return undefined;
    const claim = await this.#store.claimFulfilment(paymentId, { leaseMs: this.#t.lease });
    if (claim) await this.#runFulfilment(claim, true);
    return this.#store.get(paymentId);
  }

  /**
   * Apply journal entries to the store, oldest first, one replay at a time. An entry that fails is kept.
   * Three failures in a row with no success stop the replay (the store is probably still down, and each
   * failure may have waited for a timeout). An entry that keeps failing while others succeed is set
   * aside after three such replays (kept in the journal, logged), so it cannot block the others.
   */
  #replay(): Promise<{ applied: number; lateSuccesses: number }> {
    this.#replaying ??= (async () => {
      const totals = { applied: 0, lateSuccesses: 0 };
      const failed = new Set<string>();
      const skip = (id: string) => failed.has(id) || (this.#poisoned.get(id) ?? 0) >= 3;
      let streak = 0;
      try {
        for (let round = 0; round < 20 && streak < 3; round++) {
          const entries = (await this.#journal.read(50 + failed.size + this.#poisoned.size)).filter(
            (e) => !skip(e.id),
          );
          if (entries.length === 0) break;
          const done: string[] = [];
          for (const entry of entries) {
            if (streak >= 3) break;
            try {
              await this.#apply(entry, totals);
              done.push(entry.id);
              this.#poisoned.delete(entry.id);
              streak = 0;
            } catch (error) {
              failed.add(entry.id);
              streak += 1;
              this.#log.warn('a journal entry could not be applied yet; kept', {
                journalEntryId: entry.id,
                error,
              });
            }
          }
          if (done.length > 0) await this.#journal.remove(done);
          totals.applied += done.length;
          if (done.length === 0) break; // nothing applied in this round: the store is likely down
        }
      } catch (error) {
        this.#log.warn('journal replay stopped (the store may still be unavailable); retried later', {
          error,
        });
      }
      // Entries that failed while others were applied: the store is up, so the entry itself is the problem.
      if (totals.applied > 0) {
        for (const id of failed) {
          const count = (this.#poisoned.get(id) ?? 0) + 1;
          this.#poisoned.set(id, count);
          if (count === 3)
            this.#log.error(
              'a journal entry keeps failing while others apply; set aside (kept in the journal)',
              {
                journalEntryId: id,
              },
            );
        }
      }
      this.#journalMayHaveEntries = failed.size > 0 || this.#poisoned.size > 0;
      return totals;
    })().finally(() => {
      this.#replaying = undefined;
    });
    return this.#replaying;
  }

  /** Apply one journal entry to the store (idempotent). Throws when the store fails. */
  async #apply(entry: JournalEntry, totals: { lateSuccesses: number }): Promise<void> {
    if (entry.kind === 'checkout') {
      await this.#store.attachCheckout(entry.paymentId, {
        merchantRequestId: entry.merchantRequestId,
        checkoutRequestId: entry.checkoutRequestId,
      });
      return;
    }
    const result = await this.#process({
      eventId: entry.eventId,
      receivedAt: new Date(entry.receivedAt),
      body: entry.body,
      url: entry.url,
      address: entry.remoteAddress,
      fingerprint: bodyFingerprint(entry.body),
    });
    this.#log.info('journaled callback applied', {
      outcome: result.outcome,
      reason: result.reason,
      paymentId: result.paymentId,
    });
    if (result.outcome === 'late_success') totals.lateSuccesses += 1;
    await this.#runAfter(result.after, false);
  }

  // ---------------------------------------------------------------- shared steps

  #giveUp(why: string): PaymentTransition {
    return {
      status: 'timeout',
      final: false,
      resultCode: null,
      resultDesc: `Gave up: ${why}`,
      mpesaReceiptNumber: null,
      merchantRequestId: null,
      checkoutRequestId: null,
      callback: null,
      settledBy: 'give-up',
    };
  }

  /**
   * Settle a payment from a final STK query answer. A success takes the receipt of a success callback
   * kept earlier as unconfirmed, if any. Returns the payment after the call.
   */
  async #settleFromQuery(
    paymentId: string,
    result: StkQueryResult,
    by: SettledBy,
    resultDesc?: string,
  ): Promise<{ payment: Payment | undefined; applied: boolean; fulfilment: FulfilmentOutcome }> {
    let receipt: Extract<StkCallbackResult, { status: 'completed' }> | undefined;
    if (result.status === 'completed') receipt = await this.#keptSuccess(paymentId, result.checkoutRequestId);
    const transition: PaymentTransition = receipt
      ? { ...this.#fromCallback(receipt), settledBy: by }
      : {
          status: result.status as Exclude<PaymentStatus, 'pending'>,
          final: true,
          resultCode: result.resultCode ?? null,
          resultDesc: resultDesc ?? result.resultDesc,
          mpesaReceiptNumber: null,
          merchantRequestId: null,
          checkoutRequestId: null,
          callback: null,
          settledBy: by,
        };
    const settled = await this.#store.transition(paymentId, transition);
    const fulfilment = settled.applied ? await this.#afterSettled(settled.payment!) : 'skipped';
    if (!settled.applied && receipt) await this.#attachKeptReceipt(settled.payment, receipt);
    return { payment: settled.payment, applied: settled.applied, fulfilment };
  }

  /** A payment completed meanwhile without its receipt (a racing query) gets the receipt we hold. */
  async #attachKeptReceipt(
    payment: Payment | undefined,
    parsed: Extract<StkCallbackResult, { status: 'completed' }>,
  ): Promise<void> {
    if (payment?.status !== 'completed' || payment.mpesaReceiptNumber !== null) return;
    await this.#store.attachReceipt(payment.id, receiptOf(parsed));
  }

  /** A success callback kept for this payment (unconfirmed, awaiting a query), whose receipt we can use. */
  async #keptSuccess(paymentId: string, checkoutRequestId: string) {
    const events = await this.#store.listCallbacks({ paymentId, limit: 100 });
    for (const event of events.reverse()) {
      if (event.outcome !== 'unconfirmed') continue;
      try {
        const parsed = parseStkCallback(event.body);
        if (parsed.status === 'completed' && parsed.checkoutRequestId === checkoutRequestId) return parsed;
      } catch {
        // not a usable body
      }
    }
    return undefined;
  }

  /** An STK query, or `undefined` when it failed (logged). A rate-limit answer pauses queries. */
  async #queryStatus(checkoutRequestId: string, quiet = false): Promise<StkQueryResult | undefined> {
    try {
      return await this.#o.daraja.stk.query(checkoutRequestId);
    } catch (error) {
      if (isRateLimited(error)) {
        this.#limiter?.block(MINUTE);
        this.#log.warn('Daraja is rate-limiting STK queries; pausing them for a minute', {
          checkoutRequestId,
        });
      } else {
        this.#log[quiet ? 'debug' : 'warn']('status query failed; will retry later', {
          checkoutRequestId,
          error,
        });
      }
      return undefined;
    }
  }

  /** Only the winner of a transition gets here: fulfil a completed payment, report a failed one. */
  async #afterSettled(payment: Payment): Promise<FulfilmentOutcome> {
    this.#lastQuery.delete(payment.id);
    if (payment.status === 'completed') {
      if (payment.correctedFrom !== null) {
        this.#log.warn('late success: a payment the flow had given up on was paid', {
          paymentId: payment.id,
          correctedFrom: payment.correctedFrom,
        });
        await this.#hook('onLateSuccess', payment);
      }
      return this.#fulfil(payment.id);
    }
    await this.#hook('onFailed', payment);
    return 'skipped';
  }

  async #hook(name: 'onFailed' | 'onLateSuccess', payment: Payment): Promise<void> {
    const fn = this.#o[name];
    if (!fn) return;
    try {
      await fn(payment);
    } catch (error) {
      this.#log.error(`${name} threw; not retried`, { paymentId: payment.id, error });
    }
  }

  async #fulfil(id: string): Promise<FulfilmentOutcome> {
    const claim = await this.#store.claimFulfilment(id, {
      leaseMs: this.#t.lease,
      maxAttempts: this.#t.maxAttempts,
    });
    // Without a claim, someone else holds it, or it is done.
    return claim ? this.#runFulfilment(claim) : 'skipped';
  }

  /**
   * Run `onCompleted` under a claim: renew the lease while it runs, then record it with the claim's
   * token (a stale holder is refused by the store).
   */
  async #runFulfilment(
    claim: FulfilmentClaim,
    manual = false,
    claimedAt = performance.now(),
  ): Promise<FulfilmentOutcome> {
    const { payment, token } = claim;
    // A claim that aged (a stalled event loop, a slow store) may have expired and been taken over:
    // make sure it is still ours before the side effect.
    if (performance.now() - claimedAt > this.#t.lease / 3) {
      const held = await this.#store.renewFulfilment(payment.id, token, this.#t.lease).catch(() => false);
      if (!held) {
        this.#log.warn('a fulfilment claim expired before onCompleted started; not run here', {
          paymentId: payment.id,
        });
        return 'skipped';
      }
    }
    let lost = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const renewEvery = Math.max(50, Math.floor(this.#t.lease / 3));
    const renew = () => {
      timer = setTimeout(async () => {
        try {
          const held = await this.#store.renewFulfilment(payment.id, token, this.#t.lease);
          // A renewal still in flight when onCompleted finished can land after the completion: not a loss.
          if (!held && !lost && !stopped) {
            lost = true;
            this.#log.error(
              'lost the fulfilment claim while onCompleted was running; another run may start',
              {
                paymentId: payment.id,
              },
            );
          }
        } catch (error) {
          this.#log.warn('could not renew the fulfilment lease; retrying', { paymentId: payment.id, error });
        }
        if (!stopped) renew();
      }, renewEvery);
      (timer as { unref?: () => void }).unref?.();
    };
    renew();
    try {
      await this.#o.onCompleted(payment);
    } catch (error) {
      stopped = true;
      clearTimeout(timer);
      const attempts = payment.fulfilmentAttempts;
      const retryAfterMs = Math.min(HOUR, this.#t.retry * 2 ** Math.max(0, attempts - 1));
      const released = await this.#store
        .releaseFulfilment(payment.id, token, { error: errorText(error), retryAfterMs })
        .catch(() => false);
      const parked = !manual && attempts >= this.#t.maxAttempts;
      this.#log.error(
        parked
          ? 'onCompleted failed too often; fulfilment parked'
          : 'onCompleted threw; reconcile will retry it',
        {
          paymentId: payment.id,
          attempts,
          error,
          retryAfterMs,
          released,
        },
      );
      if (parked && this.#o.onFulfilmentParked) {
        try {
          await this.#o.onFulfilmentParked((await this.#store.get(payment.id)) ?? payment, errorText(error));
        } catch (hookError) {
          this.#log.error('onFulfilmentParked threw', { paymentId: payment.id, error: hookError });
        }
      }
      return parked ? 'parked' : 'failed';
    }
    stopped = true;
    clearTimeout(timer);
    // The side effect happened: record it, retrying briefly through a store hiccup.
    for (let attempt = 0; ; attempt++) {
      try {
        const recorded = await this.#store.completeFulfilment(payment.id, token);
        if (!recorded)
          this.#log.error('onCompleted finished but its claim had been taken over: it may have run twice', {
            paymentId: payment.id,
          });
        break;
      } catch (error) {
        if (attempt >= 3) {
          this.#log.error('onCompleted ran but could not be recorded; it runs again after the lease', {
            paymentId: payment.id,
            error,
          });
          return 'failed';
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 4 ** attempt));
      }
    }
    this.#log.info('payment fulfilled', { paymentId: payment.id });
    return 'fulfilled';
  }

  #trimQueryMemory(): void {
    if (this.#lastQuery.size <= 10_000) return;
    const oldest = this.#lastQuery.keys().next().value;
    if (oldest !== undefined) this.#lastQuery.delete(oldest);
  }
}

function validateMetadata(metadata: unknown): Record<string, unknown> {
  if (metadata === undefined) return {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new DarajaValidationError(
      'metadata',
      'must be a plain object of JSON values, e.g. { plan: "pro" }.',
    );
  }
  let text: string;
  try {
    text = JSON.stringify(metadata);
  } catch {
    throw new DarajaValidationError('metadata', 'must be JSON-serialisable (no BigInt, no cycles).');
  }
  if (text.length > 16 * 1024) throw new DarajaValidationError('metadata', 'must be under 16 kB as JSON.');
  if (text.includes('\\u0000'))
    throw new DarajaValidationError('metadata', 'must not contain NUL characters (\\u0000). Remove them.');
  return JSON.parse(text) as Record<string, unknown>;
}

/** Run `fn` over `items` with at most `size` in flight. */
async function pool<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
