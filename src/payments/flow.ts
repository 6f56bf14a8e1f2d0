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
import { normalizeStkFields, validateText } from '../stk/stk.js';
import { validateCallbackUrl } from '../utils/url.js';
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
  Payment,
  PaymentStore,
  PaymentTransition,
  SettledBy,
} from './types.js';

/** The JSON body acknowledging a callback to Daraja. */
export interface CallbackAck {
  /** Always `0`. */
  readonly ResultCode: 0;
  /** Always `'Accepted'`. */
  readonly ResultDesc: 'Accepted';
}

/** The acknowledgement Daraja gets for every callback, whatever happened inside. */
export const CALLBACK_ACK: CallbackAck = Object.freeze({ ResultCode: 0, ResultDesc: 'Accepted' });

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
   * Public URL of your callback route, e.g. `https://example.com/api/subscription/mpesa-callback`. The flow
   * adds `?payment=<id>&token=<hmac>` for each payment.
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
  /** Reject a success callback whose (full or masked) phone number differs from the payment's. @defaultValue true */
  verifyPhone?: boolean;
  /**
   * Confirm a success callback with an STK query before settling it. Costs one query per success; the
   * only check that does not trust the callback at all. @defaultValue false
   */
  confirmWithQuery?: boolean;
  /**
   * Your fulfilment, e.g. activating a subscription. Runs once per completed payment: concurrent
   * callbacks, status checks and instances share one claim. If it throws, `reconcile` retries it. Make it
   * idempotent on `payment.id` too (a crash after it ran but before it was recorded runs it again).
   */
  onCompleted: (payment: Payment) => void | Promise<void>;
  /** Called once when a payment ends `cancelled`, `timeout` or `failed`. Errors are logged, not retried. */
  onFailed?: (payment: Payment) => void | Promise<void>;
  /** How long one fulfilment attempt may run before another may start. @defaultValue 5 minutes */
  fulfilmentLeaseMs?: number;
  /** Wait this long before retrying a failed fulfilment. @defaultValue 30 seconds */
  fulfilmentRetryDelayMs?: number;
  /** `reconcile` checks a pending payment again after this long. @defaultValue 30 seconds */
  recheckIntervalMs?: number;
  /**
   * Give up on a payment Daraja keeps reporting as pending (or cannot find) after this long: it becomes
   * `timeout`. @defaultValue 24 hours
   */
  giveUpAfterMs?: number;
  /**
   * Give up on a payment whose push outcome is unknown (no `CheckoutRequestID` to query) after this long,
   * unless its callback arrives. @defaultValue 15 minutes
   */
  unknownOutcomeGiveUpAfterMs?: number;
  /** `checkStatus` queries Daraja at most once per this interval per payment. @defaultValue 5 seconds */
  statusQueryIntervalMs?: number;
  /** Receives redacted logs. @defaultValue silent */
  logger?: DarajaLogger;
  /** The clock; for tests. @defaultValue `() => new Date()` */
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

/** What {@link PaymentFlow.handleCallback} needs from the HTTP request. */
export interface CallbackRequest {
  /** The parsed JSON body (or the raw text / bytes). */
  body: unknown;
  /** The request URL or path with its query string (Express `req.originalUrl`, Fastify `req.url`). */
  url?: string;
  /** The socket's address (Express `req.socket.remoteAddress`, Fastify `req.socket.remoteAddress`). */
  remoteAddress?: string;
  /** Request headers (for `X-Forwarded-For` behind a trusted proxy). */
  headers?: Record<string, string | string[] | undefined> | Headers;
}

/** What to send back to Daraja, plus what the flow did (for your logs and tests). */
export interface CallbackResponse {
  /** Always 200. */
  status: 200;
  /** `{ 'content-type': 'application/json' }`. */
  headers: Record<'content-type', 'application/json'>;
  /** Always `{"ResultCode":0,"ResultDesc":"Accepted"}`. */
  body: CallbackAck;
  /** What happened: applied, duplicate, rejected, invalid, unmatched or unconfirmed. */
  outcome: CallbackOutcome;
  /** Why, for anything but `applied`. */
  reason: string | null;
  /** The payment it concerned, if linked. */
  paymentId: string | null;
}

