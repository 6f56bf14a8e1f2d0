import { createHash, randomUUID } from 'node:crypto';
import type { Log } from '../core/logger.js';
import { darajaTimestamp, parseDarajaTimestamp } from '../core/utils/timestamp.js';
import type { CallbackSender, SimulatorCallbackRecord } from './callbacks.js';
import * as ids from './ids.js';
import { CUSTOMER, type Ledger, money, ORGANISATION_NAME } from './ledger.js';
import type { TokenStore } from './oauth.js';
import type { CallbackDelivery } from './outcomes.js';
import {
  invalidField,
  invalidPayload,
  ok,
  type RouteRequest,
  type RouteResponse,
  type SimulatorRoute,
} from './routes.js';
import type { Scheduler } from './scheduler.js';
import {
  checkFields,
  checks,
  digitsOf,
  type FieldRule,
  type JsonBody,
  numberOf,
  readJsonObject,
  textOf,
} from './validation.js';

/** The C2B API version of a registration: v1 callbacks carry a SHA-256-hashed MSISDN, v2 a masked one. */
export type SimulatedC2bVersion = 'v1' | 'v2';

/** The URLs registered for a shortcode, as returned by {@link Simulator.c2bRegistrations}. */
export interface SimulatedC2bRegistration {
  /** The shortcode. */
  readonly shortcode: string;
  /** What happens when the validation URL does not answer: `Completed` accepts, `Cancelled` rejects. */
  readonly responseType: 'Completed' | 'Cancelled';
  /** Where confirmations go. */
  readonly confirmationUrl: string;
  /** Where validation requests go; `undefined` when none was registered (no external validation). */
  readonly validationUrl: string | undefined;
  /** The API version registered with, which decides the MSISDN form in the payloads. */
  readonly version: SimulatedC2bVersion;
  /** When they were (last) registered: the sandbox lets you register again, replacing them. */
  readonly registeredAt: Date;
}

/**
 * Where a simulated C2B payment stands: `pending` until it is processed (`callbackDelayMs` after the
 * simulate call), then `completed`, `rejected` (by the validation URL, or by `ResponseType: Cancelled`
 * when it did not answer) or `failed` (the customer could not pay).
 */
export type SimulatedC2bStatus = 'pending' | 'completed' | 'rejected' | 'failed';

/** What a validation URL answered, as read by the simulator. */
export interface SimulatedC2bValidationAnswer {
  /** `ResultCode`: `"0"` accepted the payment; anything else (`C2B00011`…`C2B00016`) rejected it. */
  readonly resultCode: string;
  /** `ResultDesc`, e.g. `Accepted` or `Rejected`. */
  readonly resultDesc: string;
  /** `ThirdPartyTransID`, echoed back in the confirmation. */
  readonly thirdPartyTransId: string | undefined;
}

/** One simulated C2B payment, as returned by {@link Simulator.c2bPayments}. */
export interface SimulatedC2bPayment {
  /** The M-Pesa receipt (`TransID`) of the payment. */
  readonly transactionId: string;
  /** The `OriginatorCoversationID` (Daraja's spelling) the simulate call returned. */
  readonly originatorConversationId: string;
  /** Where it stands. */
  readonly status: SimulatedC2bStatus;
  /** Why it ended so, e.g. `rejected by the validation URL (C2B00012)`. */
  readonly reason: string | undefined;
  /** The shortcode paid. */
  readonly shortcode: string;
  /** `CustomerPayBillOnline` or `CustomerBuyGoodsOnline`. */
  readonly commandId: string;
  /** The amount, in shillings. */
  readonly amount: number;
  /** The payer's phone number as sent (`Msisdn`). */
  readonly phoneNumber: string;
  /** The account number (`BillRefNumber`); empty for Buy Goods. */
  readonly billRefNumber: string;
  /** The validation URL's answer, when it gave a readable one. */
  readonly validation: SimulatedC2bValidationAnswer | undefined;
  /** How the confirmation is delivered, by the phone-number rule. */
  readonly delivery: CallbackDelivery;
  /** When the simulate call was accepted. */
  readonly createdAt: Date;
  /** When it was processed. */
  readonly decidedAt: Date | undefined;
}

