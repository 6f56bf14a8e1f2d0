// The parameters and answers of Bill Manager (`bill-manager.ts`, which re-exports them).

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
