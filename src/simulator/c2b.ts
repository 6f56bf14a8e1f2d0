import { createHash } from 'node:crypto';
import { c2bPayload as wirePayload } from '../wire/c2b.js';
import { nairobiTimestamp } from '../wire/time.js';
import type { SimulatorCallbackRecord } from './callbacks.js';
import { deliver, type EngineConfig } from './engine.js';
import * as ids from './ids.js';
import { CUSTOMER, type Ledger } from './ledger.js';
import type { TokenStore } from './oauth.js';
import type { CallbackDelivery } from './outcomes.js';
import {
  invalidField,
  ok,
  post,
  type RouteRequest,
  type RouteResponse,
  type SimulatorRoute,
} from './routes.js';
import { checks, digitsOf, type FieldRule, numberOf, readFields, textOf } from './validation.js';

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

/** @internal What the C2B simulation needs. */
export interface C2bSimulationConfig extends EngineConfig {
  validationTimeoutMs: number;
  tokens: TokenStore;
  ledger: Ledger;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const ACCEPTED = 'Accept the service request successfully.';
const TYPES: Record<string, string> = {
  CustomerPayBillOnline: 'Pay Bill',
  CustomerBuyGoodsOnline: 'Buy Goods',
};
const REGISTER_RULES: FieldRule[] = [
  { field: 'ShortCode', check: checks.digits(5, 8) },
  // Sentence case, spelled exactly: Daraja refuses "completed" or "COMPLETED".
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

/** @internal The MSISDN as C2B payloads carry it: masked (v2, `2547 ***** 149`) or SHA-256-hashed (v1). */
export function payloadMsisdn(phoneNumber: string, version: SimulatedC2bVersion): string {
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

/** @internal C2B register and simulate (validation, then confirmation). */
export class C2bSimulation {
  readonly #config: C2bSimulationConfig;
  readonly #registrations = new Map<string, SimulatedC2bRegistration>();
  readonly #payments = new Map<string, Mutable<SimulatedC2bPayment>>();

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
  }

  routes(): SimulatorRoute[] {
    return [
      ...(['v1', 'v2'] as const).flatMap((version) => [
        post(`/mpesa/c2b/${version}/registerurl`, 'c2b.registerUrls', (r) => this.#register(r, version)),
        post(`/mpesa/c2b/${version}/simulate`, 'c2b.simulate', (r) => this.#simulate(r)),
      ]),
    ];
  }

  #read(request: RouteRequest, rules: readonly FieldRule[]) {
    return readFields(request, rules, this.#config.tokens.check(request.headers));
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
    const accounts = ledger.receive({
      receipt: payment.transactionId,
      kind: 'c2b',
      amount: payment.amount,
      shortcode: payment.shortcode,
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
    deliver(this.#config, job, payment.delivery);
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

/** The validation or confirmation payload (wire/c2b.ts): every value a string. */
function c2bPayload(
  payment: SimulatedC2bPayment,
  version: SimulatedC2bVersion,
  time: Date,
  balance: number | undefined,
  thirdPartyTransId: string | undefined,
): Record<string, string> {
  return wirePayload({
    transactionType: TYPES[payment.commandId] ?? payment.commandId,
    transId: payment.transactionId,
    transTime: nairobiTimestamp(time),
    amount: payment.amount,
    shortcode: payment.shortcode,
    billRefNumber: payment.billRefNumber,
    orgAccountBalance: balance,
    thirdPartyTransId,
    msisdn: payloadMsisdn(payment.phoneNumber, version),
    firstName: CUSTOMER.first,
    middleName: CUSTOMER.middle,
    lastName: CUSTOMER.last,
  });
}
