import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';

// Raw HTTP against the simulator's C2B, initiator, QR and pull endpoints: Daraja's answers to missing
// tokens, bodies that are not JSON, and each bad field (`400.002.02 Bad Request - Invalid <Field>`).
let sim: Simulator;
let token: string;
const RESULT = 'http://127.0.0.1:9/result';

beforeAll(async () => {
  sim = await createSimulator({ callbackDelayMs: 60_000 });
  const basic = Buffer.from(`${sim.consumerKey}:${sim.consumerSecret}`).toString('base64');
  const answer = await fetch(`${sim.url}/oauth/v1/generate?grant_type=client_credentials`, {
    headers: { authorization: `Basic ${basic}` },
  });
  token = ((await answer.json()) as { access_token: string }).access_token;
});
afterAll(() => sim.close());

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const initiator = () => ({ Initiator: sim.initiatorName, SecurityCredential: sim.securityCredential() });
const urls = { QueueTimeOutURL: RESULT, ResultURL: RESULT };

// A valid body per endpoint (Daraja's documented samples, §6–14), and its fields in the order checked.
const VALID: Record<string, () => Record<string, unknown>> = {
  '/mpesa/c2b/v1/registerurl': () => ({
    ShortCode: '600984',
    ResponseType: 'Completed',
    ConfirmationURL: 'http://127.0.0.1:9/c2b/confirmation',
    ValidationURL: 'http://127.0.0.1:9/c2b/validation',
  }),
  '/mpesa/c2b/v2/simulate': () => ({
    ShortCode: 600984,
    CommandID: 'CustomerPayBillOnline',
    Amount: 1,
    Msisdn: 254708374149,
    BillRefNumber: 'INV-1',
  }),
  '/mpesa/b2c/v3/paymentrequest': () => ({
    OriginatorConversationID: `v-${Math.random()}`,
    InitiatorName: sim.initiatorName,
    SecurityCredential: sim.securityCredential(),
    CommandID: 'BusinessPayment',
    Amount: '10',
    PartyA: '600992',
    PartyB: '254705912645',
    Remarks: 'remarked',
    ...urls,
    Occassion: 'ChristmasPay',
  }),
  '/mpesa/b2b/v1/paymentrequest': () => ({
    ...initiator(),
    CommandID: 'BusinessPayBill',
    SenderIdentifierType: '4',
    RecieverIdentifierType: '4',
    Amount: '239',
    PartyA: '123456',
    PartyB: '000000',
    AccountReference: '353353',
    Requester: '254700000000',
    Remarks: 'OK',
    ...urls,
  }),
  '/mpesa/b2b/v1/remittax': () => ({
    ...initiator(),
    CommandID: 'PayTaxToKRA',
    SenderIdentifierType: '4',
    RecieverIdentifierType: '4',
    Amount: '239',
    PartyA: '888880',
    PartyB: '572572',
    AccountReference: '353353',
    Remarks: 'OK',
    ...urls,
  }),
  '/mpesa/transactionstatus/v1/query': () => ({
    ...initiator(),
    CommandID: 'TransactionStatusQuery',
    TransactionID: 'NEF61H8J60',
    OriginalConversationID: '7071-4170-a0e5-8345632bad442144258',
    PartyA: '600782',
    IdentifierType: '4',
    ...urls,
    Remarks: 'OK',
    Occasion: 'OK',
  }),
  '/mpesa/accountbalance/v1/query': () => ({
    ...initiator(),
    CommandID: 'AccountBalance',
    PartyA: '600000',
    IdentifierType: '4',
    Remarks: 'ok',
    ...urls,
  }),
  '/mpesa/reversal/v1/request': () => ({
    ...initiator(),
    CommandID: 'TransactionReversal',
    TransactionID: 'PDU91HIVIT',
    Amount: '200',
    ReceiverParty: '603021',
    RecieverIdentifierType: '11',
    ...urls,
    Remarks: 'Payment reversal',
  }),
  '/mpesa/qrcode/v1/generate': () => ({
    MerchantName: 'TEST SUPERMARKET',
    RefNo: 'Invoice Test',
    Amount: 1,
    TrxCode: 'BG',
    CPI: '373132',
    Size: '300',
  }),
  '/pulltransactions/v1/register': () => ({
    ShortCode: '600000',
    RequestType: 'Pull',
    NominatedNumber: '0722000000',
    CallBackURL: 'https://domain.example/path',
  }),
  '/pulltransactions/v1/query': () => ({
    ShortCode: '600000',
    StartDate: '2020-08-04 8:36:00',
    EndDate: '2020-08-16 10:10:000', // the documented sample, stray digit included
    OffSetValue: '0',
  }),
};

describe('every documented request sample is accepted as it is', () => {
  it.each(Object.keys(VALID))('%s', async (path) => {
    const answer = await post(path, VALID[path]!());
    expect(answer.status).toBe(200);
    expect(answer.body).not.toHaveProperty('errorCode');
  });
});

