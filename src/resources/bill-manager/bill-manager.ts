import { DarajaAuthError, DarajaConfigError, DarajaDuplicateError } from '../../core/errors.js';
import { toRefusalError } from '../../core/http/api-errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import { ApiResource, type PostSpec, type ResourceContext } from '../../core/resource.js';
import { type BillManagerSettings, billManagerSettings } from './config.js';
import {
  bulkList,
  type FieldContext,
  invoiceBody,
  optInBody,
  paymentAckBody,
  reference,
  updateOptInBody,
} from './fields.js';

/**
 * The `billManager` option of `new Daraja()`. Nothing here is read from the environment.
 *
 * @example
 * ```ts
 * const daraja = new Daraja({ ...options, billManager: { appKey: process.env.BILL_MANAGER_APP_KEY } });
 * ```
 */
export interface BillManagerOptions {
  /**
   * The app key the opt-in answered with ({@link BillManagerOptInResponse.appKey}). A secret: never
   * logged, kept out of errors, hooks and diagnostics. Every call but `optIn` needs it.
   */
  appKey?: string;
  /**
   * The header the app key is sent in. Safaricom never names it: `app_key` is the opt-in answer's field
   * and what the KEPAS SDK sends; mpesakit and mpesa-api send `appKey`. Neither is confirmed live. Header
   * names are case-insensitive (the request carries them in lower case). @defaultValue `'app_key'`
   * ({@link BILL_MANAGER_APP_KEY_HEADER})
   */
  appKeyHeader?: string;
  /**
   * The path every endpoint sits under. Safaricom's go-live email (2026-09-16) lists production paths with
   * the prefix doubled: `'/v1/billmanager-invoice/v1/billmanager-invoice/'`; the portal does not.
   * @defaultValue `'/v1/billmanager-invoice/'` ({@link BILL_MANAGER_PATH_PREFIX})
   */
  pathPrefix?: string;
}

/** Input of {@link BillManager.optIn}. */
export interface BillManagerOptInParams {
  /** Your PayBill or till number (sent as `shortcode`). @defaultValue the client's `shortcode` */
  shortcode?: string | number;
  /** Shown on invoices and receipts. */
  email: string;
  /** The phone number shown on invoices and receipts; a mobile number is sent as `07…`, as in the sample. */
  officialContact: string | number;
  /** SMS reminders 7 days and 3 days before, and on, the due date (sent as `"1"` or `"0"`). */
  sendReminders: boolean;
  /** Your logo (JPEG), sent as given: the portal does not say how it is encoded. Optional. */
  logo?: string;
  /** Where Bill Manager pushes each payment (sent as `callbackurl`); see `createBillPaymentHandler`. */
  callbackUrl: string;
}

/** Input of {@link BillManager.updateOptIn}: the opt-in's details to change. */
export interface BillManagerUpdateOptInParams {
  /** The shortcode opted in. @defaultValue the client's `shortcode` */
  shortcode?: string | number;
  /** Shown on invoices and receipts. */
  email: string;
  /** Shown on invoices and receipts. */
  officialContact: string | number;
  /** SMS reminders before and on the due date (sent as the number `1` or `0`, as in this call's sample). */
  sendReminders: boolean;
  /** Your logo. The portal's table marks it required for this call and optional for opt-in; unverified. */
  logo?: string;
  /** A new payment push URL (sent as `callbackurl`). Optional. */
  callbackUrl?: string;
}

/** One line of an invoice, shown on the e-invoice. */
export interface BillManagerInvoiceItem {
  /** e.g. `food`. */
  itemName: string;
  /** Whole shillings (sent as a string). */
  amount: number;
}

/** An invoice, for {@link BillManager.sendInvoice} and {@link BillManager.sendInvoices}. */
export interface BillManagerInvoice {
  /** Your unique invoice id; Bill Manager refuses a second invoice with it (409). Used to cancel. */
  externalReference: string | number;
  /** The customer's name, shown in the SMS. */
  billedFullName: string;
  /** The customer's Safaricom number; sent as `07…`, the samples' form (`2547…` is also said to work). */
  billedPhoneNumber: string | number;
  /** The period billed, e.g. `"August 2021"`; a `Date` is sent as its month and year. */
  billedPeriod: string | Date;
  /** Shown in the SMS, e.g. `"School Fees"`. */
  invoiceName: string;
  /** A `Date` (its day in Nairobi) or `"YYYY-MM-DD"`; sent as `YYYY-MM-DD`, the samples' format. */
  dueDate: Date | string;
  /** The account number the customer pays to (customers pay by ordinary C2B with it). */
  accountReference: string;
  /** Whole shillings (sent as a string, e.g. `"800"`). */
  amount: number;
  /** Lines shown on the e-invoice. Optional. */
  invoiceItems?: BillManagerInvoiceItem[];
}

