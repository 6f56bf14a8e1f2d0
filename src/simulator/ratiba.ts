import { randomInt, randomUUID } from 'node:crypto';
import type { EngineConfig } from './engine.js';
import type { TokenStore } from './oauth.js';
import { post, type RouteResponse, type SimulatorRoute } from './routes.js';
import { checks, type FieldRule, type JsonBody, numberOf, textOf } from './validation.js';

// M-Pesa Ratiba (standing orders), written from Safaricom's portal pages and the one live sandbox answer
// on record, not from the SDK. What is documented: the endpoint, bearer auth, the request fields and
// their limits, the acknowledgement (`ResponseHeader.responseCode "200"`), the callback bodies (camelCase
// on success, PascalCase on failure) and the result codes. What is not: which TransactionType and
// Frequency tables Daraja really accepts (this simulator takes the 2026 portal's, "version B"), the wording
// of Ratiba's 400 answers other than the BusinessShortCode one, and what Daraja expects in reply to the
// callback. Nothing here confirms those.

const PATH = '/standingorder/v1/createStandingOrderExternal';
const OPERATION = 'ratiba.createStandingOrder';

/**
 * The `TransactionType` strings of the 2026 portal (version B), both spellings its captures give: the
 * 2026-09/10 transcription (`…Ext-Third Party`) and the 2026-08-15 capture (`…External Third Party`).
 * The 2025 strings (`Standing Order Customer Pay Bill`, `…Pay Marchant`) are refused.
 */
const TRANSACTION_TYPES = [
  'Standing Order Pay Bill Ext-Third Party',
  'Standing Order Merchant Payment Ext-Third Party',
  'Standing Order Pay Bill External Third Party',
  'Standing Order Pay Merchant External Third Party',
];
/** Version B's `Frequency`: 1 One Off … 4 Bi-weekly, 5 Monthly … 9 Yearly. */
const FREQUENCIES = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * How a simulated standing-order prompt ends, by the last two digits of `PartyA` (as the STK rule):
 * `01` the customer cancels (1032), `02` cannot be reached (1037), `04` enters a wrong PIN (2001); any
 * other number creates the order (0). A second order with the same `StandingOrderName` for the same
 * `PartyA` ends in 1050 whatever the number.
 */
const OUTCOME_BY_SUFFIX: Readonly<Record<string, number>> = Object.freeze({
  '01': 1032,
  '02': 1037,
  '04': 2001,
});

