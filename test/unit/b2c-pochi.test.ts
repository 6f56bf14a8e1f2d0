import { describe, expect, it } from 'vitest';
import { createResultHandler, parseB2cResult } from '../../src/inbound/index.js';
import {
  DarajaConfigError,
  DarajaDuplicateError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
  describeResultCode,
  isDarajaDuplicateError,
  POCHI_MIN_AMOUNT,
} from '../../src/index.js';
import {
  B2C_SHORTCODE,
  DOC_SECURITY_CREDENTIALS,
  INITIATOR_NAME,
  QUEUE_TIMEOUT_URL,
  RESULT_URL,
  SECURITY_CREDENTIAL,
} from '../fixtures/constants.js';
import { makeClient, makeInitiatorClient, rejection } from '../helpers/client.js';
import { type Answer, endpoint } from '../helpers/endpoint.js';
import { captured } from '../helpers/logger.js';
import { darajaMock, useMsw } from '../helpers/msw.js';

// Business to Pochi (`daraja.b2c.payToPochi`): B2C's v3 body on its own path, with the same idempotency
// key, and its result in B2C's shape. The samples are Safaricom's Business to Pochi page (request,
// acknowledgement, duplicate error, success and failure results) and one real sandbox result (8006).
const PATH = '/mpesa/b2pochi/v1/paymentrequest';
const mock = darajaMock();
const server = useMsw(...mock.handlers);

const DOC_RESPONSE = {
  ConversationID: 'AG_20240706_20106e9209f64bebd05b',
  OriginatorConversationID: '600997_Test_32et3241ed8yu',
  ResponseCode: '0',
  ResponseDescription: 'Accept the service request successfully.',
};
const DUPLICATE: Answer = {
  status: 500,
  json: {
    requestId: '1c5b-4ba8-815c-ac45c57a3db01469899',
    errorCode: '500.002.1001',
    errorMessage: 'Duplicate OriginatorConversationID.',
  },
};

function route(...answers: Answer[]) {
  const e = endpoint(PATH, ...answers);
  server.use(e.handler);
  return e;
}

const client = makeInitiatorClient;