/** A summary of one {@link PaymentFlow.reconcile} run. */
export interface ReconcileSummary {
  /** Pending payments examined. */
  checked: number;
  /** Payments settled by this run, by final status. */
  settled: Record<Exclude<PaymentStatus, 'pending'>, number>;
  /** Examined payments still pending. */
  stillPending: number;
  /** Payments given up as `timeout` after the horizon. */
  gaveUp: number;
  /** Fulfilments that succeeded in this run (retries of failed ones included). */
  fulfilled: number;
  /** Fulfilments that failed again (retried later). */
  fulfilmentFailures: number;
  /** Queries that failed (network, Daraja errors); those payments are retried later. */
  queryErrors: number;
}

/** The payment flow: see {@link createPaymentFlow}. */
export interface PaymentFlow {
  /**
   * Write a `pending` payment, then send its STK push with a per-payment callback URL, and record the
   * answer. A rejected push makes the payment `failed`; an unknown outcome leaves it `pending` for the
   * callback or `reconcile` (it is never resent).
   *
   * @throws {@link DarajaValidationError} for bad input (nothing is written or sent).
   */
  initiate(params: InitiateParams): Promise<InitiateResult>;
  /**
   * Handle a callback request. Never throws; always returns HTTP 200 with
   * `{"ResultCode":0,"ResultDesc":"Accepted"}`. Every callback is kept with its outcome.
   */
  handleCallback(request: CallbackRequest): Promise<CallbackResponse>;
  /**
   * The payment, if it exists and belongs to `ownerId` (otherwise `undefined`: another user's payment
   * looks the same as a missing one). While pending, queries Daraja (at most once per
   * `statusQueryIntervalMs`) and settles and fulfils a missed callback.
   */
  checkStatus(paymentId: string, options: { ownerId: string }): Promise<Payment | undefined>;
  /**
   * Settle payments pending for longer than `olderThanMs` by STK query (giving up after the horizon as
   * `timeout`), and retry failed fulfilments. Safe to run on several instances at once. Run it
   * periodically (e.g. every minute).
   */
  reconcile(options?: { olderThanMs?: number; limit?: number }): Promise<ReconcileSummary>;
  /** The callback URL (with its token) the flow sends for a payment. */
  callbackUrlFor(paymentId: string): string;
}

const MINUTE = 60_000;

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

const AUDIT_MAX_BYTES = 64 * 1024;
const AUDIT_MAX_DEPTH = 64;

/** True when `value` nests deeper than `limit` (checked without recursion). */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The body as it will be kept for audit: a JSON copy, or its JSON text when it is very deep or large
 * (so that any store can hold it), truncated to 64 kB.
 */
function bodyForAudit(body: unknown): unknown {
  if (typeof body === 'string') return body.slice(0, AUDIT_MAX_BYTES);
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8').slice(0, AUDIT_MAX_BYTES);
  let text: string;
  try {
    text = JSON.stringify(body ?? null) ?? 'null';
  } catch {
    return '[unserialisable body]';
  }
  if (text.length > AUDIT_MAX_BYTES || deeperThan(body, AUDIT_MAX_DEPTH))
    return text.slice(0, AUDIT_MAX_BYTES);
  return JSON.parse(text) as unknown;
}

/**
 * Build the payment flow: payment records written before the push, callbacks turned into settled
 * payments exactly once, fulfilment run once per payment, and reconciliation of everything a lost
 * callback left behind.
 *
 * @param options - The client, the store, the public callback URL and secret, your `onCompleted`, and
 * the defences (each with a safe default).
 * @throws {@link DarajaConfigError} for invalid options.
 *
 * @example
 * ```ts
 * const flow = createPaymentFlow({
 *   daraja, store: new MemoryPaymentStore(),
 *   callbackUrl: 'https://example.com/api/subscription/mpesa-callback',
 *   callbackSecret: process.env.CALLBACK_SECRET!,
 *   onCompleted: async (payment) => activateSubscription(payment.ownerId, payment.metadata.plan),
 * });
 * const { payment } = await flow.initiate({ ownerId: 'user-1', amount: 500, phoneNumber: '0712345678', accountReference: 'PRO' });
 * app.post('/api/subscription/mpesa-callback', async (req, res) => {
 *   const ack = await flow.handleCallback({ body: req.body, url: req.originalUrl, remoteAddress: req.socket.remoteAddress, headers: req.headers });
 *   res.status(ack.status).json(ack.body);
 * });
 * ```
 */
export function createPaymentFlow(options: PaymentFlowOptions): PaymentFlow {
  return new Flow(options);
}