/** A real `yyyymmdd` date, as a string. */
function isDay(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{8}$/.test(value)) return false;
  const [y, m, d] = [Number(value.slice(0, 4)), Number(value.slice(4, 6)), Number(value.slice(6, 8))];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** The fields in the order the simulator checks them (Daraja's order is not documented). */
function rules(shortcode: string): FieldRule[] {
  return [
    { field: 'StandingOrderName', check: checks.nonEmpty },
    { field: 'StartDate', check: isDay },
    { field: 'EndDate', check: isDay },
    { field: 'BusinessShortCode', check: checks.shortcode(shortcode) },
    { field: 'TransactionType', check: checks.oneOf(TRANSACTION_TYPES) },
    { field: 'ReceiverPartyIdentifierType', check: checks.oneOfText(['2', '4']) },
    { field: 'Amount', check: checks.wholeAmount(1, 250_000) },
    { field: 'PartyA', check: checks.msisdn },
    { field: 'CallBackURL', check: checks.url },
    { field: 'AccountReference', check: checks.length(1, 12) },
    { field: 'TransactionDesc', check: checks.length(1, 13) },
    { field: 'Frequency', check: checks.oneOfText(FREQUENCIES) },
    { field: 'CustomStoId', check: checks.length(1, 100), optional: true },
  ];
}

/** Ratiba's refusal: `{requestRefId, responseMessage, responseCode: 400, timestamp}`, HTTP 400. */
function refusal(message: string): RouteResponse {
  return {
    status: 400,
    body: {
      requestRefId: randomUUID(),
      responseMessage: message,
      responseCode: 400,
      timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}

/** The first refusal the body earns, if any. */
function check(body: JsonBody, shortcode: string): RouteResponse | undefined {
  for (const rule of rules(shortcode)) {
    const value = body[rule.field];
    if ((value === undefined || value === null) && rule.optional) continue;
    if (rule.check(value)) continue;
    // The BusinessShortCode wording is the sandbox's own (2026-10-08); the others are the simulator's.
    return refusal(
      rule.field === 'BusinessShortCode'
        ? "Value in field 'BusinessShortCode' can only be what was issued for this application"
        : `Value in field '${rule.field}' is invalid`,
    );
  }
  if (String(body['EndDate']) < String(body['StartDate']))
    return refusal("Value in field 'EndDate' must not be before 'StartDate'");
  return undefined;
}

/** A random id without a run of digits shaped like a phone number (the test suite's leak scan). */
function refId(): string {
  for (;;) {
    const id = randomUUID();
    if (!/(?:254|0)[17]\d{8}/.test(id)) return id;
  }
}

/** The callback of a created order: camelCase, version B's items. */
function successBody(b: JsonBody, requestRefId: string, scheduleId: string) {
  const item = (name: string, value: string) => ({ name, value });
  return {
    responseHeader: {
      responseRefID: refId(),
      requestRefID: requestRefId,
      responseCode: '0',
      responseDescription: 'Standing order created successfully',
    },
    responseBody: {
      responseData: [
        item('standingOrderName', String(b['StandingOrderName'])),
        item('amount', `${numberOf(b['Amount'])}.00`),
        item('issuePaymentReminderUntil', String(b['EndDate'])),
        item('reminderScheduleId', scheduleId),
        item('firstPaymentReminderDate', String(b['StartDate'])),
        item('status', 'ACTIVE'),
        item('TransactionID', scheduleId),
        item('ResponseCode', '0'),
        item('Status', 'OKAY'),
        item('Msisdn', `*********${String(textOf(b['PartyA'])).slice(-3)}`),
      ],
    },
  };
}

/** The callback of a failure: PascalCase, the portal's failure sample. */
function failureBody(b: JsonBody, requestRefId: string, code: number) {
  const item = (Name: string, Value: string) => ({ Name, Value });
  return {
    ResponseHeader: {
      responseRefID: refId(),
      requestRefID: requestRefId,
      responseCode: String(code),
      responseDescription: 'Error',
    },
    ResponseBody: {
      ResponseData: [
        item('TransactionID', '0000000000'),
        item('responseCode', String(code)),
        item('Status', 'ERROR'),
        item('Msisdn', `*********${String(textOf(b['PartyA'])).slice(-3)}`),
      ],
    },
  };
}

/** What the simulator needs for Ratiba: the engine's timing and callbacks, the tokens and the shortcode. */
export interface RatibaSimulationConfig extends EngineConfig {
  tokens: TokenStore;
  /** The shortcode "issued to the app": the only `BusinessShortCode` accepted. */
  shortcode: string;
}

/**
 * @internal
 * `POST /standingorder/v1/createStandingOrderExternal`: checks the fields, answers Daraja's
 * acknowledgement, then POSTs the result to `CallBackURL` `callbackDelayMs` later (outcome by
 * `OUTCOME_BY_SUFFIX`). Created orders are remembered by `PartyA` and name until `reset()`.
 */
export class RatibaSimulation {
  readonly #config: RatibaSimulationConfig;
  /** `PartyA|StandingOrderName` of every order created. */
  readonly #orders = new Set<string>();

  constructor(config: RatibaSimulationConfig) {
    this.#config = config;
  }

  routes(): SimulatorRoute[] {
    return [post(PATH, OPERATION, (request) => this.#create(request.json, request.isJson, request.headers))];
  }

  reset(): void {
    this.#orders.clear();
  }

  #create(json: unknown, isJson: boolean, headers: Parameters<TokenStore['check']>[0]): RouteResponse {
    const denied = this.#config.tokens.check(headers);
    if (denied) return denied;
    if (!isJson || typeof json !== 'object' || json === null || Array.isArray(json))
      return refusal('Invalid request payload');
    const b = json as JsonBody;
    const refused = check(b, this.#config.shortcode);
    if (refused) return refused;
    const key = `${digitsOf(b['PartyA'])}|${String(b['StandingOrderName']).trim()}`;
    const suffix = digitsOf(b['PartyA']).slice(-2);
    const code = this.#orders.has(key) ? 1050 : (OUTCOME_BY_SUFFIX[suffix] ?? 0);
    if (code === 0) this.#orders.add(key);
    const requestRefId = textOf(b['CustomStoId']) ?? refId();
    const scheduleId = String(randomInt(1_000_000, 9_999_999));
    this.#config.callbacks.schedule(
      {
        operation: `${OPERATION}.result`,
        transactionId: requestRefId,
        url: String(b['CallBackURL']),
        body: code === 0 ? successBody(b, requestRefId, scheduleId) : failureBody(b, requestRefId, code),
      },
      this.#config.callbackDelayMs,
    );
    this.#config.log.info('sim: ratiba standing order accepted', { requestRefId, resultCode: code });
    return {
      status: 200,
      body: {
        ResponseHeader: {
          responseRefID: refId(),
          responseCode: '200',
          responseDescription: 'Request accepted for processing',
          ResultDesc: 'The service request is processed successfully.',
        },
        ResponseBody: { responseDescription: 'Request accepted for processing', responseCode: '200' },
      },
    };
  }
}

const digitsOf = (value: unknown) => String(textOf(value) ?? '');
