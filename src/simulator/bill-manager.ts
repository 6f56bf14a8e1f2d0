import { randomBytes } from 'node:crypto';
import { nairobiTimestamp } from '../wire/time.js';
import { billManagerControlRoutes } from './bill-manager-control.js';
import {
  conflict,
  DAY,
  DUPLICATE,
  INVOICE_RULES,
  OPT_IN_RULES,
  PHONE,
  RECONCILIATION_RULES,
  type SimulatedBillPayment,
  type SimulatedInvoice,
  UNAUTHORIZED,
  UPDATE_RULES,
} from './bill-manager-rules.js';
import type { CallbackSender } from './callbacks.js';
import { receiptNumber } from './ids.js';
import type { Log } from './log.js';
import type { TokenStore } from './oauth.js';
import {
  invalidField,
  invalidPayload,
  ok,
  post,
  type RouteRequest,
  type RouteResponse,
  type SimulatorRoute,
} from './routes.js';
import type { Scheduler } from './scheduler.js';
import { type JsonBody, readFields, readJsonObject, textOf } from './validation.js';

// Bill Manager as its portal page and the peers' captures describe it (the Bill Manager section of
// docs/bill-manager.md says which parts are unverified). Refusals are `rescode` "409" with HTTP 409; the
// real HTTP status of a refusal is unknown (the SDK reads both). An unknown app key is answered with the
// bare envelope seen live, HTTP 401 `{"errorCode":"401","errorMessage":"Unauthorized - Invalid Access Token"}`.

/** The two path prefixes served: the portal's, and the doubled one of Safaricom's go-live email. */
const PREFIXES = ['/v1/billmanager-invoice/', '/v1/billmanager-invoice/v1/billmanager-invoice/'];
/** Bill Manager tries a push 5 times "before cancelling the request". */
const PUSH_ATTEMPTS = 5;
const BULK_MAX = 1000;

/** A biller that opted in. */
interface Biller {
  shortcode: string;
  email: string;
  officialContact: string;
  sendReminders: string;
  callbackurl: string;
  appKey: string;
  optedInAt: Date;
}

/** @internal What the Bill Manager simulation needs of the simulator. */
export interface BillManagerSimConfig {
  tokens: TokenStore;
  scheduler: Scheduler;
  callbacks: CallbackSender;
  log: Log;
  /** The header the app key must come in, e.g. `app_key`. */
  appKeyHeader: string;
  /** The shortcodes that may opt in. */
  shortcodes: readonly string[];
  /** The wait before a push and between its retries, in ms. */
  pushDelayMs: number;
}

/**
 * @internal
 * The seven Bill Manager endpoints (under both prefixes) and the control routes: opt-in issues an app key;
 * every other call needs it in the configured header; invoices are kept in memory; a control call makes a
 * customer pay, which pushes the payment to the biller's `callbackurl`, up to 5 times until it answers
 * HTTP 200 with `rescode` "200".
 */
export class BillManagerSimulation {
  readonly #c: BillManagerSimConfig;
  readonly #billers = new Map<string, Biller>();
  readonly #invoices = new Map<string, SimulatedInvoice>();

  constructor(config: BillManagerSimConfig) {
    this.#c = config;
  }

