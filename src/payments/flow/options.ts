import type { Daraja } from '../../client.js';
import { DarajaConfigError } from '../../core/errors.js';
import type { DarajaLogger } from '../../core/logger.js';
import { isDarajaHost, validateCallbackUrl } from '../../core/utils/url.js';
import type { CallbackJournal, MemoryCallbackJournal } from '../journal.js';
import type { DEFAULT_QUERY_BUDGET, QueryBudget, SANDBOX_QUERY_BUDGET } from '../query-budget.js';
import type { SAFARICOM_CALLBACK_IPS } from '../security.js';
import type { Payment, PaymentStore } from '../types.js';
import type { PaymentFlow } from './types.js';

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
/** One problem with the options, as {@link DarajaConfigError} lists them. */
type Issue = { field: string; message: string };

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

/**
 * Check the options of {@link createPaymentFlow}, all at once, in the order of their fields.
 * Returns the callback secrets (newest first).
 *
 * @throws {@link DarajaConfigError} listing every invalid option.
 */
export function validateFlowOptions(o: PaymentFlowOptions): readonly string[] {
  if (!o || typeof o !== 'object')
    throw new DarajaConfigError([{ field: 'options', message: 'pass an options object.' }]);
  const issues: Issue[] = [];
  const secrets = checkCollaborators(o, issues);
  checkSettings(o, issues);
  if (issues.length > 0) throw new DarajaConfigError(issues);
  return secrets;
}

/** The client, the store, the hooks, the callback URL and the secrets of its tokens; returns the secrets. */
function checkCollaborators(o: PaymentFlowOptions, issues: Issue[]): readonly string[] {
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
  const secrets =
    o.callbackSecret === undefined
      ? []
      : typeof o.callbackSecret === 'string'
        ? [o.callbackSecret]
        : [...o.callbackSecret];
  if (
    o.verifyCallbackToken !== false &&
    (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32))
  ) {
    issues.push({
      field: 'callbackSecret',
      message:
        'required: a random secret of at least 32 characters shared by every instance (or set verifyCallbackToken: false).',
    });
  }
  return secrets;
}

/** The address lists, durations and counts, `unverifiablePhone`, `queryBudget` and `journal`. */
function checkSettings(o: PaymentFlowOptions, issues: Issue[]): void {
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
}
