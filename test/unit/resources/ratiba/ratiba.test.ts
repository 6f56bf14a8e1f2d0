import { describe, expect, it } from 'vitest';
import {
  DarajaApiError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
  type RatibaStandingOrderParams,
} from '../../../../src/index.js';
import { makeClient, rejection } from '../../../helpers/client.js';
import { fakeDaraja, routeOn, useMsw } from '../../../helpers/fake-daraja.js';
import { captured } from '../../../helpers/logger.js';

const PATH = '/standingorder/v1/createStandingOrderExternal';
const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const route = routeOn(server);

// Daraja's acknowledgement as the portal documents it, with its values quoted (as STARNERZ shows them)
// and the missing comma between the two objects added.
const ACK = {
  ResponseHeader: {
    responseRefID: '4dd9b5d9-d738-42ba-9326-2cc99e966000',
    responseCode: '200',
    responseDescription: 'Request accepted for processing',
    ResultDesc: 'The service request is processed successfully.',
  },
  ResponseBody: { responseDescription: 'Request accepted for processing', responseCode: '200' },
};

// The refusal seen in the live sandbox on 2026-10-08 (newtonmunene99/mpesa-api's sandbox fixture):
// HTTP 400, responseCode a number.
const SANDBOX_REFUSAL = {
  requestRefId: '8f38-49f8-9be4-b87d691148b41784539',
  responseMessage: "Value in field 'BusinessShortCode' can only be what was issued for this application",
  responseCode: 400,
  timestamp: '2026-10-08T06:55:50Z',
};

// The version-B request sample (starnerz/laravel-daraja's capture of 2026-08-15), key name corrected
// as it prints it.
const DOC_SAMPLE = {
  StandingOrderName: 'erick',
  ReceiverPartyIdentifierType: '2',
  TransactionType: 'Standing Order Pay Bill External Third Party',
  BusinessShortCode: '300584',
  PartyA: '254708374149',
  Amount: '10',
  StartDate: '20241221',
  EndDate: '20241222',
  Frequency: '4',
  CustomStoId: 'bae4ef32-3fb1-4998-988b-0063884a3d80',
  AccountReference: 'Test',
  TransactionDesc: 'Test',
  CallBackURL: 'https://mydomain.com/mpesa-ratiba/result/',
};

const params = (over: Partial<RatibaStandingOrderParams> = {}): RatibaStandingOrderParams => ({
  standingOrderName: 'erick',
  startDate: '20241221',
  endDate: '20241222',
  businessShortCode: '300584',
  transactionType: 'payBill',
  amount: 10,
  phoneNumber: '0708374149',
  callbackUrl: 'https://mydomain.com/mpesa-ratiba/result/',
  accountReference: 'Test',
  transactionDesc: 'Test',
  frequency: 'biWeekly',
  customStoId: 'bae4ef32-3fb1-4998-988b-0063884a3d80',
  ...over,
});

