// Bill Manager's payment push: the body it POSTs to the opt-in `callbackurl` for each payment against an
// invoice's account reference, its parser, and a handler that answers `{"resmsg":"Success","rescode":"200"}`
// only once the payment is stored. Bill Manager tries a push 5 times "before cancelling the request"
// (the portal's Bill Manager page), so a failure to store is answered with a non-200 and it comes again.
import { DarajaConfigError } from '../core/errors.js';
import { createLog, type DarajaLogger } from '../core/logger.js';
import { maskPhoneNumber } from '../core/utils/mask.js';
import { tryNormalizePhoneNumber } from '../core/utils/phone.js';
import { fail, readBody, readPositiveAmount, readText } from '../core/utils/readers.js';

/**
 * A Bill Manager payment push, parsed. Bill Manager retries a push it sees fail, so the same payment can
 * arrive more than once: de-duplicate by `transactionId` (the M-Pesa receipt) before acting on it.
 */
export interface BillPayment {
  /**
   * The M-Pesa receipt, e.g. `RJB53MYR1N`: the key to de-duplicate pushes by, and the `transactionId` of
   * {@link daraja-sdk!BillManager.acknowledgePayment}.
   */
  transactionId: string;
  /**
   * The amount paid, in shillings (`paidAmount`, sent as a string in the samples, typed Numeric in the
   * portal's table: both are read).
   */
  paidAmount: number;
  /** `msisdn` as sent (a full number in the samples). */
  msisdn: string;
  /** The payer's number in the `2547…` form, when `msisdn` is a full Kenyan number. */
  phoneNumber: string | undefined;
  /** The day paid, `YYYY-MM-DD`, as sent (`dateCreated`). */
  dateCreated: string;
  /** The account reference paid to: the invoice's `accountReference`. */
  accountReference: string;
  /** The shortcode paid (`shortCode`). */
  shortCode: string;
  /** The body as received: keep it for audit. */
  raw: unknown;
}

/**
 * Parse the body Bill Manager POSTs to your opt-in `callbackurl` for each payment. Every value is read
 * as text and trimmed; `paidAmount` must be a positive amount, `transactionId` an M-Pesa receipt and
 * `dateCreated` start with a `YYYY-MM-DD` date. `msisdn` may be empty. See
 * {@link createBillPaymentHandler} for a handler that acknowledges the push once it is stored.
 *
 * @param body - The parsed JSON body (or its text or bytes).
 * @returns The payment, `paidAmount` as a number.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming the missing or malformed field.
 *
 * @example
 * ```ts
 * const payment = parseBillPayment({
 *   transactionId: 'RJB53MYR1N', paidAmount: '5000', msisdn: '254722000000',
 *   dateCreated: '2021-10-01', accountReference: 'BC001', shortCode: '456545',
 * });
 * payment.paidAmount; // 5000
 * ```
 */
export function parseBillPayment(body: unknown): BillPayment {
  const b = readBody(body);
  const str = (key: string, required = true): string =>
    readText(Object.hasOwn(b, key) ? b[key] : undefined, key, true)?.trim() ||
    (required ? fail('missing_field', `${key} is missing.`, key) : '');
  const transactionId = str('transactionId');
  if (!/^[A-Za-z0-9]{6,20}$/.test(transactionId))
    fail('invalid_field', 'transactionId is not an M-Pesa receipt.', 'transactionId');
  const paidAmount = readPositiveAmount(b['paidAmount'], 'paidAmount');
  const dateCreated = str('dateCreated');
  if (!/^\d{4}-\d{2}-\d{2}/.test(dateCreated))
    fail('invalid_field', 'dateCreated is not a YYYY-MM-DD date.', 'dateCreated');
  const msisdn = str('msisdn', false);
  return {
    transactionId,
    paidAmount,
    msisdn,
    phoneNumber: tryNormalizePhoneNumber(msisdn),
    dateCreated,
    accountReference: str('accountReference'),
    shortCode: str('shortCode'),
    raw: body,
  };
}

/** The body of a {@link BillPaymentAck}: Bill Manager's `{resmsg, rescode}`. */
export interface BillPaymentAckBody {
  /** `"Success"`, or `"Failed"` when the payment was not stored. */
  resmsg: 'Success' | 'Failed';
  /** `"200"`, or `"500"` when the payment was not stored (Bill Manager then pushes it again). */
  rescode: '200' | '500';
}

/** The answer to send back to a payment push: its HTTP status and JSON body. */
export interface BillPaymentAck {
  /** 200 once stored (or for a malformed body); 500 when `onPayment` failed, so the push is retried. */
  status: 200 | 500;
  /** `{"resmsg":"Success","rescode":"200"}`, or `{"resmsg":"Failed","rescode":"500"}`. */
  body: BillPaymentAckBody;
}

/** An incoming push, as your framework gives it: `body` plus anything you want passed to the hooks. */
export interface BillPaymentRequest {
  /** The request body: parsed JSON, or its text or bytes. */
  body: unknown;
  /** Anything else (url, headers, remoteAddress…), passed through to the hooks. */
  [key: string]: unknown;
}