/** Input of {@link BillManager.acknowledgePayment}: the 8 fields of the reconciliation sample. */
export interface BillManagerPaymentAck {
  /** The day paid: a `Date` (its day in Nairobi) or `"YYYY-MM-DD"`. */
  paymentDate: Date | string;
  /** Whole shillings paid. */
  paidAmount: number;
  /** The account number paid to. */
  accountReference: string;
  /** The M-Pesa receipt: the push's `transactionId`. */
  transactionId: string;
  /** The payer's number (sent as `07…`). */
  phoneNumber: string | number;
  /** The payer's name on the e-receipt. */
  fullName: string;
  /** The invoice's name. */
  invoiceName: string;
  /** Your id of the invoice paid. */
  externalReference: string | number;
}

/** Bill Manager's answer to a call that worked: `rescode` `"200"`. */
export interface BillManagerResponse {
  /** Always `"200"` (an answer with another code is thrown). */
  rescode: string;
  /** e.g. `"Success"`. */
  resmsg: string;
  /** e.g. `"Invoice sent successfully"`, when the answer has a `Status_Message`. */
  statusMessage: string | undefined;
}

/** The answer to {@link BillManager.optIn}. */
export interface BillManagerOptInResponse extends BillManagerResponse {
  /**
   * The app key (`app_key`). Safaricom shows it once: store it as a secret, then pass it as
   * `billManager.appKey`. Never logged by the SDK.
   */
  appKey: string;
}

const PRODUCT = 'Bill Manager';

/**
 * Bill Manager: e-invoices by SMS for a PayBill or till, paid by ordinary C2B. Use it as
 * `daraja.billManager`. Opt in once (`optIn`, which answers with the app key), send invoices, let Bill
 * Manager push each payment to your URL (`createBillPaymentHandler` in `daraja-sdk/results`), then
 * acknowledge it (`acknowledgePayment`), which sends the customer an e-receipt.
 *
 * Every call carries the bearer token; every call but `optIn` also carries the app key in the
 * `billManager.appKeyHeader` header. Nothing here moves money. Retries: every call but `optIn` is retried
 * like a query (after a timeout, a reset or a 5xx, up to `maxRetries`): invoices are protected by their
 * `externalReference` (a repeat is refused with 409, thrown as a {@link DarajaDuplicateError}), a cancel or
 * an opt-in update repeated does nothing new, and a repeated `acknowledgePayment` may at worst send a second
 * e-receipt. `optIn` is sent once: its answer holds the app key, shown only once, and a repeat is refused
 * as "Biller already Registered", so an ambiguous failure is a {@link DarajaUnknownOutcomeError}.
 *
 * Unverified: no source has a successful live Bill Manager call; the app key's header name and the
 * production path are in doubt (see {@link BillManagerOptions}). Whether a refusal comes with HTTP 409 or
 * HTTP 200 is unknown: both are read.
 */
export class BillManager extends ApiResource {
  // An ES private field: the app key never shows in `inspect` or JSON.
  readonly #settings: BillManagerSettings;

  /**
   * @internal
   * @param context - The client's context.
   * @param options - The `billManager` option, already validated.
   */
  constructor(context: ResourceContext, options?: BillManagerOptions) {
    super(context);
    this.#settings = billManagerSettings(options);
  }