describe('b2c.payToPochi request', () => {
  it('reproduces the documented sample field for field, on the b2pochi path', async () => {
    const e = route({ json: DOC_RESPONSE });
    const daraja = client({
      initiatorName: 'testapi',
      securityCredential: DOC_SECURITY_CREDENTIALS[0],
      initiatorShortcode: undefined,
      resultUrl: undefined,
      queueTimeoutUrl: undefined,
    });
    const response = await daraja.b2c.payToPochi({
      originatorConversationId: '600997_Test_32et3241ed8yu',
      amount: 10,
      shortcode: '600992',
      phoneNumber: '254708374149',
      remarks: 'remarked',
      queueTimeoutUrl: 'https://mydomain.com/path',
      resultUrl: 'https://mydomain.com/path',
      occasion: 'ChristmasPay',
    });
    expect(e.bodies).toEqual([
      {
        OriginatorConversationID: '600997_Test_32et3241ed8yu',
        InitiatorName: 'testapi',
        SecurityCredential: 'RC6E9WDxXR4b9X2c6z3gp0oC5Th ==',
        CommandID: 'BusinessPayToPochi',
        Amount: '10',
        PartyA: '600992',
        PartyB: '254708374149',
        Remarks: 'remarked',
        QueueTimeOutURL: 'https://mydomain.com/path',
        ResultURL: 'https://mydomain.com/path',
        Occassion: 'ChristmasPay',
      },
    ]);
    expect(response).toEqual({
      conversationId: 'AG_20240706_20106e9209f64bebd05b',
      originatorConversationId: '600997_Test_32et3241ed8yu',
      responseCode: '0',
      responseDescription: 'Accept the service request successfully.',
      phoneNumber: '254708374149',
      amount: 10,
    });
  });

  it('generates a UUID key, takes defaults from the client, always sends BusinessPayToPochi', async () => {
    const e = route({ json: { ...DOC_RESPONSE, OriginatorConversationID: undefined } });
    const response = await client().b2c.payToPochi({
      phoneNumber: '0712 345 678',
      amount: 250_000,
      // Not a parameter of payToPochi: a caller who passes one anyway still sends BusinessPayToPochi.
      ...({ commandId: 'SalaryPayment' } as object),
    });
    const body = e.bodies[0]!;
    expect(body['OriginatorConversationID']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(response.originatorConversationId).toBe(body['OriginatorConversationID']);
    expect(body).toEqual({
      OriginatorConversationID: body['OriginatorConversationID'],
      InitiatorName: INITIATOR_NAME,
      SecurityCredential: SECURITY_CREDENTIAL,
      CommandID: 'BusinessPayToPochi',
      Amount: '250000',
      PartyA: B2C_SHORTCODE,
      PartyB: '254712345678',
      Remarks: 'Payment',
      QueueTimeOutURL: QUEUE_TIMEOUT_URL,
      ResultURL: RESULT_URL,
    });
  });
});

describe('b2c.payToPochi validation (nothing is sent)', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['below the KES 10 minimum', { amount: POCHI_MIN_AMOUNT - 1 }, 'amount', /between 10 and 250,000/],
    ['zero', { amount: 0 }, 'amount', /between 10 and 250,000/],
    ['over the limit', { amount: 250_001 }, 'amount', /between 10 and 250,000/],
    ['cents', { amount: 10.5 }, 'amount', /whole number/],
    ['no amount', { amount: undefined }, 'amount', /number of shillings/],
    ['bad phone', { phoneNumber: '0812345678' }, 'phoneNumber', /Kenyan mobile/],
    ['short remarks', { remarks: 'x' }, 'remarks', /2 to 100/],
    ['long occasion', { occasion: 'x'.repeat(101) }, 'occasion', /1 to 100/],
    [
      'bad key',
      { originatorConversationId: 'has spaces in it' },
      'originatorConversationId',
      /idempotency key/,
    ],
    ['bad shortcode', { shortcode: '12' }, 'shortcode', /5 to 7 digits/],
    ['http result URL in production', { resultUrl: 'http://x.example.com/r' }, 'resultUrl', /https/],
  ];
  it.each(cases)('rejects %s', async (_name, override, field, message) => {
    const e = route({ json: DOC_RESPONSE });
    const daraja = client({ environment: 'production', baseUrl: 'https://sandbox.safaricom.co.ke' });
    const error = await rejection(
      daraja.b2c.payToPochi({ phoneNumber: '0712345678', amount: 100, ...override } as never),
    );
    expect(error).toBeInstanceOf(DarajaValidationError);
    expect(error).toMatchObject({ field });
    expect(error.message).toMatch(message);
    expect(e.bodies).toHaveLength(0);
  });

  it('rejects a call without params, and names every missing client setting in one config error', async () => {
    const e = route({ json: DOC_RESPONSE });
    expect(await rejection(client().b2c.payToPochi(undefined as never))).toMatchObject({ field: 'params' });
    const error = (await rejection(
      makeClient().b2c.payToPochi({ phoneNumber: '0712345678', amount: 10 }),
    )) as DarajaConfigError;
    expect(error).toBeInstanceOf(DarajaConfigError);
    expect(error.issues.map((i) => i.field)).toEqual([
      'initiatorName',
      'initiatorPassword',
      'shortcode',
      'resultUrl',
      'queueTimeoutUrl',
    ]);
    expect(e.bodies).toHaveLength(0);
  });
});

