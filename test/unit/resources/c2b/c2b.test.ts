import { delay } from 'msw';
import { describe, expect, it } from 'vitest';
import { DarajaApiError, DarajaProductNotEnabledError } from '../../../../src/core/errors.js';
import {
  DarajaConfigError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
} from '../../../../src/index.js';
import { makeClient, rejection } from '../../../helpers/client.js';
import { fakeDaraja, routeOn, useMsw } from '../../../helpers/fake-daraja.js';

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);

const route = routeOn(server);

const REGISTERED = {
  OriginatorCoversationID: '7619-37765134-1',
  ResponseCode: '0',
  ResponseDescription: 'success',
};
const urls = {
  confirmationUrl: 'https://shop.example.com/c2b/confirmation',
  validationUrl: 'https://shop.example.com/c2b/validation',
};

describe('c2b.registerUrls', () => {
  it('reproduces the documented sample field for field and reads the misspelt OriginatorCoversationID', async () => {
    const e = route('/mpesa/c2b/v1/registerurl', { json: REGISTERED });
    const response = await makeClient().c2b.registerUrls({
      ...urls,
      shortcode: '601426',
      responseType: 'Completed',
    });
    expect(e.bodies).toEqual([
      {
        ShortCode: '601426',
        ResponseType: 'Completed',
        ConfirmationURL: 'https://shop.example.com/c2b/confirmation',
        ValidationURL: 'https://shop.example.com/c2b/validation',
      },
    ]);
    expect(response).toEqual({
      originatorConversationId: '7619-37765134-1',
      responseCode: '0',
      responseDescription: 'success',
    });
  });

  it('defaults to the client shortcode and Completed, and can use v2 and Cancelled', async () => {
    const e = route('/mpesa/c2b/v2/registerurl', { json: { ...REGISTERED, ResponseCode: 0 } });
    await makeClient().c2b.registerUrls({ ...urls, version: 'v2', responseType: 'Cancelled' });
    expect(e.bodies[0]).toMatchObject({ ShortCode: '174379', ResponseType: 'Cancelled' });
    const v1 = route('/mpesa/c2b/v1/registerurl', { json: REGISTERED });
    await makeClient().c2b.registerUrls(urls);
    expect(v1.bodies[0]).toMatchObject({ ResponseType: 'Completed' });
  });

  it.each([
    [
      'a URL containing "mpesa"',
      { confirmationUrl: 'https://shop.example.com/mpesa/confirm' },
      'confirmationUrl',
      /"mpesa"/,
    ],
    [
      'a URL containing "query"',
      { validationUrl: 'https://shop.example.com/c2b?query=1' },
      'validationUrl',
      /"query"/,
    ],
    ['a URL with a space', { validationUrl: 'https://shop.example.com/c 2b' }, 'validationUrl', /whitespace/],
    ['"Canceled"', { responseType: 'Canceled' }, 'responseType', /"Cancelled"/],
    ['a bad version', { version: 'v3' }, 'version', /"v1", "v2"/],
  ])('rejects %s before sending', async (_n, override, field, message) => {
    const e = route('/mpesa/c2b/v1/registerurl', { json: REGISTERED });
    const error = await rejection(makeClient().c2b.registerUrls({ ...urls, ...override } as never));
    expect(error).toBeInstanceOf(DarajaValidationError);
    expect(error).toMatchObject({ field });
    expect(error.message).toMatch(message);
    expect(e.bodies).toHaveLength(0);
  });

  it('explains "Urls are already registered"', async () => {
    route('/mpesa/c2b/v1/registerurl', {
      status: 500,
      json: { requestId: 'r', errorCode: '500.003.1001', errorMessage: 'Urls are already registered' },
    });
    const error = await rejection(makeClient({ maxRetries: 0 }).c2b.registerUrls(urls));
    expect(error).toMatchObject({ name: 'DarajaApiError', errorCode: '500.003.1001' });
    expect(error.message).toMatch(/one-time[\s\S]*delete them on the Daraja portal/);
  });

  it('is not resent after a timeout (production registration is one-time)', async () => {
    const e = route('/mpesa/c2b/v1/registerurl', { hang: 1_000 });
    const error = await rejection(makeClient({ timeoutMs: 80, maxRetries: 5 }).c2b.registerUrls(urls));
    await delay(50);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error.message).toMatch(/already registered" means the first call worked/);
    expect(e.bodies).toHaveLength(1);
  });

  it('needs a shortcode', async () => {
    const error = await rejection(makeClient({ shortcode: undefined }).c2b.registerUrls(urls));
    expect(error).toBeInstanceOf(DarajaConfigError);
    expect(error.message).toMatch(/MPESA_SHORTCODE/);
  });
});

