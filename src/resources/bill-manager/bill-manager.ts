import { DarajaAuthError, DarajaConfigError } from '../../core/errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import { ApiResource, type PostSpec, type ResourceContext } from '../../core/resource.js';
import { refusal, rescodeOf, unauthorized } from './answers.js';
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
import type {
  BillManagerInvoice,
  BillManagerOptInParams,
  BillManagerOptInResponse,
  BillManagerOptions,
  BillManagerPaymentAck,
  BillManagerResponse,
  BillManagerUpdateOptInParams,
} from './types.js';

export type * from './types.js';

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
    return (await this.#call('billManager.sendInvoices', 'bulk-invoicing', body, options)).response;
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