describe('b2c.payToPochi idempotency (money-moving, as b2c.pay)', () => {
  it('retries a timed-out payment with the same OriginatorConversationID and surfaces the duplicate answer', async () => {
    const e = route({ hang: 1_000 }, DUPLICATE);
    const error = await rejection(
      client({ timeoutMs: 100 }).b2c.payToPochi({
        phoneNumber: '0712345678',
        amount: 100,
        originatorConversationId: 'pochi-42',
      }),
    );
    expect(e.bodies).toHaveLength(2);
    expect(e.bodies[1]).toEqual(e.bodies[0]); // the very same request, credential included
    expect(e.bodies[0]?.['OriginatorConversationID']).toBe('pochi-42');
    expect(error).toBeInstanceOf(DarajaDuplicateError);
    expect(isDarajaDuplicateError(error)).toBe(true);
    expect(error).toMatchObject({
      idempotencyKey: 'pochi-42',
      status: 500,
      errorCode: '500.002.1001',
      errorMessage: 'Duplicate OriginatorConversationID.',
      operation: 'b2c.payToPochi',
    });
  });

  it('retries after a dropped connection or a gateway 503, and succeeds with the same key', async () => {
    const e = route({ error: true }, { text: '<html>503</html>', status: 503 }, { json: DOC_RESPONSE });
    const response = await client().b2c.payToPochi({
      phoneNumber: '0712345678',
      amount: 100,
      originatorConversationId: 'k-7',
    });
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-7', 'k-7', 'k-7']);
    expect(response.responseCode).toBe('0');
  });

  it('gives up with an unknown outcome after maxRetries ambiguous attempts, saying a same-key retry is safe', async () => {
    const e = route({ hang: 1_000 });
    const error = await rejection(
      client({ timeoutMs: 50, maxRetries: 2 }).b2c.payToPochi({
        phoneNumber: '0712345678',
        amount: 100,
        originatorConversationId: 'k-9',
      }),
    );
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error.message).toMatch(/b2c\.payToPochi with originatorConversationId "k-9" is safe/);
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-9', 'k-9', 'k-9']);
  });

  it('does not retry a business rejection (the documented "Invalid amount")', async () => {
    const e = route({
      status: 400,
      json: { requestId: 'r', errorCode: '401.001', errorMessage: 'Bad Request - Invalid amount' },
    });
    const error = await rejection(client().b2c.payToPochi({ phoneNumber: '0712345678', amount: 100 }));
    expect(error).toMatchObject({
      name: 'DarajaApiError',
      errorCode: '401.001',
      operation: 'b2c.payToPochi',
    });
    expect(e.bodies).toHaveLength(1);
  });

  it("the sandbox's 401.002.01 on this path: replayed once with a new token, then an error about the product", async () => {
    const invalidToken: Answer = {
      status: 401,
      json: {
        requestId: 'r',
        errorCode: '401.002.01',
        errorMessage: 'Error Occurred - Invalid Access Token - ',
      },
    };
    const e = route(invalidToken, invalidToken);
    const error = await rejection(
      client().b2c.payToPochi({ phoneNumber: '0712345678', amount: 100, originatorConversationId: 'k-401' }),
    );
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-401', 'k-401']);
    expect(error).not.toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error).toMatchObject({ errorCode: '401.002.01', operation: 'b2c.payToPochi' });
    expect(error.message).toMatch(/API product enabled/);
  });

  it('logs the retry with the key and a masked phone number, never the credential', async () => {
    const before = captured.length;
    route({ error: true }, { json: DOC_RESPONSE });
    await client().b2c.payToPochi({
      phoneNumber: '0712345678',
      amount: 100,
      originatorConversationId: 'k-log',
    });
    const lines = captured.slice(before).join('\n');
    expect(lines).toMatch(/b2c pochi payment sending/);
    expect(lines).toMatch(/retrying[\s\S]*k-log/);
    expect(lines).toContain('2547****5678');
    expect(lines).not.toContain(SECURITY_CREDENTIAL);
  });
});