// Answers real Daraja was seen to send in older shapes, still possible.
describe('c2b answers without a ResponseCode and gateway faults', () => {
  const oauthBefore = () => mock.state.oauthCalls;

  it('reads the register success with no ResponseCode as a success, not an unknown outcome', async () => {
    const e = route('/mpesa/c2b/v1/registerurl', {
      json: { ConversationID: '', OriginatorCoversationID: '', ResponseDescription: 'success' },
    });
    const response = await makeClient({ maxRetries: 5 }).c2b.registerUrls(urls);
    expect(response).toEqual({
      originatorConversationId: '',
      responseCode: '0',
      responseDescription: 'success',
    });
    expect(e.bodies).toHaveLength(1);
  });

  it('reports "Validation and Confirmation URLs are already registered" (HTTP 200, no ResponseCode) like 500.003.1001', async () => {
    const e = route('/mpesa/c2b/v1/registerurl', {
      json: {
        ConversationID: '',
        OriginatorCoversationID: '',
        ResponseDescription: 'Validation and Confirmation URLs are already registered',
      },
    });
    const before = oauthBefore();
    const error = await rejection(makeClient({ maxRetries: 5 }).c2b.registerUrls(urls));
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error).not.toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error).toMatchObject({
      name: 'DarajaApiError',
      operation: 'c2b.registerUrls',
      status: 200,
      errorCode: undefined,
      errorMessage: 'Validation and Confirmation URLs are already registered',
    });
    expect(error.message).toMatch(
      /URLs are already registered[\s\S]*an earlier call may have worked[\s\S]*one-time[\s\S]*delete them on the Daraja portal/,
    );
    expect(e.bodies).toHaveLength(1);
    expect(mock.state.oauthCalls - before).toBeLessThanOrEqual(1);
  });

  it('reads the simulate acceptance with no ResponseCode as a success', async () => {
    const e = route('/mpesa/c2b/v1/simulate', {
      json: { ResponseDescription: 'Accept the service request successfully.' },
    });
    const response = await makeClient({ maxRetries: 5 }).c2b.simulate({
      amount: 5,
      phoneNumber: '0708374149',
      billRefNumber: 'INV-7',
    });
    expect(response).toEqual({
      originatorConversationId: '',
      responseCode: '0',
      responseDescription: 'Accept the service request successfully.',
    });
    expect(e.bodies).toHaveLength(1);
  });

  it('still treats an unreadable answer without a ResponseCode as an unknown outcome, not resent', async () => {
    const e = route('/mpesa/c2b/v1/simulate', { json: { ResponseDescription: 'Queued somewhere' } });
    const error = await rejection(
      makeClient({ maxRetries: 5 }).c2b.simulate({
        amount: 5,
        phoneNumber: '0708374149',
        billRefNumber: 'X',
      }),
    );
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(e.bodies).toHaveLength(1);
  });

  const SOAP_FAULT = {
    Envelope: {
      Body: {
        Fault: {
          faultcode: 'soap:Server',
          faultstring:
            'Execution of ServiceCallout SCO-AddURLVault failed. Reason: ResponseCode 409 is treated as error',
          detail: { source: { errorcode: 'steps.servicecallout.ExecutionFailed' } },
        },
      },
    },
  };

  it('keeps the text of a JSON-ified SOAP fault on a 5xx (unknown outcome, one request)', async () => {
    const e = route('/mpesa/c2b/v1/registerurl', { status: 500, json: SOAP_FAULT });
    const error = await rejection(makeClient({ maxRetries: 5 }).c2b.registerUrls(urls));
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error.message).toContain(
      'steps.servicecallout.ExecutionFailed: Execution of ServiceCallout SCO-AddURLVault failed. Reason: ResponseCode 409 is treated as error',
    );
    const cause = error.cause as DarajaApiError;
    expect(cause).toBeInstanceOf(DarajaApiError);
    expect(cause).toMatchObject({
      status: 500,
      errorCode: 'steps.servicecallout.ExecutionFailed',
      errorMessage:
        'Execution of ServiceCallout SCO-AddURLVault failed. Reason: ResponseCode 409 is treated as error',
    });
    expect(cause.message).toMatch(/SCO-AddURLVault[\s\S]*only for M-Pesa Express/);
    expect(e.bodies).toHaveLength(1);
  });

  it('keeps the text of a JSON-ified SOAP fault on a 4xx (a DarajaApiError)', async () => {
    const e = route('/mpesa/c2b/v1/registerurl', { status: 400, json: SOAP_FAULT });
    const error = await rejection(makeClient({ maxRetries: 5 }).c2b.registerUrls(urls));
    expect(error).toMatchObject({
      name: 'DarajaApiError',
      status: 400,
      errorCode: 'steps.servicecallout.ExecutionFailed',
    });
    expect(error.message).toMatch(
      /Execution of ServiceCallout SCO-AddURLVault failed[\s\S]*C2B PayBill or till/,
    );
    expect(e.bodies).toHaveLength(1);
  });

  it('401.003.01 on C2B: product not enabled, with the C2B version hint; no refresh, no replay', async () => {
    const e = route('/mpesa/c2b/v2/registerurl', {
      status: 401,
      json: { requestId: 'r-9', errorCode: '401.003.01', errorMessage: 'no apiproduct match found' },
    });
    const client = makeClient({ maxRetries: 5 });
    await client.verifyCredentials();
    const before = oauthBefore();
    const error = await rejection(client.c2b.registerUrls({ ...urls, version: 'v2' }));
    expect(error).toBeInstanceOf(DarajaProductNotEnabledError);
    expect(error).toMatchObject({ product: 'Customer To Business', status: 401, errorCode: '401.003.01' });
    expect(error.message).toMatch(/not subscribed[\s\S]*"Customer To Business"[\s\S]*version: 'v1'/);
    expect(e.bodies).toHaveLength(1);
    expect(mock.state.oauthCalls - before).toBe(0);
  });
});