/** @internal What the C2B and pull simulation needs. */
export interface C2bSimulationConfig {
  callbackDelayMs: number;
  lateCallbackDelayMs: number;
  duplicateCallbackCount: number;
  validationTimeoutMs: number;
  tokens: TokenStore;
  scheduler: Scheduler;
  callbacks: CallbackSender;
  ledger: Ledger;
  log: Log;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const ACCEPTED = 'Accept the service request successfully.';
const TYPES: Record<string, string> = {
  CustomerPayBillOnline: 'Pay Bill',
  CustomerBuyGoodsOnline: 'Buy Goods',
};
/** Rows per page of a pull query. */
export const PULL_PAGE_SIZE = 100;

const REGISTER_RULES: FieldRule[] = [
  { field: 'ShortCode', check: checks.digits(5, 8) },
  // Sentence case, spelled exactly (daraja-api.md §6).
  { field: 'ResponseType', check: checks.oneOf(['Completed', 'Cancelled']) },
  { field: 'ConfirmationURL', check: checks.url },
  { field: 'ValidationURL', check: checks.url, optional: true },
];

const SIMULATE_RULES: FieldRule[] = [
  { field: 'ShortCode', check: checks.digits(5, 8) },
  { field: 'CommandID', check: checks.oneOf(Object.keys(TYPES)) },
  { field: 'Amount', check: checks.wholeAmount(1, 250_000) },
  { field: 'Msisdn', check: checks.msisdn },
  { field: 'BillRefNumber', check: checks.length(0, 20), optional: true },
];

const PULL_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2})\d?$/;
const PULL_REGISTER_RULES: FieldRule[] = [
  { field: 'ShortCode', check: checks.digits(5, 8) },
  { field: 'RequestType', check: checks.oneOf(['Pull']) },
  { field: 'NominatedNumber', check: (v) => /^(?:0|254)[17]\d{8}$/.test(digitsOf(v) ?? '') },
  { field: 'CallBackURL', check: checks.url },
];
const PULL_QUERY_RULES: FieldRule[] = [
  { field: 'ShortCode', check: checks.digits(5, 8) },
  { field: 'StartDate', check: (v) => pullDate(v) !== undefined },
  { field: 'EndDate', check: (v) => pullDate(v) !== undefined },
  { field: 'OffSetValue', check: (v) => digitsOf(v) !== undefined },
];

/** Daraja's `YYYY-MM-DD H:mm:ss` (Nairobi time; the documented sample has a stray third seconds digit). */
function pullDate(value: unknown): Date | undefined {
  const m = typeof value === 'string' ? PULL_DATE.exec(value.trim()) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return parseDarajaTimestamp(`${y}${mo}${d}${h!.padStart(2, '0')}${mi}${s}`);
}