class Flow implements PaymentFlow {
  readonly #o: PaymentFlowOptions;
  readonly #store: PaymentStore;
  readonly #secrets: readonly string[];
  readonly #verifyToken: boolean;
  readonly #allowedIps: readonly string[] | false;
  readonly #trustedProxies: readonly string[];
  readonly #log: Log;
  readonly #now: () => Date;
  readonly #lastQuery = new Map<string, number>();
  readonly #t: {
    lease: number;
    retry: number;
    recheck: number;
    giveUp: number;
    giveUpUnknown: number;
    statusQuery: number;
  };

  constructor(o: PaymentFlowOptions) {
    const issues: { field: string; message: string }[] = [];
    if (!o || typeof o !== 'object')
      throw new DarajaConfigError([{ field: 'options', message: 'pass an options object.' }]);
    if (!o.daraja || typeof o.daraja.stk?.push !== 'function')
      issues.push({ field: 'daraja', message: 'pass a Daraja client.' });
    const storeMethods = [
      'create',
      'get',
      'getByCheckoutRequestId',
      'attachCheckout',
      'transition',
      'claimFulfilment',
      'completeFulfilment',
      'releaseFulfilment',
      'claimDuePending',
      'claimDueFulfilments',
      'recordCallback',
      'listCallbacks',
    ] as const;
    const missing = storeMethods.filter(
      (m) => typeof (o.store as unknown as Record<string, unknown>)?.[m] !== 'function',
    );
    if (missing.length > 0)
      issues.push({
        field: 'store',
        message: `must implement PaymentStore (missing: ${missing.join(', ')}).`,
      });
    if (typeof o.onCompleted !== 'function')
      issues.push({ field: 'onCompleted', message: 'pass your fulfilment function.' });
    if (o.onFailed !== undefined && typeof o.onFailed !== 'function')
      issues.push({ field: 'onFailed', message: 'must be a function.' });
    const production = o.daraja?.environment === 'production';
    const urlProblem = validateCallbackUrl(o.callbackUrl, production);
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
    if (issues.length > 0) throw new DarajaConfigError(issues);
    this.#o = o;
    this.#store = o.store;
    this.#secrets = secrets;
    this.#allowedIps = o.allowedIps === undefined ? SAFARICOM_CALLBACK_IPS : o.allowedIps;
    this.#trustedProxies = o.trustedProxies ?? [];
    this.#log = createLog(o.logger, { component: 'payment-flow' });
    this.#now = o.now ?? (() => new Date());
    this.#t = {
      lease: o.fulfilmentLeaseMs ?? 5 * MINUTE,
      retry: o.fulfilmentRetryDelayMs ?? 30_000,
      recheck: o.recheckIntervalMs ?? 30_000,
      giveUp: o.giveUpAfterMs ?? 24 * 60 * MINUTE,
      giveUpUnknown: o.unknownOutcomeGiveUpAfterMs ?? 15 * MINUTE,
      statusQuery: o.statusQueryIntervalMs ?? 5_000,
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
      createdAt: this.#now(),
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
      const attached = await this.#store
        .attachCheckout(
          id,
          { merchantRequestId: response.merchantRequestId, checkoutRequestId: response.checkoutRequestId },
          this.#now(),
        )
        .catch((error: unknown) => {
          // The push went out: never fail the caller now. The token-linked callback or reconcile fills it in.
          this.#log.error('could not record the push answer; the callback will link it', {
            paymentId: id,
            error,
          });
          return undefined;
        });
      this.#log.info('payment initiated', {
        paymentId: id,
        checkoutRequestId: response.checkoutRequestId,
        amount,
      });
      return { outcome: 'sent', payment: attached ?? payment, customerMessage: response.customerMessage };
    } catch (error) {
      if (isDarajaUnknownOutcomeError(error)) {
        this.#log.warn('push outcome unknown; payment stays pending and is not resent', { paymentId: id });
        return { outcome: 'unknown', payment: (await this.#store.get(id)) ?? payment, error };
      }
      // Anything else means the push did not go out (validation, config, a Daraja rejection, a network
      // failure before sending): the payment fails with the reason.
      const reason = isDarajaApiError(error)
        ? { code: error.errorCode ?? `HTTP ${error.status}`, desc: error.errorMessage ?? error.message }
        : { code: isDarajaError(error) ? error.name : 'push_failed', desc: errorText(error) };
      const settled = await this.#settle(id, {
        status: 'failed',
        resultCode: reason.code,
        resultDesc: `STK push not sent: ${reason.desc}`,
        mpesaReceiptNumber: null,
        merchantRequestId: null,
        checkoutRequestId: null,
        callback: null,
        settledBy: 'push',
        at: this.#now(),
      });
      if (isDarajaConfigError(error) || isDarajaValidationError(error) || !isDarajaError(error)) throw error;
      return { outcome: 'rejected', payment: settled ?? payment, error };
    }
  }

  // ---------------------------------------------------------------- callbacks

  async handleCallback(request: CallbackRequest): Promise<CallbackResponse> {
    const event: CallbackEvent = {
      id: `cbe_${randomBytes(12).toString('base64url')}`,
      receivedAt: this.#now(),
      outcome: 'invalid',
      reason: null,
      paymentId: null,
      checkoutRequestId: null,
      remoteAddress: null,
      body: null,
    };
    try {
      event.body = bodyForAudit(request?.body);
      const result = await this.#processCallback(request ?? ({} as CallbackRequest), event);
      event.outcome = result.outcome;
      event.reason = result.reason;
    } catch (error) {
      // A bug or a failing store: still acknowledge, keep what we can, and let reconcile settle it.
      event.outcome = 'invalid';
      event.reason = `internal_error: ${errorText(error)}`;
      this.#log.error('callback handling failed; acknowledged anyway', { error });
    }
    try {
      await this.#store.recordCallback(event);
    } catch (error) {
      this.#log.error('could not record the callback for audit', { error, callbackEventId: event.id });
    }
    const level = event.outcome === 'applied' || event.outcome === 'duplicate' ? 'info' : 'warn';
    this.#log[level]('callback handled', {
      outcome: event.outcome,
      reason: event.reason,
      paymentId: event.paymentId,
      checkoutRequestId: event.checkoutRequestId,
      remoteAddress: event.remoteAddress,
    });
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: CALLBACK_ACK,
      outcome: event.outcome,
      reason: event.reason,
      paymentId: event.paymentId,
    };
  }

  async #processCallback(
    request: CallbackRequest,
    event: CallbackEvent,
  ): Promise<{ outcome: CallbackOutcome; reason: string | null }> {
    const address = clientAddress(
      request.remoteAddress,
      header(request.headers, 'x-forwarded-for'),
      this.#trustedProxies,
    );
    event.remoteAddress = address ?? null;
    if (this.#allowedIps !== false && !ipMatches(this.#allowedIps, address)) {
      return { outcome: 'rejected', reason: address ? 'ip_not_allowed' : 'ip_unknown' };
    }

    let parsed: StkCallbackResult;
    try {
      parsed = parseStkCallback(request.body);
    } catch (error) {
      if (!isDarajaCallbackError(error)) throw error;
      return { outcome: 'invalid', reason: `${error.reason}${error.path ? ` at ${error.path}` : ''}` };
    }
    event.checkoutRequestId = parsed.checkoutRequestId;

    // Link the callback to its payment.
    let payment: Payment | undefined;
    const query = new URL(request.url ?? '/', 'http://callback.invalid').searchParams;
    const paymentId = query.get(CALLBACK_URL_PARAMS.payment);
    if (this.#verifyToken) {
      const token = query.get(CALLBACK_URL_PARAMS.token);
      if (!paymentId || !token) return { outcome: 'rejected', reason: 'missing_token' };
      if (!verifyCallbackToken(this.#secrets, paymentId, token))
        return { outcome: 'rejected', reason: 'bad_token' };
      payment = await this.#store.get(paymentId);
      if (!payment) return { outcome: 'unmatched', reason: 'unknown_payment' };
    } else {
      payment = await this.#store.getByCheckoutRequestId(parsed.checkoutRequestId);
      if (!payment && paymentId) {
        // Without tokens, the id in the URL is a hint only: it must agree with the CheckoutRequestID.
        const hinted = await this.#store.get(paymentId);
        if (hinted && hinted.checkoutRequestId === parsed.checkoutRequestId) payment = hinted;
      }
      if (!payment) return { outcome: 'unmatched', reason: 'unknown_checkout_request_id' };
    }
    event.paymentId = payment.id;
    if (payment.checkoutRequestId !== null && payment.checkoutRequestId !== parsed.checkoutRequestId) {
      return { outcome: 'rejected', reason: 'checkout_request_id_mismatch' };
    }
    if (payment.status !== 'pending') {
      return {
        outcome: payment.status === parsed.status ? 'duplicate' : 'rejected',
        reason: payment.status === parsed.status ? 'already_settled' : `conflicts_with_${payment.status}`,
      };
    }

    let status: Exclude<PaymentStatus, 'pending'> = parsed.status;
    let settledBy: SettledBy = 'callback';
    let disagreement: string | null = null;
    if (parsed.status === 'completed') {
      if (this.#o.verifyAmount !== false && parsed.amount !== payment.amount) {
        return { outcome: 'rejected', reason: 'amount_mismatch' };
      }
      if (
        this.#o.verifyPhone !== false &&
        comparePhone(payment.phoneNumber, parsed.phoneNumberRaw) === 'mismatch'
      ) {
        return { outcome: 'rejected', reason: 'phone_mismatch' };
      }
      if (this.#o.confirmWithQuery) {
        const confirmed = await this.#queryStatus(parsed.checkoutRequestId);
        if (confirmed === undefined) return { outcome: 'unconfirmed', reason: 'query_failed' };
        if (confirmed.status === 'pending') return { outcome: 'unconfirmed', reason: 'query_pending' };
        if (confirmed.status !== 'completed') {
          status = confirmed.status;
          settledBy = 'query';
          disagreement = `query_says_${confirmed.status}`;
        }
      }
    }

    const result = await this.#store.transition(payment.id, {
      status,
      resultCode: settledBy === 'query' ? null : parsed.resultCode,
      resultDesc:
        settledBy === 'query'
          ? `STK query contradicted the callback (${parsed.resultCode})`
          : parsed.resultDesc,
      mpesaReceiptNumber:
        status === 'completed' && parsed.status === 'completed' ? parsed.mpesaReceiptNumber : null,
      merchantRequestId: parsed.merchantRequestId ?? null,
      checkoutRequestId: parsed.checkoutRequestId,
      callback: parsed.raw,
      settledBy,
      at: this.#now(),
    });
    if (!result.applied) {
      if (result.reason === 'duplicate_receipt' || result.reason === 'duplicate_checkout') {
        return { outcome: 'rejected', reason: result.reason };
      }
      return { outcome: 'duplicate', reason: 'already_settled' };
    }
    await this.#afterSettled(result.payment!);
    return disagreement
      ? { outcome: 'rejected', reason: disagreement }
      : { outcome: 'applied', reason: null };
  }

  // ---------------------------------------------------------------- status

  async checkStatus(paymentId: string, options: { ownerId: string }): Promise<Payment | undefined> {
    if (typeof paymentId !== 'string' || typeof options?.ownerId !== 'string') return undefined;
    let payment = await this.#store.get(paymentId);
    if (!payment || payment.ownerId !== options.ownerId) return undefined;
    if (payment.status === 'pending' && payment.checkoutRequestId !== null) {
      const last = this.#lastQuery.get(payment.id) ?? 0;
      const now = this.#now().getTime();
      if (now - last >= this.#t.statusQuery) {
        this.#lastQuery.set(payment.id, now);
        this.#trimQueryMemory();
        const result = await this.#queryStatus(payment.checkoutRequestId);
        if (result && result.status !== 'pending') {
          payment = (await this.#settle(payment.id, this.#fromQuery(result, 'query'))) ?? payment;
        }
      }
    } else if (payment.status === 'completed' && payment.fulfilledAt === null) {
      await this.#fulfil(payment.id); // repair a fulfilment that failed earlier
    }
    return (await this.#store.get(paymentId)) ?? payment;
  }

  // ---------------------------------------------------------------- reconcile

  async reconcile(options: { olderThanMs?: number; limit?: number } = {}): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = {
      checked: 0,
      settled: { completed: 0, cancelled: 0, failed: 0, timeout: 0 },
      stillPending: 0,
      gaveUp: 0,
      fulfilled: 0,
      fulfilmentFailures: 0,
      queryErrors: 0,
    };
    const now = this.#now();
    const limit = options.limit ?? 100;
    const due = await this.#store.claimDuePending({
      createdBefore: new Date(now.getTime() - (options.olderThanMs ?? MINUTE)),
      now,
      nextCheckAt: new Date(now.getTime() + this.#t.recheck),
      limit,
    });
    await pool(due, 4, async (payment) => {
      summary.checked += 1;
      const age = now.getTime() - payment.createdAt.getTime();
      let transition: PaymentTransition | undefined;
      let givingUp = false;
      if (payment.checkoutRequestId === null) {
        givingUp = age >= this.#t.giveUpUnknown;
        if (givingUp) transition = this.#giveUp('no CheckoutRequestID (push outcome unknown)');
      } else {
        const result = await this.#queryStatus(payment.checkoutRequestId, true);
        if (result === undefined) summary.queryErrors += 1;
        if (result && result.status !== 'pending') transition = this.#fromQuery(result, 'reconcile');
        else if (age >= this.#t.giveUp) {
          givingUp = true;
          transition = this.#giveUp('Daraja still reports no final result');
        }
      }
      if (!transition) {
        summary.stillPending += 1;
        return;
      }
      const settled = await this.#store.transition(payment.id, transition);
      if (!settled.applied) return; // settled meanwhile by a callback or another instance
      summary.settled[transition.status] += 1;
      if (givingUp) summary.gaveUp += 1;
      const outcome = await this.#afterSettled(settled.payment!);
      if (outcome === 'fulfilled') summary.fulfilled += 1;
      if (outcome === 'failed') summary.fulfilmentFailures += 1;
    });

    const claimNow = this.#now();
    const unfulfilled = await this.#store.claimDueFulfilments({
      now: claimNow,
      leaseUntil: new Date(claimNow.getTime() + this.#t.lease),
      limit,
    });
    await pool(unfulfilled, 4, async (payment) => {
      const outcome = await this.#runFulfilment(payment);
      if (outcome === 'fulfilled') summary.fulfilled += 1;
      else summary.fulfilmentFailures += 1;
    });
    this.#log.info('reconcile finished', { ...summary });
    return summary;
  }

  // ---------------------------------------------------------------- shared steps

  #giveUp(why: string): PaymentTransition {
    return {
      status: 'timeout',
      resultCode: null,
      resultDesc: `Gave up: ${why}`,
      mpesaReceiptNumber: null,
      merchantRequestId: null,
      checkoutRequestId: null,
      callback: null,
      settledBy: 'reconcile',
      at: this.#now(),
    };
  }

  #fromQuery(
    result: { status: PaymentStatus; resultCode: string | undefined; resultDesc: string; raw: unknown },
    by: SettledBy,
  ): PaymentTransition {
    return {
      status: result.status as Exclude<PaymentStatus, 'pending'>,
      resultCode: result.resultCode ?? null,
      resultDesc: result.resultDesc,
      mpesaReceiptNumber: null,
      merchantRequestId: null,
      checkoutRequestId: null,
      callback: null,
      settledBy: by,
      at: this.#now(),
    };
  }

  /** An STK query, or `undefined` when it failed (logged). "Being processed" is a pending result. */
  async #queryStatus(checkoutRequestId: string, quiet = false) {
    try {
      return await this.#o.daraja.stk.query(checkoutRequestId);
    } catch (error) {
      this.#log[quiet ? 'debug' : 'warn']('status query failed; will retry later', {
        checkoutRequestId,
        error,
      });
      return undefined;
    }
  }

  /** Transition and run what follows a win. Returns the payment after the call. */
  async #settle(id: string, transition: PaymentTransition): Promise<Payment | undefined> {
    const result = await this.#store.transition(id, transition);
    if (result.applied) await this.#afterSettled(result.payment!);
    return (await this.#store.get(id)) ?? result.payment;
  }

  /** Only the winner of a transition gets here: fulfil a completed payment, report a failed one. */
  async #afterSettled(payment: Payment): Promise<'fulfilled' | 'failed' | 'skipped'> {
    this.#lastQuery.delete(payment.id);
    if (payment.status === 'completed') return this.#fulfil(payment.id);
    if (this.#o.onFailed) {
      try {
        await this.#o.onFailed(payment);
      } catch (error) {
        this.#log.error('onFailed threw; not retried', { paymentId: payment.id, error });
      }
    }
    return 'skipped';
  }

  async #fulfil(id: string): Promise<'fulfilled' | 'failed' | 'skipped'> {
    const now = this.#now();
    const claimed = await this.#store.claimFulfilment(id, now, new Date(now.getTime() + this.#t.lease));
    if (!claimed) return 'skipped'; // someone else holds the claim, or it is done
    return this.#runFulfilment(claimed);
  }

  async #runFulfilment(payment: Payment): Promise<'fulfilled' | 'failed'> {
    try {
      await this.#o.onCompleted(payment);
    } catch (error) {
      const retryAt = new Date(this.#now().getTime() + this.#t.retry);
      await this.#store.releaseFulfilment(payment.id, errorText(error), retryAt).catch(() => undefined);
      this.#log.error('onCompleted threw; reconcile will retry it', {
        paymentId: payment.id,
        error,
        retryAt,
      });
      return 'failed';
    }
    await this.#store.completeFulfilment(payment.id, this.#now());
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
