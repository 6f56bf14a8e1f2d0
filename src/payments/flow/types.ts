import type { DarajaConfigError, DarajaError, DarajaValidationError } from '../../core/errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import type { PaymentStatus } from '../../core/payment-status.js';
import { ACCEPTED } from '../../inbound/ack.js';
import type { CALLBACK_PROBE_PARAM, CallbackProbeReport } from '../probe.js';
import type { CallbackOutcome, Payment } from '../types.js';

/** The JSON body acknowledging a callback to Daraja: the one acknowledgement of `src/inbound/ack.ts`. */
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
export const CALLBACK_ACK: CallbackAck = ACCEPTED;

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

/** What {@link PaymentFlow.initiate} returns at once: the payment and the answer to its push. */
export interface InitiateResponse {
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

/** @deprecated Use {@link InitiateResponse}: the immediate answer of `initiate` ends in `Response`, as Daraja's do. */
export type InitiateResult = InitiateResponse;

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
   * @param params - Who pays, how much, from which phone, and for what.
   * @param requestOptions - Per-call timeout and abort signal of the STK push. Aborting (or timing out)
   * after the push was sent gives the `unknown` outcome: the payment stays `pending` and is never resent.
   * A signal aborted before it was sent gives the `rejected` outcome (the payment fails; nothing was sent).
   * @throws {@link DarajaValidationError} for bad input (nothing is written or sent).
   * @throws {@link DarajaConfigError} when the store is not set up, e.g. a `PostgresPaymentStore` whose
   * `migrate()` was never called (nothing is sent). A missing table is a setup step, not an outage: it is
   * never retried or journaled as one.
   */
  initiate(params: InitiateParams, requestOptions?: RequestOptions): Promise<InitiateResponse>;
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
   *
   * @param paymentId - The payment's id.
   * @param options - `ownerId`: whose payment it must be.
   * @param requestOptions - Per-call timeout and abort signal of the STK query. A query that fails (or is
   * aborted) settles nothing: the payment is returned as the store has it.
   */
  checkStatus(
    paymentId: string,
    options: { ownerId: string },
    requestOptions?: RequestOptions,
  ): Promise<Payment | undefined>;
  /**
   * Replay the journal, settle payments pending for longer than `olderThanMs` by STK query (most overdue
   * first, each with its own backoff, within the query budget; giving up after the horizon as a
   * correctable `timeout`), and retry failed fulfilments. Safe to run on several instances at once. Run it
   * periodically (e.g. every minute).
   *
   * @param options - `olderThanMs` (default 1 minute), `limit` of payments per phase (default 100), and
   * `maxWaitMs`, how long to wait for query budget (default 15 s).
   * @param requestOptions - Per-call timeout and abort signal of each STK query. A query that fails (or is
   * aborted) is counted in `queryErrors`, like any failed query.
   * @throws {@link DarajaConfigError} when the store is not set up (a `PostgresPaymentStore` before
   * `migrate()`); journaled callbacks stay in the journal and are applied by the first run after it.
   */
  reconcile(
    options?: { olderThanMs?: number; limit?: number; maxWaitMs?: number },
    requestOptions?: RequestOptions,
  ): Promise<ReconcileSummary>;
  /**
   * Run the fulfilment of a completed payment now, even if it is parked after too many failures (call it
   * once you fixed the cause). Returns the payment after the attempt, or `undefined` if it does not exist.
   */
  retryFulfilment(paymentId: string): Promise<Payment | undefined>;
  /** The callback URL (with its token) the flow sends for a payment. */
  callbackUrlFor(paymentId: string): string;
}
