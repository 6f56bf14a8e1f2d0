import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DarajaApiError,
  DarajaDuplicateError,
  DarajaProductNotEnabledError,
  isDarajaDuplicateError,
} from '../../../../src/core/errors.js';
import { readErrorEnvelope, toApiError } from '../../../../src/core/http/api-errors.js';
import { type AttemptFailure, type RetryPolicy, shouldRetry } from '../../../../src/core/http/retry.js';
import { ApiResource } from '../../../../src/core/resource.js';
import { APP_KEY, SANDBOX } from '../../../fixtures/constants.js';
import { NO_API_PRODUCT } from '../../../fixtures/daraja-errors.js';
import { makeClient, makeInitiatorClient, rejection } from '../../../helpers/client.js';
import { ACCEPTED, type Answer, fakeDaraja, routeOn, useMsw } from '../../../helpers/fake-daraja.js';

// What real Daraja was observed to send, read the way the traffic means it.

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
afterEach(() => {
  mock.state.oauthCalls = 0;
});

const route = routeOn(server);

const B2C = '/mpesa/b2c/v3/paymentrequest';
const answer500 = (errorMessage: string): Answer => ({
  status: 500,
  json: { requestId: 'r-5002', errorCode: '500.002.1001', errorMessage },
});
const DUPLICATE = answer500('Duplicate OriginatorConversationID.');
const INTERNAL = answer500('System internal error.');
const MAINTENANCE = answer500('Service is currently under maintenance. Please try again later');
const pay = (key: string) => ({ phoneNumber: '0712345678', amount: 100, originatorConversationId: key });

describe('500.002.1001 is a duplicate only when the message says so', () => {
  it.each([
    ['System internal error.', INTERNAL],
    ['maintenance', MAINTENANCE],
  ])(
    '%s, with retries off: a plain DarajaApiError saying it was not accepted and a same-id retry is safe',
    async (_n, answer) => {
      const e = route(B2C, answer);
      const error = await rejection(makeInitiatorClient({ maxRetries: 0 }).b2c.pay(pay('k-1')));
      expect(error).toBeInstanceOf(DarajaApiError);
      expect(error).not.toBeInstanceOf(DarajaDuplicateError);
      expect(isDarajaDuplicateError(error)).toBe(false);
      expect(error).toMatchObject({
        name: 'DarajaApiError',
        operation: 'b2c.pay',
        status: 500,
        errorCode: '500.002.1001',
        requestId: 'r-5002',
      });
      expect(error.message).toMatch(
        /Daraja did not accept the request[\s\S]*not a duplicate[\s\S]*safe to retry later with the same originatorConversationId "k-1"/,
      );
      expect(error.message).not.toMatch(/was accepted/);
      expect(e.bodies).toHaveLength(1);
      expect(mock.state.oauthCalls).toBe(1);
    },
  );

  it('"Duplicate OriginatorConversationID." is still a DarajaDuplicateError, not retried', async () => {
    const e = route(B2C, DUPLICATE);
    const error = await rejection(makeInitiatorClient({ maxRetries: 3 }).b2c.pay(pay('k-2')));
    expect(error).toBeInstanceOf(DarajaDuplicateError);
    expect(error).toMatchObject({ idempotencyKey: 'k-2', errorCode: '500.002.1001' });
    expect(e.bodies).toHaveLength(1);
  });

  it('B2C retries an internal error with the same OriginatorConversationID, and succeeds', async () => {
    const e = route(B2C, INTERNAL, { json: ACCEPTED });
    const response = await makeInitiatorClient({ maxRetries: 2 }).b2c.pay(pay('k-3'));
    expect(response.responseCode).toBe('0');
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-3', 'k-3']);
    expect(e.bodies[1]).toEqual(e.bodies[0]);
    expect(mock.state.oauthCalls).toBe(1);
  });

  it('an internal error then "Duplicate": the first attempt went through after all, reported as a duplicate', async () => {
    const e = route(B2C, INTERNAL, DUPLICATE);
    const error = await rejection(makeInitiatorClient({ maxRetries: 2 }).b2c.pay(pay('k-4')));
    expect(error).toBeInstanceOf(DarajaDuplicateError);
    expect(error.message).toMatch(/"k-4"[\s\S]*was accepted/);
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-4', 'k-4']);
  });

  it('maintenance that outlasts the retries: 1 + maxRetries calls with one id, then the retry-later error', async () => {
    const e = route(B2C, MAINTENANCE);
    const error = await rejection(makeInitiatorClient({ maxRetries: 2 }).b2c.pay(pay('k-5')));
    expect(error).toMatchObject({ name: 'DarajaApiError', errorCode: '500.002.1001' });
    expect(error.message).toMatch(
      /under maintenance[\s\S]*retry later with the same originatorConversationId "k-5"/,
    );
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-5', 'k-5', 'k-5']);
    expect(mock.state.oauthCalls).toBe(1);
  });

  it('an unrecognised 500.002.1001 message: not a duplicate, not resent', async () => {
    const e = route(B2C, answer500('Something unexpected'));
    const error = await rejection(makeInitiatorClient({ maxRetries: 2 }).b2c.pay(pay('k-6')));
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error).not.toBeInstanceOf(DarajaDuplicateError);
    expect(error.message).toMatch(
      /did not say this is a duplicate[\s\S]*same originatorConversationId "k-6"[\s\S]*Duplicate OriginatorConversationID/,
    );
    expect(e.bodies).toHaveLength(1);
  });

  it('B2B (no idempotency key) is never resent after an internal error', async () => {
    const e = route('/mpesa/b2b/v1/paymentrequest', INTERNAL);
    const error = await rejection(
      makeInitiatorClient({ maxRetries: 3 }).b2b.payBill({
        payBillNumber: '000000',
        accountReference: '353353',
        amount: 239,
      }),
    );
    expect(error).toMatchObject({ name: 'DarajaApiError', errorCode: '500.002.1001' });
    expect(error.message).toMatch(/did not accept the request[\s\S]*Try again later\./);
    expect(e.bodies).toHaveLength(1);
  });

  it('account balance (safe to repeat) is retried after an internal error', async () => {
    const e = route('/mpesa/accountbalance/v1/query', INTERNAL, { json: ACCEPTED });
    const response = await makeInitiatorClient({ maxRetries: 2 }).account.balance();
    expect(response.responseCode).toBe('0');
    expect(e.bodies).toHaveLength(2);
  });

  describe('the retry ladder', () => {
    const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 };
    const failure = (errorMessage?: string): AttemptFailure => ({
      kind: 'http',
      status: 500,
      errorCode: '500.002.1001',
      errorMessage,
    });
    it.each([
      // message, idempotent money-moving (B2C), money-moving without a key (B2B), not money-moving (balance)
      ['Duplicate OriginatorConversationID.', false, false, false],
      ['System internal error.', true, false, true],
      ['Service is currently under maintenance. Please try again later', true, false, true],
      ['Something unexpected', false, false, false],
      [undefined, false, false, false],
    ])('%j → B2C %s, B2B %s, balance %s', (message, b2c, b2b, balance) => {
      expect(shouldRetry(failure(message), 0, policy, true, true)).toBe(b2c);
      expect(shouldRetry(failure(message), 0, policy, true, false)).toBe(b2b);
      expect(shouldRetry(failure(message), 0, policy, false)).toBe(balance);
      expect(shouldRetry(failure(message), 3, policy, true, true)).toBe(false);
    });
  });
});