describe('ratiba.createStandingOrder', () => {
  it('reproduces the version-B sample from typed input, with the tables’ TransactionType and the paybill identifier type', async () => {
    const e = route(PATH, { json: ACK });
    const response = await makeClient().ratiba.createStandingOrder(params());
    // Two documented differences: the TransactionType is the newest (Ext-Third Party) spelling, and a
    // Pay Bill is identifier type "4" (the sample's "2" with a Pay Bill type is inconsistent).
    expect(e.bodies).toEqual([
      {
        ...DOC_SAMPLE,
        TransactionType: 'Standing Order Pay Bill Ext-Third Party',
        ReceiverPartyIdentifierType: '4',
      },
    ]);
    expect(response).toEqual({
      customStoId: DOC_SAMPLE.CustomStoId,
      standingOrderName: 'erick',
      responseRefId: ACK.ResponseHeader.responseRefID,
      responseCode: '200',
      responseDescription: 'Request accepted for processing',
    });
  });

  it('reproduces the sample exactly with wireValues, sent verbatim, and logs a warning', async () => {
    const e = route(PATH, { json: ACK });
    const before = captured.length;
    await makeClient().ratiba.createStandingOrder(
      params({
        transactionType: 'buyGoods',
        frequency: 'monthly',
        wireValues: { transactionType: 'Standing Order Pay Bill External Third Party', frequency: '4' },
      }),
    );
    expect(e.bodies).toEqual([DOC_SAMPLE]);
    expect(captured.slice(before).join('\n')).toMatch(
      /warn \[daraja\] ratiba: sending wire values instead of the tables/,
    );
  });

  it('reproduces the version-A sample field for field with wireValues (its EndDate typo corrected), plus CustomStoId', async () => {
    // The older portal's sample (PORTAL-25, Dec 2025): its EndDate "20230905" is before its StartDate, a
    // doc typo; its own table gives "20250905". Version A has no CustomStoId; the SDK always sends one.
    const VERSION_A = {
      StandingOrderName: 'Test Standing Order',
      StartDate: '20240905',
      EndDate: '20250905',
      BusinessShortCode: '174379',
      TransactionType: 'Standing Order Customer Pay Bill',
      ReceiverPartyIdentifierType: '4',
      Amount: '4500',
      PartyA: '254708374149',
      CallBackURL: 'https://mydomain.com/pat',
      AccountReference: 'Test',
      TransactionDesc: 'Test',
      Frequency: '2',
    };
    const e = route(PATH, { json: ACK });
    await makeClient().ratiba.createStandingOrder({
      standingOrderName: 'Test Standing Order',
      startDate: '20240905',
      endDate: '20250905',
      businessShortCode: '174379',
      transactionType: 'payBill',
      amount: 4500,
      phoneNumber: '254708374149',
      callbackUrl: 'https://mydomain.com/pat',
      accountReference: 'Test',
      transactionDesc: 'Test',
      frequency: 'daily',
      customStoId: 'a-1',
      wireValues: { transactionType: 'Standing Order Customer Pay Bill', frequency: '2' },
    });
    expect(e.bodies).toEqual([{ ...VERSION_A, CustomStoId: 'a-1' }]);
  });

  it('maps buyGoods to the merchant type and till identifier, each frequency by its table', async () => {
    const e = route(PATH, { json: ACK });
    await makeClient().ratiba.createStandingOrder(
      params({ transactionType: 'buyGoods', frequency: 'monthly' }),
    );
    expect(e.bodies[0]).toMatchObject({
      TransactionType: 'Standing Order Merchant Payment Ext-Third Party',
      ReceiverPartyIdentifierType: '2',
      Frequency: '5',
    });
  });

  it('takes Dates (their Nairobi day) and generates a CustomStoId when none is given, returning it', async () => {
    const e = route(PATH, { json: ACK });
    const { customStoId } = await makeClient().ratiba.createStandingOrder(
      params({
        customStoId: undefined,
        startDate: new Date('2026-12-31T21:30:00Z'), // 1 January 2027, 00:30 in Nairobi
        endDate: new Date('2027-12-31T12:00:00Z'),
      }),
    );
    expect(customStoId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.bodies[0]).toMatchObject({
      CustomStoId: customStoId,
      StartDate: '20270101',
      EndDate: '20271231',
    });
  });

  it.each([
    ['frequency', { frequency: 'fortnightly' }],
    ['frequency', { frequency: 4 }],
    ['frequency', { frequency: '5' }],
    ['transactionType', { transactionType: 'Standing Order Pay Bill Ext-Third Party' }],
    ['startDate', { startDate: '20240230' }],
    ['startDate', { startDate: '2024-12-21' }],
    ['endDate', { endDate: new Date('nope') }],
    ['endDate', { endDate: '20241220' }],
    ['businessShortCode', { businessShortCode: 'ABC' }],
    ['amount', { amount: 10.5 }],
    ['amount', { amount: 0 }],
    ['phoneNumber', { phoneNumber: '0208374149' }],
    ['callbackUrl', { callbackUrl: 'not a url' }],
    ['accountReference', { accountReference: 'ABCDEFGHIJKLM' }],
    ['transactionDesc', { transactionDesc: 'ABCDEFGHIJKLMN' }],
    ['standingOrderName', { standingOrderName: ' ' }],
    ['customStoId', { customStoId: 'has space' }],
    ['wireValues.frequency', { wireValues: { frequency: 'monthly' } }],
    ['wireValues.frequency', { wireValues: { frequency: '' } }],
    ['wireValues.transactionType', { wireValues: { transactionType: '  ' } }],
  ] as const)('refuses a bad %s before anything is sent (%j)', async (field, over) => {
    const e = route(PATH, { json: ACK });
    const error = await rejection(
      makeClient().ratiba.createStandingOrder(params(over as Partial<RatibaStandingOrderParams>)),
    );
    expect(error).toBeInstanceOf(DarajaValidationError);
    expect((error as DarajaValidationError).field).toBe(field);
    expect(e.bodies).toEqual([]);
  });

  it('masks the phone number in its validation error', async () => {
    const error = await rejection(
      makeClient().ratiba.createStandingOrder(params({ phoneNumber: '0208374149' })),
    );
    expect(error.message).not.toContain('0208374149');
  });

  it("turns the sandbox's 400 envelope (numeric responseCode) into a DarajaApiError with its code and message, not resent", async () => {
    const e = route(PATH, { json: SANDBOX_REFUSAL, status: 400 });
    const error = await rejection(makeClient().ratiba.createStandingOrder(params()));
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error).not.toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error).toMatchObject({
      status: 400,
      errorCode: '400',
      requestId: SANDBOX_REFUSAL.requestRefId,
      errorMessage: SANDBOX_REFUSAL.responseMessage,
    });
    expect(e.bodies).toHaveLength(1);
  });

  it('turns a 2xx whose ResponseHeader.responseCode is not "200" into a DarajaApiError', async () => {
    const refused = {
      ResponseHeader: { ...ACK.ResponseHeader, responseCode: '401', responseDescription: 'Unauthorised' },
    };
    route(PATH, { json: refused });
    const error = await rejection(makeClient().ratiba.createStandingOrder(params()));
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error).toMatchObject({ errorCode: '401', errorMessage: 'Unauthorised' });
  });

  it.each([
    ['a dropped connection', { error: true } as const],
    ['an HTML 502 from the gateway', { text: '<html>Bad Gateway</html>', status: 502 }],
    ['an unrecognised 2xx', { json: { ok: true } }],
  ])(
    'never resends after %s: DarajaUnknownOutcomeError saying to wait for the callback',
    async (_, answer) => {
      const e = route(PATH, answer, { json: ACK });
      const error = await rejection(makeClient({ maxRetries: 3 }).ratiba.createStandingOrder(params()));
      expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
      expect(error.message).toMatch(/NOT resent/);
      expect(error.message).toMatch(/callback/);
      expect(e.bodies).toHaveLength(1);
    },
  );
});