  /**
   * Opt the shortcode in to Bill Manager (`POST …/optin`), once. The answer's `appKey` is shown only once:
   * store it as a secret and pass it as `billManager.appKey`. A second opt-in is refused ("Biller already
   * Registered", a {@link DarajaDuplicateError}). Sent once, never resent.
   *
   * @param params - Shortcode, email, contact, reminders, logo and the payment push URL.
   * @param options - Per-call timeout, abort signal and headers.
   * @returns The app key and Bill Manager's answer.
   * @throws {@link DarajaValidationError}, {@link DarajaDuplicateError}, {@link DarajaApiError},
   * {@link DarajaUnknownOutcomeError} when the answer was lost.
   *
   * @example
   * ```ts
   * const { appKey } = await daraja.billManager.optIn({
   *   email: 'billing@example.com', officialContact: '0710000000', sendReminders: true,
   *   callbackUrl: 'https://example.com/bill-manager/payments',
   * });
   * await secrets.put('BILL_MANAGER_APP_KEY', appKey);
   * ```
   */
  async optIn(
    params: BillManagerOptInParams,
    options: RequestOptions = {},
  ): Promise<BillManagerOptInResponse> {
    const body = optInBody(params, this.#fields());
    const answer = await this.#call('billManager.optIn', 'optin', body, options, {
      moneyMoving: true,
      unknownOutcomeAdvice:
        'Not money: the opt-in may have been registered and its app key lost (Safaricom shows it once). Try optIn again: "Biller already Registered" means it was, and apisupport@safaricom.co.ke must reissue the key.',
      duplicateOf: body.shortcode,
    });
    const appKey = answer.raw['app_key'];
    if (typeof appKey !== 'string' || appKey === '')
      return this.unreadable(
        { ...this.#spec('billManager.optIn', 'optin', body), moneyMoving: false },
        answer.status,
        answer.raw,
        '[daraja] billManager.optIn: Bill Manager answered 200 without an app_key.',
      );
    return { appKey, ...answer.response };
  }