describe('a JSON-ified SOAP fault keeps its text', () => {
  const fault = {
    faultcode: 'soap:Server',
    faultstring:
      'Execution of ServiceCallout SCO-AddURLVault failed. Reason: ResponseCode 409 is treated as error',
    detail: { source: { errorcode: 'steps.servicecallout.ExecutionFailed' } },
  };

  it('readErrorEnvelope reads Envelope.Body.Fault (with or without a namespace prefix)', () => {
    const expected = {
      requestId: undefined,
      errorCode: 'steps.servicecallout.ExecutionFailed',
      errorMessage: fault.faultstring,
    };
    expect(readErrorEnvelope({ Envelope: { Body: { Fault: fault } } })).toEqual(expected);
    expect(readErrorEnvelope({ 'soap:Envelope': { 'soap:Body': { 'soap:Fault': fault } } })).toEqual(
      expected,
    );
    expect(
      readErrorEnvelope({ Envelope: { Body: { Fault: { faultcode: 'soap:Server', faultstring: 'x' } } } }),
    ).toEqual({ requestId: undefined, errorCode: 'soap:Server', errorMessage: 'x' });
  });

  it('an error built from it carries the fault string in its message', () => {
    const error = toApiError({ operation: 'c2b.registerUrls' }, 500, {
      Envelope: { Body: { Fault: fault } },
    });
    expect(error.message).toContain(
      'HTTP 500 steps.servicecallout.ExecutionFailed: Execution of ServiceCallout SCO-AddURLVault failed',
    );
  });
});