describe('gateway answers', () => {
  it.each(Object.keys(VALID))(
    '%s: no token is 404.001.03, a form body or a JSON array 400.002.05',
    async (path) => {
      const noToken = await fetch(`${sim.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(VALID[path]!()),
      });
      expect(noToken.status).toBe(404);
      expect(await noToken.json()).toMatchObject({
        errorCode: '404.001.03',
        errorMessage: 'Invalid Access Token',
      });
      const form = await post(path, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' });
      expect([form.status, form.body?.['errorCode']]).toEqual([400, '400.002.05']);
      const array = await post(path, '[]');
      expect([array.status, array.body?.['errorMessage']]).toEqual([400, 'Invalid Request Payload']);
      const get = await fetch(`${sim.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(get.status).toBe(405);
    },
  );
});

describe('400.002.02 Bad Request - Invalid <Field>', () => {
  const cases: Array<[path: string, field: string, value: unknown]> = [
    ['/mpesa/c2b/v1/registerurl', 'ShortCode', '12'],
    ['/mpesa/c2b/v1/registerurl', 'ResponseType', 'completed'], // sentence case only
    ['/mpesa/c2b/v1/registerurl', 'ConfirmationURL', 'not a url'],
    ['/mpesa/c2b/v1/registerurl', 'ValidationURL', 'ftp://x'],
    ['/mpesa/c2b/v2/simulate', 'CommandID', 'CustomerPayBill'],
    ['/mpesa/c2b/v2/simulate', 'Amount', 0],
    ['/mpesa/c2b/v2/simulate', 'Msisdn', '0712345678'],
    ['/mpesa/c2b/v2/simulate', 'BillRefNumber', undefined], // required for PayBill
    ['/mpesa/c2b/v2/simulate', 'BillRefNumber', 'x'.repeat(21)],
    ['/mpesa/b2c/v3/paymentrequest', 'OriginatorConversationID', undefined],
    ['/mpesa/b2c/v3/paymentrequest', 'InitiatorName', ''],
    ['/mpesa/b2c/v3/paymentrequest', 'SecurityCredential', undefined],
    ['/mpesa/b2c/v3/paymentrequest', 'CommandID', 'TransactionReversal'],
    ['/mpesa/b2c/v3/paymentrequest', 'Amount', '10.5'],
    ['/mpesa/b2c/v3/paymentrequest', 'Amount', 250_001],
    ['/mpesa/b2c/v3/paymentrequest', 'PartyA', 'abc'],
    ['/mpesa/b2c/v3/paymentrequest', 'PartyB', '0705912645'],
    ['/mpesa/b2c/v3/paymentrequest', 'Remarks', 'x'],
    ['/mpesa/b2c/v3/paymentrequest', 'QueueTimeOutURL', 'nope'],
    ['/mpesa/b2c/v3/paymentrequest', 'ResultURL', undefined],
    ['/mpesa/b2c/v3/paymentrequest', 'Occassion', 'x'.repeat(101)],
    ['/mpesa/b2b/v1/paymentrequest', 'Initiator', undefined],
    ['/mpesa/b2b/v1/paymentrequest', 'CommandID', 'PayTaxToKRA'],
    ['/mpesa/b2b/v1/paymentrequest', 'SenderIdentifierType', '9'],
    ['/mpesa/b2b/v1/paymentrequest', 'RecieverIdentifierType', undefined],
    ['/mpesa/b2b/v1/paymentrequest', 'PartyB', '12'],
    ['/mpesa/b2b/v1/paymentrequest', 'AccountReference', 'x'.repeat(14)],
    ['/mpesa/b2b/v1/paymentrequest', 'AccountReference', undefined],
    ['/mpesa/b2b/v1/paymentrequest', 'Requester', '123'],
    ['/mpesa/b2b/v1/remittax', 'CommandID', 'BusinessPayBill'],
    ['/mpesa/b2b/v1/remittax', 'AccountReference', ''],
    ['/mpesa/transactionstatus/v1/query', 'CommandID', 'AccountBalance'],
    ['/mpesa/transactionstatus/v1/query', 'TransactionID', 'not a receipt'],
    ['/mpesa/transactionstatus/v1/query', 'IdentifierType', '11'],
    ['/mpesa/accountbalance/v1/query', 'PartyA', undefined],
    ['/mpesa/accountbalance/v1/query', 'IdentifierType', undefined],
    ['/mpesa/reversal/v1/request', 'TransactionID', undefined],
    ['/mpesa/reversal/v1/request', 'ReceiverParty', '1'],
    ['/mpesa/reversal/v1/request', 'RecieverIdentifierType', '3'],
    ['/mpesa/qrcode/v1/generate', 'MerchantName', ''],
    ['/mpesa/qrcode/v1/generate', 'TrxCode', 'XX'],
    ['/mpesa/qrcode/v1/generate', 'CPI', undefined],
    ['/mpesa/qrcode/v1/generate', 'Size', '10'],
    ['/pulltransactions/v1/register', 'RequestType', 'Push'],
    ['/pulltransactions/v1/register', 'NominatedNumber', '12345'],
    ['/pulltransactions/v1/query', 'StartDate', '2020-08-04'],
    ['/pulltransactions/v1/query', 'OffSetValue', '-1'],
  ];

  it.each(cases)('%s with %s = %j', async (path, field, value) => {
    const body = VALID[path]!();
    if (value === undefined) delete body[field];
    else body[field] = value;
    const answer = await post(path, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      requestId: expect.any(String),
      errorCode: '400.002.02',
      errorMessage: `Bad Request - Invalid ${field}`,
    });
  });

  it("Daraja's misspellings are the field names: ReceiverIdentifierType is not RecieverIdentifierType", async () => {
    const body = VALID['/mpesa/reversal/v1/request']!();
    body['ReceiverIdentifierType'] = body['RecieverIdentifierType'];
    delete body['RecieverIdentifierType'];
    expect((await post('/mpesa/reversal/v1/request', body)).body?.['errorMessage']).toBe(
      'Bad Request - Invalid RecieverIdentifierType',
    );
  });

  it('a status query needs a TransactionID or an OriginalConversationID; either one is enough', async () => {
    const body = VALID['/mpesa/transactionstatus/v1/query']!();
    delete body['TransactionID'];
    expect((await post('/mpesa/transactionstatus/v1/query', body)).status).toBe(200);
    delete body['OriginalConversationID'];
    expect((await post('/mpesa/transactionstatus/v1/query', body)).body?.['errorMessage']).toBe(
      'Bad Request - Invalid TransactionID',
    );
  });
});

describe('answers', () => {
  it('a reused OriginatorConversationID: HTTP 500 with exactly Daraja’s duplicate envelope', async () => {
    const body = VALID['/mpesa/b2c/v3/paymentrequest']!();
    const first = await post('/mpesa/b2c/v3/paymentrequest', body);
    expect(first.body).toEqual({
      ConversationID: expect.stringMatching(/^AG_\d{8}_[0-9a-f]{20}$/),
      OriginatorConversationID: body['OriginatorConversationID'],
      ResponseCode: '0',
      ResponseDescription: 'Accept the service request successfully.',
    });
    const second = await post('/mpesa/b2c/v3/paymentrequest', { ...body, Amount: '11' });
    expect(second.status).toBe(500);
    expect(Object.keys(second.body!)).toEqual(['requestId', 'errorCode', 'errorMessage']);
    expect(second.body).toMatchObject({
      errorCode: '500.002.1001',
      errorMessage: 'Duplicate OriginatorConversationID.',
    });
    // A request refused for a bad field does not use up its id.
    const fresh = { ...VALID['/mpesa/b2c/v3/paymentrequest']!(), OriginatorConversationID: 'fresh-id' };
    expect((await post('/mpesa/b2c/v3/paymentrequest', { ...fresh, Amount: 0 })).status).toBe(400);
    expect((await post('/mpesa/b2c/v3/paymentrequest', fresh)).status).toBe(200);
  });

  it('C2B answers spell OriginatorCoversationID as Daraja does; initiator answers in the documented order', async () => {
    const register = await post('/mpesa/c2b/v1/registerurl', VALID['/mpesa/c2b/v1/registerurl']!());
    expect(Object.keys(register.body!)).toEqual([
      'OriginatorCoversationID',
      'ResponseCode',
      'ResponseDescription',
    ]);
    const balance = await post('/mpesa/accountbalance/v1/query', VALID['/mpesa/accountbalance/v1/query']!());
    expect(Object.keys(balance.body!)).toEqual([
      'OriginatorConversationID',
      'ConversationID',
      'ResponseCode',
      'ResponseDescription',
    ]);
    expect(balance.body!['ResponseDescription']).toBe('Accept the service request successfully');
  });

  it('the request log keeps every request with its operation, the credential redacted', async () => {
    const before = sim.requests.length;
    await post('/mpesa/b2b/v1/paymentrequest', {
      ...VALID['/mpesa/b2b/v1/paymentrequest']!(),
      CommandID: 'BusinessBuyGoods',
    });
    await post('/mpesa/b2b/v1/paymentrequest', {
      ...VALID['/mpesa/b2b/v1/paymentrequest']!(),
      CommandID: 'BusinessBuyGoods',
      Amount: 0,
    });
    const logged = sim.requests.slice(before);
    expect(logged.map((r) => [r.operation, r.status])).toEqual([
      ['b2b.buyGoods', 200],
      ['b2b.buyGoods', 400],
    ]);
    expect(logged[0]!.body).toMatchObject({ SecurityCredential: '[redacted]', Initiator: sim.initiatorName });
  });
});
