import { describe, expect, it } from 'vitest';
import {
  DarajaConfigError,
  DarajaDuplicateError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
  isDarajaApiError,
  isDarajaDuplicateError,
  POCHI_MIN_AMOUNT,
} from '../../../../src/index.js';
import {
  B2C_SHORTCODE,
  DOC_SECURITY_CREDENTIALS,
  INITIATOR_NAME,
  QUEUE_TIMEOUT_URL,
  RESULT_URL,
  SECURITY_CREDENTIAL,
} from '../../../fixtures/constants.js';
import { makeClient, makeInitiatorClient, rejection } from '../../../helpers/client.js';
import { type Answer, endpoint, fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';
import { captured } from '../../../helpers/logger.js';

// B2C payments and Business to Pochi (`b2c.payToPochi`: B2C's v3 body on its own path, with the same
// idempotency key). The samples are Safaricom's B2C v3 and Business to Pochi pages.
const PATH = '/mpesa/b2c/v3/paymentrequest';
const POCHI_PATH = '/mpesa/b2pochi/v1/paymentrequest';
const mock = fakeDaraja();
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
    requestId: '1a2b-3c4d',
    errorCode: '500.002.1001',
    errorMessage: 'Duplicate OriginatorConversationID.',
  },
};

function routeTo(path: string, ...answers: Answer[]) {
  const e = endpoint(path, ...answers);
  server.use(e.handler);
  return e;
}
const route = (...answers: Answer[]) => routeTo(PATH, ...answers);

const client = makeInitiatorClient;
type Client = ReturnType<typeof client>;
type Payment = { phoneNumber: string | number; amount: number; [field: string]: unknown };

/** The two B2C payments, which share their body, validation and idempotency. */
const PAYMENTS = [
  {
    operation: 'b2c.pay',
    path: PATH,
    send: (daraja: Client, params: Payment) => daraja.b2c.pay(params as never),
  },
  {
    operation: 'b2c.payToPochi',
    path: POCHI_PATH,
    send: (daraja: Client, params: Payment) => daraja.b2c.payToPochi(params as never),
  },
] as const;

// The documented request samples: B2C v3's and Business to Pochi's are the same body but for CommandID (and
// PartyB, a number replaced in the Pochi sample).
const DOC_SAMPLES = {
  'b2c.pay': {
    CommandID: 'BusinessPayment',
    PartyB: '254705912645',
    params: { commandId: 'BusinessPayment' },
  },
  'b2c.payToPochi': { CommandID: 'BusinessPayToPochi', PartyB: '254708374149', params: {} },
};

describe.each(PAYMENTS)('$operation request', ({ operation, path, send }) => {
  it('reproduces the documented sample field for field, on its path (Occassion spelt as Daraja spells it)', async () => {
    const sample = DOC_SAMPLES[operation];
    const e = routeTo(path, { json: DOC_RESPONSE });
    const daraja = client({
      initiatorName: 'testapi',
      securityCredential: DOC_SECURITY_CREDENTIALS[0],
      initiatorShortcode: undefined,
      resultUrl: undefined,
      queueTimeoutUrl: undefined,
    });
    const response = await send(daraja, {
      originatorConversationId: '600997_Test_32et3241ed8yu',
      ...sample.params,
      amount: 10,
      shortcode: '600992',
      phoneNumber: sample.PartyB,
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
        CommandID: sample.CommandID,
        Amount: '10',
        PartyA: '600992',
        PartyB: sample.PartyB,
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
      phoneNumber: sample.PartyB,
      amount: 10,
    });
  });
});