  routes(): SimulatorRoute[] {
    const endpoints: Array<[string, string, (r: RouteRequest) => RouteResponse]> = [
      ['optin', 'billManager.optIn', (r) => this.#optIn(r)],
      [
        'change-optin-details',
        'billManager.updateOptIn',
        (r) => this.#withBiller(r, (b, body) => this.#update(b, body)),
      ],
      [
        'single-invoicing',
        'billManager.sendInvoice',
        (r) => this.#withBiller(r, (b, body) => this.#keepInvoices([body], b)),
      ],
      [
        'bulk-invoicing',
        'billManager.sendInvoices',
        (r) => this.#withList(r, (b, list) => this.#keepInvoices(list, b)),
      ],
      [
        'cancel-single-invoice',
        'billManager.cancelInvoice',
        (r) => this.#withBiller(r, (b, body) => this.#cancel([body], b)),
      ],
      [
        'cancel-bulk-invoices',
        'billManager.cancelInvoices',
        (r) => this.#withList(r, (b, list) => this.#cancel(list, b)),
      ],
      [
        'reconciliation',
        'billManager.acknowledgePayment',
        (r) => this.#withBiller(r, (b, body) => this.#reconcile(b, body)),
      ],
    ];
    return [
      ...PREFIXES.flatMap((prefix) =>
        endpoints.map(([path, op, handle]) => post(`${prefix}${path}`, op, handle)),
      ),
      ...billManagerControlRoutes({
        billers: () => [...this.#billers.values()].map(({ appKey: _secret, ...b }) => b),
        invoices: () => [...this.#invoices.values()],
        pay: (reference, amount) => this.pay(reference, amount),
      }),
    ];
  }

  reset(): void {
    this.#billers.clear();
    this.#invoices.clear();
  }

  #optIn(request: RouteRequest): RouteResponse {
    const read = readFields(request, OPT_IN_RULES, this.#c.tokens.check(request.headers));
    if ('error' in read) return read.error;
    const shortcode = textOf(read.body['shortcode'])!;
    if (!this.#c.shortcodes.includes(shortcode))
      return conflict('Action Forbidden: Invalid consumer key/short code');
    if (this.#billers.has(shortcode)) return conflict('Action Forbidden: Biller already Registered');
    const appKey = `simapp_${randomBytes(12).toString('hex')}`;
    const b = read.body;
    this.#billers.set(shortcode, {
      shortcode,
      email: String(b['email']),
      officialContact: textOf(b['officialContact'])!,
      sendReminders: textOf(b['sendReminders'])!,
      callbackurl: String(b['callbackurl']),
      appKey,
      optedInAt: new Date(),
    });
    this.#c.log.info('sim: bill manager opt-in', { shortcode });
    return ok({ app_key: appKey, resmsg: 'Success', rescode: '200' });
  }

  /** The bearer token, then the app key in its header: the biller it belongs to, or Bill Manager's 401. */
  #biller(request: RouteRequest): Biller | RouteResponse {
    const denied = this.#c.tokens.check(request.headers);
    if (denied) return denied;
    const sent = request.headers[this.#c.appKeyHeader.toLowerCase()];
    const biller = [...this.#billers.values()].find((b) => typeof sent === 'string' && b.appKey === sent);
    return biller ?? UNAUTHORIZED;
  }

  #withBiller(request: RouteRequest, run: (biller: Biller, body: JsonBody) => RouteResponse): RouteResponse {
    const biller = this.#biller(request);
    if (!('appKey' in biller)) return biller;
    const read = readJsonObject(request, invalidPayload);
    return read.error ?? run(biller, read.body);
  }

  /** A top-level array of 1 to 1000 objects. */
  #withList(request: RouteRequest, run: (biller: Biller, list: JsonBody[]) => RouteResponse): RouteResponse {
    const biller = this.#biller(request);
    if (!('appKey' in biller)) return biller;
    const list = request.json;
    if (!request.isJson || !Array.isArray(list) || list.length === 0 || list.length > BULK_MAX)
      return invalidPayload();
    if (!list.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item)))
      return invalidPayload();
    return run(biller, list as JsonBody[]);
  }