/** Options of {@link createBillPaymentHandler}. */
export interface BillPaymentHandlerOptions {
  /**
   * Store the payment, durably, before returning: the push is acknowledged only once this resolves. If it
   * throws, the push is answered with a non-200 and Bill Manager sends it again (up to 5 tries), so it must
   * be idempotent by `transactionId`: the same payment can arrive twice.
   */
  onPayment: (payment: BillPayment, request: BillPaymentRequest) => unknown;
  /**
   * Called with a malformed body ({@link daraja-sdk!DarajaCallbackError}) or an error thrown by
   * `onPayment`, and the request, so you can keep the body for audit. Errors thrown here are logged and
   * ignored.
   */
  onError?: (error: unknown, request: BillPaymentRequest) => unknown;
  /** Receives redacted logs. @defaultValue silent */
  logger?: DarajaLogger;
}

/** A framework-agnostic handler for Bill Manager's payment pushes. */
export interface BillPaymentHandler {
  /** Parse the push, run `onPayment`, and return the answer. Never throws. */
  handle(request: BillPaymentRequest): Promise<BillPaymentAck>;
}

const SUCCESS: BillPaymentAckBody = Object.freeze({ resmsg: 'Success', rescode: '200' });
const FAILED: BillPaymentAckBody = Object.freeze({ resmsg: 'Failed', rescode: '500' });

/**
 * Create a handler for the URL Bill Manager pushes payments to (the opt-in `callbackurl`). `handle()`
 * answers HTTP 200 `{"resmsg":"Success","rescode":"200"}` only after `onPayment` resolved; if `onPayment`
 * throws, it answers HTTP 500 `{"resmsg":"Failed","rescode":"500"}` so Bill Manager pushes the payment
 * again. A malformed body is acknowledged (200), passed to `onError`, and changes nothing. It never throws.
 *
 * De-duplicating by `transactionId` is your job: a push that was stored but whose answer was lost comes
 * again. Pushes carry no signature: check the payment against your invoices (its `accountReference` and
 * amount), and consider a secret token in the URL. Then acknowledge it with
 * `daraja.billManager.acknowledgePayment()`, which sends the customer an e-receipt.
 *
 * @param options - `onPayment`, `onError` and `logger`.
 * @returns The handler.
 * @throws {@link daraja-sdk!DarajaConfigError} when `onPayment` (or `onError`) is not a function.
 *
 * @example
 * ```ts
 * const payments = createBillPaymentHandler({
 *   onPayment: async (payment) => {
 *     // insert … on conflict (transaction_id) do nothing: the same push may come twice
 *     await db.billPayments.insertOnce(payment.transactionId, payment);
 *   },
 *   onError: (error, request) => audit.keep(request.body, error),
 * });
 * app.post('/bill-manager/payments', async (req, res) => {
 *   const ack = await payments.handle({ body: req.body });
 *   res.status(ack.status).json(ack.body);
 * });
 * ```
 */
export function createBillPaymentHandler(options: BillPaymentHandlerOptions): BillPaymentHandler {
  const issues = [];
  if (typeof options?.onPayment !== 'function')
    issues.push({ field: 'onPayment', message: 'must be a function that stores the payment.' });
  if (options?.onError !== undefined && typeof options.onError !== 'function')
    issues.push({ field: 'onError', message: 'must be a function.' });
  if (issues.length > 0) throw new DarajaConfigError(issues);
  const log = createLog(options.logger, { kind: 'billPayment' });

  const success = (): BillPaymentAck => ({ status: 200, body: { ...SUCCESS } });
  /** Log the failure and tell `onError` (whose own failure is logged and ignored), then give `ack`. */
  const failed = async (
    ack: BillPaymentAck,
    message: string,
    error: unknown,
    req: BillPaymentRequest,
    fields: Record<string, unknown> = {},
  ) => {
    log.error(message, { ...fields, error });
    await Promise.resolve()
      .then(() => options.onError?.(error, req))
      .catch((hookError: unknown) => log.error('onError threw; ignored', { error: hookError }));
    return ack;
  };
  const handle = async (request: BillPaymentRequest): Promise<BillPaymentAck> => {
    const req = typeof request === 'object' && request !== null ? request : { body: undefined };
    let payment: BillPayment;
    try {
      payment = parseBillPayment(req.body);
    } catch (error) {
      return failed(success(), 'bill payment push malformed; acknowledged, nothing changed', error, req);
    }
    const fields = {
      transactionId: payment.transactionId,
      paidAmount: payment.paidAmount,
      msisdn: payment.msisdn === '' ? undefined : maskPhoneNumber(payment.msisdn),
    };
    try {
      await options.onPayment(payment, req);
    } catch (error) {
      const message = 'onPayment failed; answering 500 so Bill Manager pushes it again';
      return failed({ status: 500, body: { ...FAILED } }, message, error, req, fields);
    }
    log.info('bill payment stored; acknowledged', fields);
    return success();
  };
  return { handle };
}