  /**
   * Change the opt-in's details (`POST …/change-optin-details`): email, contact, reminders, logo, push URL.
   *
   * @param params - The new details.
   * @param options - Per-call options.
   * @returns Bill Manager's answer.
   * @throws {@link DarajaConfigError} without an app key, {@link DarajaValidationError}, {@link DarajaApiError}.
   *
   * @example
   * ```ts
   * await daraja.billManager.updateOptIn({ email: 'billing@example.com', officialContact: '0710000000', sendReminders: false });
   * ```
   */
  async updateOptIn(
    params: BillManagerUpdateOptInParams,
    options: RequestOptions = {},
  ): Promise<BillManagerResponse> {
    this.#appKey();
    const body = updateOptInBody(params, this.#fields());
    return (await this.#call('billManager.updateOptIn', 'change-optin-details', body, options)).response;
  }

  /**
   * Send one invoice by SMS (`POST …/single-invoicing`).
   *
   * @param invoice - The invoice; its `externalReference` must be new.
   * @param options - Per-call options.
   * @returns Bill Manager's answer (`statusMessage` "Invoice sent successfully").
   * @throws {@link DarajaConfigError} without an app key, {@link DarajaValidationError},
   * {@link DarajaDuplicateError} when the `externalReference` was used before (also when an earlier
   * attempt of this call got through), {@link DarajaApiError} for other refusals (`errorCode` `"409"`).
   *
   * @example
   * ```ts
   * await daraja.billManager.sendInvoice({
   *   externalReference: 'INV-2021-10-001', billedFullName: 'John Doe', billedPhoneNumber: '0712345678',
   *   billedPeriod: 'August 2021', invoiceName: 'Jentrys', dueDate: '2021-10-12',
   *   accountReference: '1ASD678H', amount: 800,
   * });
   * ```
   */
  async sendInvoice(invoice: BillManagerInvoice, options: RequestOptions = {}): Promise<BillManagerResponse> {
    this.#appKey();
    const body = invoiceBody(invoice);
    const call = { duplicateOf: body.externalReference };
    return (await this.#call('billManager.sendInvoice', 'single-invoicing', body, options, call)).response;
  }

  /**
   * Send up to 1000 invoices in one call (`POST …/bulk-invoicing`; the body is a bare array).
   *
   * @param invoices - 1 to {@link BILL_MANAGER_BULK_MAX} invoices, each with its own `externalReference`.
   * @param options - Per-call options.
   * @returns Bill Manager's answer.
   * @throws as {@link BillManager.sendInvoice}; a field of invoice `i` is named `invoices[i].field`.
   *
   * @example
   * ```ts
   * await daraja.billManager.sendInvoices(members.map((m) => invoiceFor(m)));
   * ```
   */
  async sendInvoices(
    invoices: BillManagerInvoice[],
    options: RequestOptions = {},
  ): Promise<BillManagerResponse> {
    this.#appKey();
    const body = bulkList<BillManagerInvoice>('invoices', invoices, (inv, i) =>
      invoiceBody(inv, `invoices[${i}].`),
    );
    return (
      await this.#call('billManager.sendInvoices', 'bulk-invoicing', body, options, {
        duplicateOf: 'one of the externalReferences',
      })
    ).response;
  }

  /**
   * Cancel an unpaid invoice (`POST …/cancel-single-invoice`). A partly or fully paid invoice cannot be
   * cancelled (a {@link DarajaApiError}, `errorCode` `"409"`); a cancelled one can no longer be paid.
   *
   * @param params - The invoice's `externalReference`.
   * @param options - Per-call options.
   * @returns Bill Manager's answer.
   * @throws {@link DarajaConfigError} without an app key, {@link DarajaValidationError}, {@link DarajaApiError}.
   *
   * @example
   * ```ts
   * await daraja.billManager.cancelInvoice({ externalReference: 'INV-2021-10-001' });
   * ```
   */
  async cancelInvoice(
    params: { externalReference: string | number },
    options: RequestOptions = {},
  ): Promise<BillManagerResponse> {
    this.#appKey();
    const body = { externalReference: reference('externalReference', params?.externalReference) };
    return (await this.#call('billManager.cancelInvoice', 'cancel-single-invoice', body, options)).response;
  }

  /**
   * Cancel up to 1000 unpaid invoices (`POST …/cancel-bulk-invoices`; the body is a bare array). The
   * portal documents no limit; the SDK applies bulk invoicing's.
   *
   * @param externalReferences - 1 to {@link BILL_MANAGER_BULK_MAX} invoice ids.
   * @param options - Per-call options.
   * @returns Bill Manager's answer.
   * @throws {@link DarajaConfigError} without an app key, {@link DarajaValidationError}, {@link DarajaApiError}.
   *
   * @example
   * ```ts
   * await daraja.billManager.cancelInvoices(['INV-1', 'INV-2']);
   * ```
   */
  async cancelInvoices(
    externalReferences: Array<string | number>,
    options: RequestOptions = {},
  ): Promise<BillManagerResponse> {
    this.#appKey();
    const body = bulkList<string | number>('externalReferences', externalReferences, (ref, i) => ({
      externalReference: reference(`externalReferences[${i}]`, ref),
    }));
    return (await this.#call('billManager.cancelInvoices', 'cancel-bulk-invoices', body, options)).response;
  }

  /**
   * Acknowledge a payment Bill Manager pushed to you (`POST …/reconciliation`), once it is stored: Bill
   * Manager then sends the customer an e-receipt by SMS.
   *
   * @param params - The 8 fields: payment date, amount, account, receipt, phone, name, invoice name and id.
   * @param options - Per-call options.
   * @returns Bill Manager's answer.
   * @throws {@link DarajaConfigError} without an app key, {@link DarajaValidationError}, {@link DarajaApiError}.
   *
   * @example
   * ```ts
   * await daraja.billManager.acknowledgePayment({
   *   paymentDate: payment.dateCreated, paidAmount: payment.paidAmount, accountReference: payment.accountReference,
   *   transactionId: payment.transactionId, phoneNumber: payment.msisdn, fullName: 'John Doe',
   *   invoiceName: 'School Fees', externalReference: 'INV-955',
   * });
   * ```
   */
  async acknowledgePayment(
    params: BillManagerPaymentAck,
    options: RequestOptions = {},
  ): Promise<BillManagerResponse> {
    this.#appKey();
    const body = paymentAckBody(params);
    return (await this.#call('billManager.acknowledgePayment', 'reconciliation', body, options)).response;
  }

  #fields(): FieldContext {
    const { shortcode, production, darajaHost } = this.ctx;
    return { shortcode, production, darajaHost };
  }

  /** The configured app key, or a {@link DarajaConfigError} before anything is sent. */
  #appKey(): string {
    const { appKey } = this.#settings;
    if (appKey === undefined || appKey === '')
      throw new DarajaConfigError([
        {
          field: 'billManager.appKey',
          message:
            'missing: Bill Manager calls after opt-in need the app key optIn() answered with. Pass new Daraja({ billManager: { appKey } }).',
        },
      ]);
    return appKey;
  }

  #spec(operation: string, endpoint: string, body: unknown): PostSpec {
    return {
      operation,
      product: PRODUCT,
      path: `${this.#settings.pathPrefix}${endpoint}`,
      body,
      moneyMoving: false,
      // A refusal (`rescode` 409) may come with HTTP 409 (or another 4xx): read it here, as a refusal.
      isExpectedError: (status, answer) =>
        status >= 400 && status < 500 && status !== 401 && status !== 429 && rescodeOf(answer) !== undefined,
    };
  }

  /**
   * Send a call and read Bill Manager's answer: `rescode "200"` is returned; another `rescode` is thrown
   * (409 for a repeat of `duplicateOf` as a {@link DarajaDuplicateError}); a 2xx without one is unreadable.
   */
  async #call(
    operation: string,
    endpoint: string,
    body: unknown,
    options: RequestOptions,
    extra: { moneyMoving?: boolean; unknownOutcomeAdvice?: string; duplicateOf?: string } = {},
  ): Promise<{ response: BillManagerResponse; raw: Record<string, unknown>; status: number }> {
    const { duplicateOf, ...flags } = extra;
    const spec = { ...this.#spec(operation, endpoint, body), ...flags };
    const headers =
      endpoint === 'optin'
        ? options.headers
        : { ...options.headers, [this.#settings.appKeyHeader]: this.#appKey() };
    const answer = await this.post(spec, { ...options, ...(headers ? { headers } : {}) }).catch(
      (error: unknown) => {
        throw error instanceof DarajaAuthError && error.errorCode === '401' ? unauthorized(error) : error;
      },
    );
    const raw = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as Record<
      string,
      unknown
    >;
    const rescode = rescodeOf(answer.body);
    if (rescode === undefined)
      return this.unreadable(
        spec,
        answer.status,
        answer.body,
        `[daraja] ${operation}: Bill Manager answered ${answer.status} without a rescode.`,
      );
    const statusMessage = typeof raw['Status_Message'] === 'string' ? raw['Status_Message'] : undefined;
    const resmsg = typeof raw['resmsg'] === 'string' ? raw['resmsg'] : '';
    if (rescode !== '200')
      throw refusal(operation, answer.status, rescode, statusMessage ?? resmsg, answer.body, duplicateOf);
    this.ctx.log.info('request accepted', { operation });
    return { response: { rescode, resmsg, statusMessage }, raw, status: answer.status };
  }
}

/** `rescode` as a string (`"200"`, `"409"`), or `undefined` when the answer has none. */
function rescodeOf(body: unknown): string | undefined {
  const code =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['rescode'] : undefined;
  return typeof code === 'string' || (typeof code === 'number' && Number.isFinite(code))
    ? String(code).trim()
    : undefined;
}

const DUPLICATE = /already registered|another entry exist|same externalreference/i;

/** A refusal: a {@link DarajaDuplicateError} for a repeat, else a {@link DarajaApiError} with `rescode` as `errorCode`. */
function refusal(
  operation: string,
  status: number,
  rescode: string,
  message: string,
  body: unknown,
  duplicateOf?: string,
) {
  const details = { operation, status, errorCode: rescode, errorMessage: message || undefined, body };
  if (rescode === '409' && DUPLICATE.test(message))
    return new DarajaDuplicateError(
      details,
      duplicateOf,
      `[daraja] ${operation}: Bill Manager already has this ${operation === 'billManager.optIn' ? 'shortcode' : `externalReference${duplicateOf ? ` (${duplicateOf})` : ''}`}: "${message}" (rescode 409). ` +
        'The earlier request was accepted (perhaps an earlier attempt of this call); do not send it again under a new id.',
    );
  return toRefusalError(operation, status, { errorCode: rescode, errorMessage: message || undefined }, body);
}

/** Bill Manager's bare `{"errorCode":"401",…}`, with what was seen to cause it. */
function unauthorized(error: DarajaAuthError): DarajaAuthError {
  const { operation, status, requestId, errorCode, errorMessage, body } = error;
  return new DarajaAuthError(
    { operation, status, requestId, errorCode, errorMessage, body },
    `[daraja] ${operation} failed with HTTP ${status} ${errorCode}${errorMessage ? `: ${errorMessage}` : ''}${requestId ? ` (requestId ${requestId})` : ''}. ` +
      'Bill Manager answered 401 even with a fresh token. Seen live when the shortcode was not yet enabled for Bill Manager: ' +
      'ask apisupport@safaricom.co.ke with your PayBill and this requestId. Also check billManager.appKey, and the header it is sent in ' +
      '(billManager.appKeyHeader: "app_key" by default, or "appKey"), and billManager.pathPrefix.',
  );
}