  #update(biller: Biller, body: JsonBody): RouteResponse {
    const bad = UPDATE_RULES.find(
      (r) => !((body[r.field] === undefined && r.optional) || r.check(body[r.field])),
    );
    if (bad) return invalidField(bad.field);
    if (textOf(body['shortcode']) !== biller.shortcode)
      return conflict('Action Forbidden: Invalid consumer key/short code');
    biller.email = String(body['email']);
    biller.officialContact = textOf(body['officialContact'])!;
    biller.sendReminders = textOf(body['sendReminders'])!;
    if (body['callbackurl'] !== undefined) biller.callbackurl = String(body['callbackurl']);
    return ok({ resmsg: 'Success', rescode: '200' });
  }

  /** Check every invoice, then keep them all, or none. */
  #keepInvoices(list: JsonBody[], biller: Biller): RouteResponse {
    const seen = new Set<string>();
    for (const body of list) {
      const bad = INVOICE_RULES.find(
        (r) => !((body[r.field] === undefined && r.optional) || r.check(body[r.field])),
      );
      if (bad) return invalidField(bad.field);
      if (!PHONE.test(textOf(body['billedPhoneNumber']) ?? ''))
        return conflict('Action forbidden: Incorrect phone number format');
      if (!DAY.test(String(body['dueDate']))) return conflict('Action forbidden: Incorrect due date format');
      const reference = textOf(body['externalReference'])!;
      if (seen.has(reference) || this.#invoices.has(key(biller, reference))) return conflict(DUPLICATE);
      seen.add(reference);
    }
    for (const b of list) {
      const invoice: SimulatedInvoice = {
        shortcode: biller.shortcode,
        externalReference: textOf(b['externalReference'])!,
        billedFullName: String(b['billedFullName']),
        billedPhoneNumber: textOf(b['billedPhoneNumber'])!,
        billedPeriod: String(b['billedPeriod']),
        invoiceName: String(b['invoiceName']),
        dueDate: String(b['dueDate']),
        accountReference: String(b['accountReference']),
        amount: Number(b['amount']),
        invoiceItems: Array.isArray(b['invoiceItems']) ? b['invoiceItems'] : [],
        status: 'unpaid',
        payments: [],
      };
      this.#invoices.set(key(biller, invoice.externalReference), invoice);
    }
    this.#c.log.info('sim: bill manager invoices', { shortcode: biller.shortcode, count: list.length });
    return ok({ Status_Message: 'Invoice sent successfully', resmsg: 'Success', rescode: '200' });
  }

  /** Cancel every invoice listed, or none: an unknown or cancelled one, or one with a payment, refuses all. */
  #cancel(list: JsonBody[], biller: Biller): RouteResponse {
    const found: SimulatedInvoice[] = [];
    for (const body of list) {
      const reference = textOf(body['externalReference']);
      if (!reference) return invalidField('externalReference');
      const invoice = this.#invoices.get(key(biller, reference));
      if (!invoice || invoice.status === 'cancelled')
        return conflict(`Action forbidden: no invoice with externalReference ${reference}`, true);
      if (invoice.payments.length > 0)
        return conflict('partially or fully paid invoices cannot be cancelled.', true);
      found.push(invoice);
    }
    for (const invoice of found) invoice.status = 'cancelled';
    return ok({
      Status_Message: 'Invoice cancelled successfuly.',
      resmsg: 'Success',
      rescode: '200',
      errors: [],
    });
  }

  #reconcile(biller: Biller, body: JsonBody): RouteResponse {
    const bad = RECONCILIATION_RULES.find((r) => !r.check(body[r.field]));
    if (bad)
      return bad.field === 'phoneNumber'
        ? conflict('Action forbidden: Incorrect phone number format')
        : invalidField(bad.field);
    // Nothing says Bill Manager checks the payment exists: the simulator records the acknowledgement if it does.
    const invoice = this.#invoices.get(key(biller, textOf(body['externalReference'])!));
    const payment = invoice?.payments.find((p) => p.transactionId === body['transactionId']);
    if (payment) payment.reconciled = true;
    return ok({ resmsg: 'Success', rescode: '200' });
  }

  /**
   * A customer pays `amount` (the rest of the invoice by default) against an invoice: the payment is
   * recorded and pushed to the biller's `callbackurl`.
   *
   * @throws {TypeError} for an unknown or cancelled invoice, or an amount that is not a whole positive number.
   */
  pay(externalReference: string, amount?: number): SimulatedBillPayment {
    const invoice = [...this.#invoices.values()].find((i) => i.externalReference === externalReference);
    if (!invoice || invoice.status === 'cancelled')
      throw new TypeError(
        `daraja-sim: no payable invoice with externalReference ${JSON.stringify(externalReference)}.`,
      );
    const due = invoice.amount - invoice.payments.reduce((sum, p) => sum + p.paidAmount, 0);
    const paid = amount ?? Math.max(due, 1);
    if (!(Number.isInteger(paid) && paid > 0))
      throw new TypeError('daraja-sim: amount must be a whole number of shillings.');
    const msisdn = `254${invoice.billedPhoneNumber.slice(-9)}`;
    const payment: SimulatedBillPayment = {
      transactionId: receiptNumber(),
      paidAmount: paid,
      msisdn,
      dateCreated: nairobiTimestamp().replace(/^(\d{4})(\d{2})(\d{2}).*$/, '$1-$2-$3'),
      pushAttempts: 0,
      pushAcknowledged: false,
      reconciled: false,
    };
    invoice.payments.push(payment);
    invoice.status = paid >= due ? 'paid' : 'partially paid';
    const biller = this.#billers.get(invoice.shortcode)!;
    this.#push(biller, invoice, payment);
    return payment;
  }

  /** Push the payment, then again after each answer that is not HTTP 200 with `rescode` "200", 5 tries at most. */
  #push(biller: Biller, invoice: SimulatedInvoice, payment: SimulatedBillPayment): void {
    const body = {
      transactionId: payment.transactionId,
      paidAmount: String(payment.paidAmount),
      msisdn: payment.msisdn,
      dateCreated: payment.dateCreated,
      accountReference: invoice.accountReference,
      shortCode: biller.shortcode,
    };
    const attempt = async () => {
      payment.pushAttempts += 1;
      const record = await this.#c.callbacks.send({
        operation: 'billManager.payment',
        transactionId: payment.transactionId,
        url: biller.callbackurl,
        body,
      });
      if (record.status === 200 && rescodeIn(record.responseText) === '200') payment.pushAcknowledged = true;
      else if (payment.pushAttempts < PUSH_ATTEMPTS) this.#c.scheduler.schedule(this.#c.pushDelayMs, attempt);
    };
    this.#c.scheduler.schedule(this.#c.pushDelayMs, attempt);
  }
}

const key = (biller: Biller, reference: string) => `${biller.shortcode}\u0000${reference}`;

function rescodeIn(text: string | undefined): string | undefined {
  try {
    return textOf((JSON.parse(text ?? '') as JsonBody)?.['rescode']);
  } catch {
    return undefined;
  }
}