// The result samples: Safaricom's success (PartyB and the public name replaced with 254708374149 - JOHN
// DOE) and failure, and a real sandbox result whose ResultParameter is a single object.
const QUEUE_ITEM = {
  Key: 'QueueTimeoutURL',
  Value: 'https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit',
};
const POCHI_SUCCESS = {
  Result: {
    ResultType: 0,
    ResultCode: 0,
    ResultDesc: 'The service request is processed successfully.',
    OriginatorConversationID: '53e3-4aa8-9fe0-8fb5e4092cdd3533373',
    ConversationID: 'AG_20240706_2010364430d9bbdaf872',
    TransactionID: 'SG632NMUAB',
    ResultParameters: {
      ResultParameter: [
        { Key: 'TransactionAmount', Value: 10 },
        { Key: 'TransactionReceipt', Value: 'SG632NMUAB' },
        { Key: 'ReceiverPartyPublicName', Value: '254708374149 - JOHN DOE' },
        { Key: 'TransactionCompletedDateTime', Value: '06.07.2024 22:48:52' },
        { Key: 'B2CUtilityAccountAvailableFunds', Value: 8959269.6 },
        { Key: 'B2CWorkingAccountAvailableFunds', Value: 1199371.0 },
        { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
        { Key: 'B2CChargesPaidAccountAvailableFunds', Value: -1980.0 },
      ],
    },
    ReferenceData: { ReferenceItem: QUEUE_ITEM },
  },
};
const POCHI_FAILURE = {
  Result: {
    ResultType: 0,
    ResultCode: 2001,
    ResultDesc: 'The initiator information is invalid.',
    OriginatorConversationID: '53e3-4aa8-9fe0-8fb5e4092cdd3544366',
    ConversationID: 'AG_20240707_201062f6f6f5804f7a33',
    TransactionID: 'SG722NMVXQ',
    ReferenceData: { ReferenceItem: QUEUE_ITEM },
  },
};
const POCHI_SANDBOX_LOCKED = {
  Result: {
    ResultType: 0,
    ResultCode: 8006,
    ResultDesc: 'The security credential is locked.',
    OriginatorConversationID: '<redacted-id>',
    ConversationID: 'AG_REDACTED',
    TransactionID: 'XXXXXXXXXX',
    ResultParameters: { ResultParameter: { Key: 'CreditPartyName', Value: '<redacted>' } },
    ReferenceData: { ReferenceItem: { Key: 'QueueTimeoutURL', Value: 'https://example.com/b2c/timeout' } },
  },
};

describe('Business to Pochi results (parseB2cResult: the same Result as B2C)', () => {
  it('documented success: amount, receipt, receiver, the dd.MM.yyyy date in Nairobi time, funds', () => {
    expect(parseB2cResult(POCHI_SUCCESS)).toMatchObject({
      success: true,
      resultCode: '0',
      resultType: 0,
      meaning: 'Processed successfully.',
      originatorConversationId: '53e3-4aa8-9fe0-8fb5e4092cdd3533373',
      conversationId: 'AG_20240706_2010364430d9bbdaf872',
      transactionId: 'SG632NMUAB',
      amount: 10,
      receiptNumber: 'SG632NMUAB',
      receiver: { identifier: '254708374149', name: 'JOHN DOE', phoneNumber: '254708374149' },
      completedAt: new Date('2024-07-06T19:48:52Z'),
      utilityAccountAvailableFunds: 8959269.6,
      workingAccountAvailableFunds: 1199371,
      chargesPaidAccountAvailableFunds: -1980,
      recipientIsRegisteredCustomer: true,
      referenceData: [{ key: 'QueueTimeoutURL', value: QUEUE_ITEM.Value }],
    });
  });

  it('documented failure: no ResultParameters, 2001 explained from the B2C catalogue', () => {
    const result = parseB2cResult(POCHI_FAILURE);
    expect(result).toMatchObject({
      success: false,
      resultCode: '2001',
      resultDesc: 'The initiator information is invalid.',
      transactionId: 'SG722NMVXQ',
      parameters: [],
      amount: undefined,
      receiptNumber: undefined,
      receiver: undefined,
      completedAt: undefined,
      recipientIsRegisteredCustomer: undefined,
    });
    expect(result.meaning).toMatch(/initiator information is invalid/);
  });

  it('real sandbox result: 8006 with a single-object ResultParameter (CreditPartyName)', () => {
    const result = parseB2cResult(POCHI_SANDBOX_LOCKED);
    expect(result).toMatchObject({
      success: false,
      resultCode: '8006',
      originatorConversationId: '<redacted-id>',
      transactionId: 'XXXXXXXXXX',
      parameters: [{ key: 'CreditPartyName', value: '<redacted>' }],
      values: { CreditPartyName: '<redacted>' },
      amount: undefined,
      receiver: undefined,
    });
    expect(result.meaning).toMatch(/security credential is locked/);
  });

  it('knows every result code of the Business to Pochi page in the B2C catalogue', () => {
    const codes = [
      '0',
      '1',
      '2',
      '3',
      '4',
      '8',
      '11',
      '21',
      '2001',
      '2006',
      '2028',
      '2040',
      '8006',
      'SFC_IC0003',
    ];
    for (const code of codes) expect(describeResultCode(code, 'b2c'), code).toMatchObject({ known: true });
    expect(describeResultCode(1, 'b2c').meaning).toMatch(/Utility account/);
  });

  it("createResultHandler({ kind: 'b2c' }) takes each sample and acknowledges it", async () => {
    const received: unknown[] = [];
    const handler = createResultHandler({ kind: 'b2c', onResult: (r) => received.push(r.resultCode) });
    for (const body of [POCHI_SUCCESS, POCHI_FAILURE, POCHI_SANDBOX_LOCKED]) {
      const ack = await handler.handle({ body: JSON.stringify(body) });
      expect(ack).toMatchObject({ status: 200, body: { ResultCode: 0, ResultDesc: 'Accepted' } });
    }
    expect(received).toEqual(['0', '2001', '8006']);
  });
});