describe('c2b.simulate', () => {
  it('reproduces the documented sample with numbers where Daraja shows numbers', async () => {
    const e = route('/mpesa/c2b/v1/simulate', {
      json: {
        OriginatorCoversationID: '53e3-4aa8-9fe0-8fb5e4092cdd3405976',
        ResponseCode: '0',
        ResponseDescription: 'Accept the service request successfully.',
      },
    });
    const response = await makeClient().c2b.simulate({
      shortcode: 600984,
      commandId: 'CustomerPayBillOnline',
      amount: 1,
      phoneNumber: '254708374149',
      billRefNumber: 'INV-7',
    });
    expect(e.bodies).toEqual([
      {
        ShortCode: 600984,
        CommandID: 'CustomerPayBillOnline',
        Amount: 1,
        Msisdn: 254708374149,
        BillRefNumber: 'INV-7',
      },
    ]);
    expect(response.originatorConversationId).toBe('53e3-4aa8-9fe0-8fb5e4092cdd3405976');
  });

  it('sends a null BillRefNumber for Buy Goods, as documented, and requires one for PayBill', async () => {
    const e = route('/mpesa/c2b/v2/simulate', { json: REGISTERED });
    await makeClient().c2b.simulate({
      shortcode: '600984',
      commandId: 'CustomerBuyGoodsOnline',
      amount: 5,
      phoneNumber: '0708 374 149',
      version: 'v2',
    });
    expect(e.bodies[0]).toEqual({
      ShortCode: 600984,
      CommandID: 'CustomerBuyGoodsOnline',
      Amount: 5,
      Msisdn: 254708374149,
      BillRefNumber: null,
    });
    const error = await rejection(makeClient().c2b.simulate({ amount: 5, phoneNumber: '0708374149' }));
    expect(error).toMatchObject({ name: 'DarajaValidationError', field: 'billRefNumber' });
  });

  it('is refused in production before anything is sent', async () => {
    const e = route('/mpesa/c2b/v1/simulate', { json: REGISTERED });
    const error = await rejection(
      makeClient({ environment: 'production', baseUrl: 'https://sandbox.safaricom.co.ke' }).c2b.simulate({
        amount: 5,
        phoneNumber: '0708374149',
        billRefNumber: 'X',
      }),
    );
    expect(error).toBeInstanceOf(DarajaConfigError);
    expect(error.message).toMatch(/sandbox-only/);
    expect(e.bodies).toHaveLength(0);
  });
});