describe('401.003.01 "no apiproduct match found" names the product each operation needs', () => {
  type Client = ReturnType<typeof makeInitiatorClient>;
  const checkout = 'ws_CO_191220191020363925';
  const billInvoice = {
    externalReference: 'INV-1',
    billedFullName: 'John Doe',
    billedPhoneNumber: '0710123456',
    billedPeriod: 'August 2021',
    invoiceName: 'Jentrys',
    dueDate: '2021-10-12',
    accountReference: '1ASD678H',
    amount: 800,
  };
  // Every operation of the client: its path, the product as the Daraja portal names it, and a valid call.
  const operations: Array<[string, string, string, (d: Client) => Promise<unknown>]> = [
    [
      'stk.push',
      '/mpesa/stkpush/v1/processrequest',
      'M-Pesa Express',
      (d) => d.stk.push({ phoneNumber: '0712345678', amount: 1, accountReference: 'A-1' }),
    ],
    [
      'stk.query',
      '/mpesa/stkpushquery/v1/query',
      'M-Pesa Express',
      (d) => d.stk.query({ checkoutRequestId: checkout }),
    ],
    [
      'c2b.registerUrls',
      '/mpesa/c2b/v1/registerurl',
      'Customer To Business',
      (d) =>
        d.c2b.registerUrls({
          confirmationUrl: 'https://shop.example.com/c',
          validationUrl: 'https://shop.example.com/v',
        }),
    ],
    [
      'c2b.simulate',
      '/mpesa/c2b/v1/simulate',
      'Customer To Business',
      (d) => d.c2b.simulate({ phoneNumber: '0708374149', amount: 5, billRefNumber: 'INV-7' }),
    ],
    [
      'pull.register',
      '/pulltransactions/v1/register',
      'Pull Transactions',
      (d) =>
        d.pull.register({
          shortcode: '600000',
          nominatedNumber: '0722000000',
          callbackUrl: 'https://domain/path',
        }),
    ],
    [
      'pull.query',
      '/pulltransactions/v1/query',
      'Pull Transactions',
      (d) =>
        d.pull.query({
          shortcode: '600000',
          startDate: '2020-08-04 8:36:00',
          endDate: '2020-08-16 10:10:00',
        }),
    ],
    [
      'qr.generate',
      '/mpesa/qrcode/v1/generate',
      'Dynamic QR',
      (d) =>
        d.qr.generate({
          merchantName: 'SHOP',
          refNo: 'INV-1',
          amount: 1,
          trxCode: 'BG',
          creditPartyIdentifier: '373132',
        }),
    ],
    [
      'b2bExpress.push',
      '/v1/ussdpush/get-msisdn',
      'B2B Express Checkout',
      (d) =>
        d.b2bExpress.push({
          primaryShortCode: '000001',
          receiverShortCode: '000002',
          amount: 100,
          paymentRef: 'INV-1',
          callbackUrl: 'https://shop.example.com/b2b-express',
          partnerName: 'Vendor',
        }),
    ],
    ['b2c.pay', B2C, 'Business To Customer', (d) => d.b2c.pay(pay('p-1'))],
    [
      'b2c.payToPochi',
      '/mpesa/b2pochi/v1/paymentrequest',
      'Business To Pochi',
      (d) => d.b2c.payToPochi(pay('p-2')),
    ],
    [
      'b2b.payBill',
      '/mpesa/b2b/v1/paymentrequest',
      'Business To Business',
      (d) => d.b2b.payBill({ payBillNumber: '888880', accountReference: 'INV-1', amount: 10 }),
    ],
    [
      'b2b.buyGoods',
      '/mpesa/b2b/v1/paymentrequest',
      'Business To Business',
      (d) => d.b2b.buyGoods({ tillNumber: '5201234', amount: 10 }),
    ],
    [
      'b2b.topUp',
      '/mpesa/b2b/v1/paymentrequest',
      'B2C Account Top Up',
      (d) => d.b2b.topUp({ b2cShortcode: '600000', amount: 10 }),
    ],
    [
      'tax.remit',
      '/mpesa/b2b/v1/remittax',
      'Tax Remittance',
      (d) => d.tax.remit({ amount: 239, paymentRegistrationNumber: '353353' }),
    ],
    [
      'transactions.status',
      '/mpesa/transactionstatus/v1/query',
      'Transaction Status',
      (d) => d.transactions.status({ transactionId: 'NEF61H8J60' }),
    ],
    ['account.balance', '/mpesa/accountbalance/v1/query', 'Account Balance', (d) => d.account.balance()],
    [
      'reversal.reverse',
      '/mpesa/reversal/v1/request',
      'Reversals',
      (d) => d.reversal.reverse({ transactionId: 'PDU91HIVIT', amount: 200 }),
    ],
    [
      'ratiba.createStandingOrder',
      '/standingorder/v1/createStandingOrderExternal',
      'M-Pesa Ratiba',
      (d) =>
        d.ratiba.createStandingOrder({
          standingOrderName: 'Gym',
          startDate: '20270101',
          endDate: '20271231',
          businessShortCode: '174379',
          transactionType: 'payBill',
          amount: 10,
          phoneNumber: '0708374149',
          callbackUrl: 'https://shop.example.com/ratiba',
          accountReference: 'MEMBER-1',
          transactionDesc: 'Gym',
          frequency: 'monthly',
        }),
    ],
    [
      'billManager.optIn',
      '/v1/billmanager-invoice/optin',
      'Bill Manager',
      (d) =>
        d.billManager.optIn({
          email: 'billing@example.com',
          officialContact: '0710123456',
          sendReminders: true,
          callbackUrl: 'https://shop.example.com/bill-manager',
        }),
    ],
    [
      'billManager.updateOptIn',
      '/v1/billmanager-invoice/change-optin-details',
      'Bill Manager',
      (d) =>
        d.billManager.updateOptIn({
          email: 'billing@example.com',
          officialContact: '0710123456',
          sendReminders: false,
        }),
    ],
    [
      'billManager.sendInvoice',
      '/v1/billmanager-invoice/single-invoicing',
      'Bill Manager',
      (d) => d.billManager.sendInvoice(billInvoice),
    ],
    [
      'billManager.sendInvoices',
      '/v1/billmanager-invoice/bulk-invoicing',
      'Bill Manager',
      (d) => d.billManager.sendInvoices([billInvoice]),
    ],
    [
      'billManager.cancelInvoice',
      '/v1/billmanager-invoice/cancel-single-invoice',
      'Bill Manager',
      (d) => d.billManager.cancelInvoice({ externalReference: 'INV-1' }),
    ],
    [
      'billManager.cancelInvoices',
      '/v1/billmanager-invoice/cancel-bulk-invoices',
      'Bill Manager',
      (d) => d.billManager.cancelInvoices(['INV-1']),
    ],
    [
      'billManager.acknowledgePayment',
      '/v1/billmanager-invoice/reconciliation',
      'Bill Manager',
      (d) =>
        d.billManager.acknowledgePayment({
          paymentDate: '2021-10-01',
          paidAmount: 800,
          accountReference: 'Balboa95',
          transactionId: 'PJB53MYR1N',
          phoneNumber: '0710123456',
          fullName: 'John Doe',
          invoiceName: 'School Fees',
          externalReference: '955',
        }),
    ],
  ];

  it.each(operations)(
    '%s at %s: one call, no OAuth refresh, product %j',
    async (operation, path, product, call) => {
      const e = route(path, { status: 401, json: NO_API_PRODUCT });
      const error = await rejection(
        call(makeInitiatorClient({ maxRetries: 3, billManager: { appKey: APP_KEY } })),
      );
      expect(error).toBeInstanceOf(DarajaProductNotEnabledError);
      expect(error).toMatchObject({ product, operation });
      expect(error.message).toContain(`not subscribed to the Daraja API product "${product}"`);
      expect(e.bodies).toHaveLength(1);
      expect(mock.state.oauthCalls).toBe(1); // the first token only: no refresh
    },
  );

  it('covers every method of the client', () => {
    const d = makeInitiatorClient();
    // An async generator (pull.list) pages over an operation listed here (pull.query): not one itself.
    const AsyncGeneratorFunction = async function* () {}.constructor;
    const methods = Object.entries(d).flatMap(([name, resource]) => {
      if (!(resource instanceof ApiResource)) return [];
      const prototype = Object.getPrototypeOf(resource) as Record<string, unknown>;
      return Object.getOwnPropertyNames(prototype)
        .filter((m) => m !== 'constructor' && !(prototype[m] instanceof AsyncGeneratorFunction))
        .map((m) => `${name}.${m}`);
    });
    expect(methods.sort()).toEqual(operations.map(([operation]) => operation).sort());
  });

  it('an OAuth answer with that code stays an authentication error', async () => {
    server.use(
      http.get(`${SANDBOX}/oauth/v1/generate`, () => HttpResponse.json(NO_API_PRODUCT, { status: 401 })),
    );
    const error = await rejection(makeClient({ maxRetries: 0 }).verifyCredentials());
    expect(error).toMatchObject({ name: 'DarajaAuthError', operation: 'oauth' });
  });
});