/** ISO-8601 in Nairobi time, as pull transactions' `trxDate`: `2020-08-05T10:19:57.000+03:00`. */
function isoNairobi(date: Date): string {
  const t = darajaTimestamp(date);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12)}.000+03:00`;
}

/** The MSISDN as C2B payloads carry it: masked (v2, `2547 ***** 149`) or SHA-256-hashed (v1). */
function payloadMsisdn(phoneNumber: string, version: SimulatedC2bVersion): string {
  return version === 'v2'
    ? `${phoneNumber.slice(0, 4)} ***** ${phoneNumber.slice(-3)}`
    : createHash('sha256').update(phoneNumber).digest('hex');
}

/** The confirmation's delivery by the payer's last two digits (the STK suffixes: 05, 06, 07). */
const DELIVERY_BY_SUFFIX: Record<string, CallbackDelivery> = {
  '05': 'none',
  '06': 'duplicate',
  '07': 'late',
};
/** Payers whose number ends in this cannot pay (the STK insufficient-funds suffix). */
const INSUFFICIENT_SUFFIX = '03';

/** @internal C2B register and simulate (validation, then confirmation), and pull transactions. */
export class C2bSimulation {
  readonly #config: C2bSimulationConfig;
  readonly #registrations = new Map<string, SimulatedC2bRegistration>();
  readonly #payments = new Map<string, Mutable<SimulatedC2bPayment>>();
  readonly #pullRegistered = new Set<string>();

  constructor(config: C2bSimulationConfig) {
    this.#config = config;
  }

  registrations(): SimulatedC2bRegistration[] {
    return [...this.#registrations.values()];
  }

  payments(): SimulatedC2bPayment[] {
    return [...this.#payments.values()].map((p) => Object.freeze({ ...p }));
  }

  reset(): void {
    this.#registrations.clear();
    this.#payments.clear();
    this.#pullRegistered.clear();
  }

  routes(): SimulatorRoute[] {
    const post = (path: string, operation: string, handle: SimulatorRoute['handle']): SimulatorRoute => ({
      method: 'POST',
      path,
      operation,
      handle,
    });
    return [
      ...(['v1', 'v2'] as const).flatMap((version) => [
        post(`/mpesa/c2b/${version}/registerurl`, 'c2b.registerUrls', (r) => this.#register(r, version)),
        post(`/mpesa/c2b/${version}/simulate`, 'c2b.simulate', (r) => this.#simulate(r)),
      ]),
      post('/pulltransactions/v1/register', 'pull.register', (r) => this.#pullRegister(r)),
      post('/pulltransactions/v1/query', 'pull.query', (r) => this.#pullQuery(r)),
    ];
  }

  #read(request: RouteRequest, rules: readonly FieldRule[]): { body: JsonBody } | { error: RouteResponse } {
    const denied = this.#config.tokens.check(request.headers);
    if (denied) return { error: denied };
    const read = readJsonObject(request, invalidPayload);
    if (read.error) return { error: read.error };
    const error = checkFields(read.body, rules);
    return error ? { error } : { body: read.body };
  }

  #register(request: RouteRequest, version: SimulatedC2bVersion): RouteResponse {
    const read = this.#read(request, REGISTER_RULES);
    if ('error' in read) return read.error;
    const { body } = read;
    // The sandbox lets you register again (production answers "Urls are already registered").
    const registration: SimulatedC2bRegistration = Object.freeze({
      shortcode: digitsOf(body['ShortCode'])!,
      responseType: body['ResponseType'] as 'Completed' | 'Cancelled',
      confirmationUrl: String(body['ConfirmationURL']),
      validationUrl: body['ValidationURL'] == null ? undefined : String(body['ValidationURL']),
      version,
      registeredAt: new Date(),
    });
    this.#registrations.set(registration.shortcode, registration);
    this.#config.log.info('sim: c2b URLs registered', {
      shortcode: registration.shortcode,
      version,
      validation: registration.validationUrl !== undefined,
    });
    return ok({
      OriginatorCoversationID: ids.originatorConversationId(),
      ResponseCode: '0',
      ResponseDescription: 'success',
    });
  }

  #simulate(request: RouteRequest): RouteResponse {
    const read = this.#read(request, SIMULATE_RULES);
    if ('error' in read) return read.error;
    const { body } = read;
    const commandId = String(body['CommandID']);
    const billRefNumber = textOf(body['BillRefNumber'])?.trim() ?? '';
    if (commandId === 'CustomerPayBillOnline' && billRefNumber === '') return invalidField('BillRefNumber');
    const phoneNumber = digitsOf(body['Msisdn'])!;
    const now = new Date();
    let transactionId = ids.receiptNumber();
    while (this.#config.ledger.has(transactionId) || this.#payments.has(transactionId))
      transactionId = ids.receiptNumber();
    const payment: Mutable<SimulatedC2bPayment> = {
      transactionId,
      originatorConversationId: ids.originatorConversationId(),
      status: 'pending',
      reason: undefined,
      shortcode: digitsOf(body['ShortCode'])!,
      commandId,
      amount: numberOf(body['Amount'])!,
      phoneNumber,
      billRefNumber,
      validation: undefined,
      delivery: DELIVERY_BY_SUFFIX[phoneNumber.slice(-2)] ?? 'once',
      createdAt: now,
      decidedAt: undefined,
    };
    this.#payments.set(transactionId, payment);
    this.#config.log.info('sim: c2b payment accepted', {
      transactionId,
      shortcode: payment.shortcode,
      phoneNumber,
      amount: payment.amount,
      inMs: this.#config.callbackDelayMs,
    });
    this.#config.scheduler.schedule(this.#config.callbackDelayMs, () => this.#process(payment));
    return ok({
      OriginatorCoversationID: payment.originatorConversationId,
      ResponseCode: '0',
      ResponseDescription: ACCEPTED,
    });
  }

  /** Validation (when a URL is registered), the merchant's answer, then the confirmation. */
  async #process(payment: Mutable<SimulatedC2bPayment>): Promise<void> {
    const { callbacks, ledger, log, validationTimeoutMs } = this.#config;
    const end = (status: SimulatedC2bStatus, reason: string) => {
      payment.status = status;
      payment.reason = reason;
      payment.decidedAt = new Date();
      log.info('sim: c2b payment processed', { transactionId: payment.transactionId, status, reason });
    };
    if (payment.phoneNumber.endsWith(INSUFFICIENT_SUFFIX)) {
      end('failed', 'the customer has too little money: nothing is sent to your URLs');
      return;
    }
    const registration = this.#registrations.get(payment.shortcode);
    if (registration?.validationUrl !== undefined) {
      const record = await callbacks.send(
        {
          operation: 'c2b.validation',
          transactionId: payment.transactionId,
          url: registration.validationUrl,
          body: c2bPayload(payment, registration.version, new Date(), undefined, undefined),
        },
        validationTimeoutMs,
      );
      const answer = record.ok ? readValidationAnswer(record) : undefined;
      payment.validation = answer;
      if (answer && answer.resultCode !== '0') {
        end('rejected', `rejected by the validation URL (${answer.resultCode})`);
        return;
      }
      if (!answer && registration.responseType === 'Cancelled') {
        end('rejected', 'no valid answer from the validation URL; ResponseType Cancelled applied');
        return;
      }
    }
    const now = new Date();
    const accounts = ledger.accounts(payment.shortcode);
    accounts.utility += payment.amount;
    ledger.record({
      receipt: payment.transactionId,
      kind: 'c2b',
      amount: payment.amount,
      shortcode: payment.shortcode,
      debitParty: `${payment.phoneNumber} - ${CUSTOMER.full}`,
      creditParty: `${payment.shortcode} - ${ORGANISATION_NAME}`,
      phoneNumber: payment.phoneNumber,
      billReference: payment.billRefNumber || undefined,
      originatorConversationId: undefined,
      conversationId: undefined,
      reasonType: `${TYPES[payment.commandId]} Online`,
      completedAt: now,
    });
    if (!registration) {
      end('completed', 'paid; no URLs are registered for this shortcode, so nothing was sent');
      return;
    }
    end(
      'completed',
      payment.validation
        ? 'accepted by the validation URL'
        : registration.validationUrl === undefined
          ? 'paid (no validation URL registered)'
          : 'no valid answer from the validation URL; ResponseType Completed applied',
    );
    if (payment.delivery === 'none') return;
    const job = {
      operation: 'c2b.confirmation',
      transactionId: payment.transactionId,
      url: registration.confirmationUrl,
      body: c2bPayload(
        payment,
        registration.version,
        now,
        accounts.utility,
        payment.validation?.thirdPartyTransId,
      ),
    };
    const { duplicateCallbackCount, lateCallbackDelayMs } = this.#config;
    if (payment.delivery === 'duplicate') callbacks.schedule(job, 0, duplicateCallbackCount);
    else callbacks.schedule(job, payment.delivery === 'late' ? lateCallbackDelayMs : 0);
  }

  #pullRegister(request: RouteRequest): RouteResponse {
    const read = this.#read(request, PULL_REGISTER_RULES);
    if ('error' in read) return read.error;
    const shortcode = digitsOf(read.body['ShortCode'])!;
    const again = this.#pullRegistered.has(shortcode);
    this.#pullRegistered.add(shortcode);
    return ok({
      ResponseRefID: randomUUID(),
      ResponseStatus: again ? '1001' : '1000',
      ShortCode: shortcode,
      ResponseDescription: again ? 'Shortcode already Registered' : 'Shortcode Registered Successfully',
    });
  }

  /** The C2B (and STK) payments to a shortcode completed in the period, oldest first, a page at a time. */
  #pullQuery(request: RouteRequest): RouteResponse {
    const read = this.#read(request, PULL_QUERY_RULES);
    if ('error' in read) return read.error;
    const { body } = read;
    const shortcode = digitsOf(body['ShortCode'])!;
    const start = pullDate(body['StartDate'])!.getTime();
    // Daraja's dates have whole seconds: the end second is included.
    const end = pullDate(body['EndDate'])!.getTime() + 999;
    const offset = Number(digitsOf(body['OffSetValue']));
    const rows = this.#config.ledger
      .list()
      .filter((e) => (e.kind === 'c2b' || e.kind === 'stk') && e.shortcode === shortcode)
      .filter((e) => e.completedAt.getTime() >= start && e.completedAt.getTime() <= end)
      .sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime())
      .slice(offset, offset + PULL_PAGE_SIZE)
      .map((e) => ({
        transactionId: e.receipt,
        trxDate: isoNairobi(e.completedAt),
        msisdn: payloadMsisdn(e.phoneNumber ?? '', 'v2'),
        sender: 'MPESA',
        transactiontype: /buy goods/i.test(e.reasonType) ? 'c2b-buy-goods-debit' : 'c2b-pay-bill-debit',
        billreference: e.billReference ?? '',
        amount: money(e.amount),
        organizationname: ORGANISATION_NAME,
      }));
    return ok({
      ResponseRefID: randomUUID(),
      ResponseCode: rows.length > 0 ? '1000' : '1001',
      ResponseMessage: rows.length > 0 ? 'Success' : 'No transactions found',
      Response: rows.length > 0 ? [rows] : [],
    });
  }
}

/** The validation answer, when it is JSON with a `ResultCode`: `0` accepts, anything else (C2B000xx) rejects. */
function readValidationAnswer(record: SimulatorCallbackRecord): SimulatedC2bValidationAnswer | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(record.responseText ?? '');
  } catch {
    return undefined;
  }
  if (typeof answer !== 'object' || answer === null) return undefined;
  const { ResultCode, ResultDesc, ThirdPartyTransID } = answer as Record<string, unknown>;
  const code = textOf(ResultCode)?.trim();
  if (!code) return undefined;
  return {
    resultCode: /^0+$/.test(code) ? '0' : code,
    resultDesc: textOf(ResultDesc) ?? '',
    thirdPartyTransId: textOf(ThirdPartyTransID) || undefined,
  };
}

/** The validation or confirmation payload: every value a string (daraja-api.md §6). */
function c2bPayload(
  payment: SimulatedC2bPayment,
  version: SimulatedC2bVersion,
  time: Date,
  balance: number | undefined,
  thirdPartyTransId: string | undefined,
): Record<string, string> {
  return {
    TransactionType: TYPES[payment.commandId] ?? payment.commandId,
    TransID: payment.transactionId,
    TransTime: darajaTimestamp(time),
    TransAmount: money(payment.amount),
    BusinessShortCode: payment.shortcode,
    BillRefNumber: payment.billRefNumber,
    InvoiceNumber: '',
    // Blank in validation requests.
    OrgAccountBalance: balance === undefined ? '' : money(balance),
    ThirdPartyTransID: thirdPartyTransId ?? '',
    MSISDN: payloadMsisdn(payment.phoneNumber, version),
    FirstName: CUSTOMER.first,
    MiddleName: CUSTOMER.middle,
    LastName: CUSTOMER.last,
  };
}