describe('b2c.pay request', () => {
  it('generates a UUID idempotency key, takes defaults from the client, omits an absent occasion', async () => {
    const e = route({ json: { ...DOC_RESPONSE, OriginatorConversationID: undefined } });
    const response = await client().b2c.pay({
      phoneNumber: '0712 345 678',
      amount: 250_000,
      commandId: 'SalaryPayment',
    });
    const body = e.bodies[0]!;
    expect(body['OriginatorConversationID']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(response.originatorConversationId).toBe(body['OriginatorConversationID']);
    expect(body).toMatchObject({
      InitiatorName: INITIATOR_NAME,
      SecurityCredential: SECURITY_CREDENTIAL,
      CommandID: 'SalaryPayment',
      Amount: '250000',
      PartyA: B2C_SHORTCODE,
      PartyB: '254712345678',
      Remarks: 'Payment',
      ResultURL: RESULT_URL,
      QueueTimeOutURL: QUEUE_TIMEOUT_URL,
    });
    expect(body).not.toHaveProperty('Occassion');
    expect(body).not.toHaveProperty('Occasion');
    const again = route({ json: DOC_RESPONSE });
    await client().b2c.pay({ phoneNumber: '0712345678', amount: 5 });
    expect(again.bodies[0]?.['OriginatorConversationID']).not.toBe(body['OriginatorConversationID']);
  });
});

const SHARED_CASES: Array<[string, Record<string, unknown>, string, RegExp]> = [
  ['cents', { amount: 10.5 }, 'amount', /whole number/],
  ['bad phone', { phoneNumber: '0812345678' }, 'phoneNumber', /Kenyan mobile/],
  ['short remarks', { remarks: 'x' }, 'remarks', /2 to 100/],
  ['long remarks', { remarks: 'x'.repeat(101) }, 'remarks', /2 to 100/],
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
const OWN_CASES: Record<(typeof PAYMENTS)[number]['operation'], typeof SHARED_CASES> = {
  'b2c.pay': [
    ['over the limit', { amount: 250_001 }, 'amount', /between 1 and 250,000/],
    ['zero', { amount: 0 }, 'amount', /between 1/],
    ['bad command', { commandId: 'Payment' }, 'commandId', /BusinessPayment/],
  ],
  // Safaricom's FAQ for the product: KES 10 to 250,000 per payment.
  'b2c.payToPochi': [
    ['over the limit', { amount: 250_001 }, 'amount', /between 10 and 250,000/],
    ['below the KES 10 minimum', { amount: POCHI_MIN_AMOUNT - 1 }, 'amount', /between 10 and 250,000/],
    ['zero', { amount: 0 }, 'amount', /between 10/],
    ['no amount', { amount: undefined }, 'amount', /number of shillings/],
  ],
};

describe('b2c.payToPochi request', () => {
  it('always sends BusinessPayToPochi, whatever commandId a caller slips in', async () => {
    const e = routeTo(POCHI_PATH, { json: DOC_RESPONSE });
    const response = await client().b2c.payToPochi({
      phoneNumber: '0712345678',
      amount: POCHI_MIN_AMOUNT,
      ...({ commandId: 'SalaryPayment' } as object),
    });
    expect(e.bodies[0]).toMatchObject({
      CommandID: 'BusinessPayToPochi',
      Amount: '10',
      PartyB: '254712345678',
    });
    expect(response).toMatchObject({ phoneNumber: '254712345678', amount: 10 });
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
    const e = routeTo(POCHI_PATH, invalidToken, invalidToken);
    const error = await rejection(
      client().b2c.payToPochi({ phoneNumber: '0712345678', amount: 100, originatorConversationId: 'k-401' }),
    );
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-401', 'k-401']);
    expect(error).not.toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error).toMatchObject({ errorCode: '401.002.01', operation: 'b2c.payToPochi' });
    expect(error.message).toMatch(/API product enabled/);
  });
});

describe.each(PAYMENTS)('$operation validation (nothing is sent)', ({ operation, path, send }) => {
  it.each([...SHARED_CASES, ...OWN_CASES[operation]])(
    'rejects %s',
    async (_name, override, field, message) => {
      const e = routeTo(path, { json: DOC_RESPONSE });
      const daraja = client({ environment: 'production', baseUrl: 'https://sandbox.safaricom.co.ke' });
      const error = await rejection(send(daraja, { phoneNumber: '0712345678', amount: 100, ...override }));
      expect(error).toBeInstanceOf(DarajaValidationError);
      expect(error).toMatchObject({ field });
      expect(error.message).toMatch(message);
      expect(e.bodies).toHaveLength(0);
    },
  );

  it('names every missing client setting in one config error', async () => {
    const e = routeTo(path, { json: DOC_RESPONSE });
    const error = (await rejection(
      send(makeClient(), { phoneNumber: '0712345678', amount: 1 }),
    )) as DarajaConfigError;
    expect(error).toBeInstanceOf(DarajaConfigError);
    expect(error.issues.map((i) => i.field)).toEqual([
      'initiatorName',
      'initiatorPassword',
      'shortcode',
      'resultUrl',
      'queueTimeoutUrl',
    ]);
    expect(error.message).toMatch(
      /MPESA_INITIATOR_NAME[\s\S]*MPESA_CERTIFICATE_PATH[\s\S]*MPESA_INITIATOR_SHORTCODE/,
    );
    expect(e.bodies).toHaveLength(0);
  });

  it('rejects a call without params', async () => {
    expect(await rejection(send(client(), undefined as never))).toMatchObject({ field: 'params' });
  });
});

describe.each(PAYMENTS)('$operation idempotency', ({ operation, path, send }) => {
  it('retries a timed-out payment with the same OriginatorConversationID and surfaces the duplicate answer', async () => {
    const e = routeTo(path, { hang: 1_000 }, DUPLICATE);
    const error = await rejection(
      send(client({ timeoutMs: 100 }), {
        phoneNumber: '0712345678',
        amount: 100,
        originatorConversationId: 'payout-42',
      }),
    );
    expect(e.bodies).toHaveLength(2);
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['payout-42', 'payout-42']);
    expect(e.bodies[1]).toEqual(e.bodies[0]); // the very same request, credential included
    expect(error).toBeInstanceOf(DarajaDuplicateError);
    expect(isDarajaDuplicateError(error)).toBe(true);
    expect(isDarajaApiError(error)).toBe(true);
    expect(error).toMatchObject({
      idempotencyKey: 'payout-42',
      status: 500,
      errorCode: '500.002.1001',
      errorMessage: 'Duplicate OriginatorConversationID.',
      operation,
    });
    expect(error.message).toMatch(/already received[\s\S]*"payout-42"[\s\S]*was accepted[\s\S]*ResultURL/);
  });

  it('retries after a dropped connection or a gateway 503, and succeeds with the same key', async () => {
    const e = routeTo(
      path,
      { error: true },
      { text: '<html>503</html>', status: 503 },
      { json: DOC_RESPONSE },
    );
    const response = await send(client(), {
      phoneNumber: '0712345678',
      amount: 100,
      originatorConversationId: 'k-7',
    });
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-7', 'k-7', 'k-7']);
    expect(response.responseCode).toBe('0');
  });

  it('reports a duplicate on the first attempt the same way (a key reused across calls)', async () => {
    const e = routeTo(path, DUPLICATE);
    const error = await rejection(
      send(client(), { phoneNumber: '0712345678', amount: 100, originatorConversationId: 'k-1' }),
    );
    expect(error).toBeInstanceOf(DarajaDuplicateError);
    expect(e.bodies).toHaveLength(1);
  });

  it('gives up with an unknown outcome after maxRetries ambiguous attempts, saying a same-key retry is safe', async () => {
    const e = routeTo(path, { hang: 1_000 });
    const error = await rejection(
      send(client({ timeoutMs: 50, maxRetries: 2 }), {
        phoneNumber: '0712345678',
        amount: 100,
        originatorConversationId: 'k-9',
      }),
    );
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error.message).toMatch(/originatorConversationId "k-9" is safe/);
    expect(error.message).toContain(`Retrying ${operation} with`);
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-9', 'k-9', 'k-9']);
  });

  it('does not retry a business rejection', async () => {
    const e = routeTo(path, {
      status: 400,
      json: {
        requestId: 'r',
        errorCode: '400.002.02',
        errorMessage: 'Bad Request - Invalid SecurityCredential',
      },
    });
    const error = await rejection(send(client(), { phoneNumber: '0712345678', amount: 100 }));
    expect(error).toMatchObject({ name: 'DarajaApiError', errorCode: '400.002.02' });
    expect(error.message).toMatch(/certificate/);
    expect(e.bodies).toHaveLength(1);
  });

  it('rejects a non-zero ResponseCode in a 200', async () => {
    routeTo(path, { json: { ...DOC_RESPONSE, ResponseCode: '1', ResponseDescription: 'Rejected' } });
    const error = await rejection(send(client(), { phoneNumber: '0712345678', amount: 100 }));
    expect(error).toMatchObject({ name: 'DarajaApiError', errorCode: '1', errorMessage: 'Rejected' });
  });

  it('logs the retry with the key and a masked phone number, never the credential', async () => {
    const before = captured.length;
    routeTo(path, { error: true }, { json: DOC_RESPONSE });
    await send(client(), { phoneNumber: '0712345678', amount: 100, originatorConversationId: 'k-log' });
    const lines = captured.slice(before).join('\n');
    expect(lines).toMatch(/retrying[\s\S]*k-log/);
    expect(lines).toContain('2547****5678');
    expect(lines).not.toContain(SECURITY_CREDENTIAL);
  });
});