describe('pull.register and pull.query', () => {
  it('reproduces the documented register sample and reads its answer', async () => {
    const e = route('/pulltransactions/v1/register', {
      json: {
        ResponseRefID: 'feb5e3f2-fbc-4745-844c-ee37b546f627',
        ResponseStatus: '1000',
        ShortCode: '600000',
        ResponseDescription: 'Shortcode Registered Successfully',
      },
    });
    const response = await makeClient().pull.register({
      shortcode: '600000',
      nominatedNumber: '0722000000',
      callbackUrl: 'https://domain/path',
    });
    expect(e.bodies).toEqual([
      {
        ShortCode: '600000',
        RequestType: 'Pull',
        NominatedNumber: '0722000000',
        CallBackURL: 'https://domain/path',
      },
    ]);
    expect(response).toEqual({
      responseRefId: 'feb5e3f2-fbc-4745-844c-ee37b546f627',
      responseStatus: '1000',
      alreadyRegistered: false,
      responseDescription: 'Shortcode Registered Successfully',
    });
  });

  it('treats 1001 as already registered, so a retried registration is safe; other codes fail', async () => {
    route(
      '/pulltransactions/v1/register',
      { hang: 1_000 },
      { json: { ResponseStatus: '1001', ResponseDescription: 'Shortcode already registered' } },
    );
    const response = await makeClient({ timeoutMs: 80 }).pull.register({
      nominatedNumber: '+254722000000',
      callbackUrl: 'https://shop.example.com/pull',
    });
    expect(response.alreadyRegistered).toBe(true);
    route('/pulltransactions/v1/register', {
      json: { ResponseStatus: '1002', ResponseDescription: 'Invalid shortcode' },
    });
    const error = await rejection(
      makeClient().pull.register({
        nominatedNumber: '0722000000',
        callbackUrl: 'https://shop.example.com/pull',
      }),
    );
    expect(error).toMatchObject({
      name: 'DarajaApiError',
      errorCode: '1002',
      errorMessage: 'Invalid shortcode',
    });
  });

  it('reproduces the documented query sample (the "10:10:000" typo fixed) and parses rows', async () => {
    const e = route('/pulltransactions/v1/query', {
      json: {
        ResponseRefID: '26178-42530161-2',
        ResponseCode: '1000',
        ResponseMessage: 'Success',
        Response: [
          [
            {
              transactionId: 'OHR7RAF8AA',
              trxDate: '2020-08-05T10:13:00Z',
              msisdn: 722000000,
              sender: 'UAT2',
              transactiontype: 'c2b-pay-bill-debit',
              billreference: 'INV-7',
              amount: '30.0',
              organizationname: 'Daraja Pay',
            },
          ],
        ],
      },
    });
    const result = await makeClient().pull.query({
      shortcode: '600000',
      startDate: '2020-08-04 8:36:00',
      endDate: '2020-08-16 10:10:00',
      offset: 0,
    });
    expect(e.bodies).toEqual([
      {
        ShortCode: '600000',
        StartDate: '2020-08-04 8:36:00',
        EndDate: '2020-08-16 10:10:00',
        OffSetValue: '0',
      },
    ]);
    expect(result.responseCode).toBe('1000');
    expect(result.transactions).toEqual([
      {
        transactionId: 'OHR7RAF8AA',
        date: new Date('2020-08-05T10:13:00Z'),
        msisdn: '722000000',
        transactionType: 'c2b-pay-bill-debit',
        billReference: 'INV-7',
        amount: 30,
        organizationName: 'Daraja Pay',
        raw: expect.objectContaining({ transactionId: 'OHR7RAF8AA' }),
      },
    ]);
  });

  it('formats Date bounds in Nairobi time, treats 1001 as no transactions, and validates', async () => {
    const e = route('/pulltransactions/v1/query', {
      json: { ResponseCode: '1001', ResponseMessage: 'No transactions' },
    });
    const result = await makeClient().pull.query({
      startDate: new Date('2020-08-04T05:36:00Z'),
      endDate: new Date('2020-08-16T07:10:00Z'),
      offset: 100,
    });
    expect(e.bodies[0]).toEqual({
      ShortCode: '174379',
      StartDate: '2020-08-04 08:36:00',
      EndDate: '2020-08-16 10:10:00',
      OffSetValue: '100',
    });
    expect(result.transactions).toEqual([]);
    for (const [override, field] of [
      [{ startDate: '04/08/2020' }, 'startDate'],
      [{ endDate: new Date('x') }, 'endDate'],
      [{ offset: -1 }, 'offset'],
    ] as const) {
      const error = await rejection(
        makeClient().pull.query({
          startDate: '2020-08-04 08:36:00',
          endDate: '2020-08-16 10:10:00',
          ...override,
        }),
      );
      expect(error).toMatchObject({ name: 'DarajaValidationError', field });
    }
    expect(e.bodies).toHaveLength(1);
  });
});
