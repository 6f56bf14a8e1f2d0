import { delay } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  DarajaTimeoutError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
} from '../../../../src/index.js';
import { DOC_SECURITY_CREDENTIALS } from '../../../fixtures/constants.js';
import { makeInitiatorClient, rejection } from '../../../helpers/client.js';
import { ACCEPTED, type Answer, fakeDaraja, routeOn, useMsw } from '../../../helpers/fake-daraja.js';

const B2B = '/mpesa/b2b/v1/paymentrequest';
const TAX = '/mpesa/b2b/v1/remittax';
const mock = fakeDaraja();
const server = useMsw(...mock.handlers);

const route = routeOn(server);

const client = makeInitiatorClient;

// Safaricom's documented B2B request sample, after the JSON fixes: "Command ID" → CommandID, no trailing comma. The URL values are
// reproduced exactly as documented (they look swapped in Safaricom's sample).
const DOC_B2B = {
  Initiator: 'API_Usename',
  SecurityCredential: DOC_SECURITY_CREDENTIALS[1],
  CommandID: 'BusinessPayBill',
  SenderIdentifierType: '4',
  RecieverIdentifierType: '4',
  Amount: '239',
  PartyA: '123456',
  PartyB: '000000',
  AccountReference: '353353',
  Requester: '254700000000',
  Remarks: 'OK',
  QueueTimeOutURL: 'http://0.0.0.0:0000/ResultsListener.php',
  ResultURL: 'http://0.0.0.0:8888/TimeOutListener.php',
};
const docClient = () =>
  client({
    initiatorName: 'API_Usename',
    securityCredential: DOC_SECURITY_CREDENTIALS[1],
    initiatorShortcode: '123456',
    resultUrl: 'http://0.0.0.0:8888/TimeOutListener.php',
    queueTimeoutUrl: 'http://0.0.0.0:0000/ResultsListener.php',
  });

describe('b2b.payBill and b2b.buyGoods', () => {
  it('reproduces the documented BusinessPayBill sample field for field (RecieverIdentifierType spelt as Daraja does)', async () => {
    const e = route(B2B, { json: ACCEPTED });
    const response = await docClient().b2b.payBill({
      payBillNumber: '000000',
      accountReference: '353353',
      amount: 239,
      requester: '254700000000',
      remarks: 'OK',
    });
    expect(e.bodies).toEqual([DOC_B2B]);
    expect(response).toEqual({
      originatorConversationId: ACCEPTED.OriginatorConversationID,
      conversationId: ACCEPTED.ConversationID,
      responseCode: '0',
      responseDescription: ACCEPTED.ResponseDescription,
    });
  });

  it('reproduces the BusinessBuyGoods sample (same body, CommandID BusinessBuyGoods)', async () => {
    const e = route(B2B, { json: ACCEPTED });
    await docClient().b2b.buyGoods({
      tillNumber: '000000',
      accountReference: '353353',
      amount: 239,
      requester: '0700000000',
      remarks: 'OK',
    });
    expect(e.bodies).toEqual([{ ...DOC_B2B, CommandID: 'BusinessBuyGoods' }]);
  });

  it('lets the receiver type be a till and omits optional fields', async () => {
    const e = route(B2B, { json: ACCEPTED });
    await client().b2b.buyGoods({ tillNumber: 5201234, amount: 3000, receiverIdentifierType: '2' });
    expect(e.bodies[0]).toMatchObject({ PartyB: '5201234', RecieverIdentifierType: '2', Remarks: 'Payment' });
    expect(e.bodies[0]).not.toHaveProperty('AccountReference');
    expect(e.bodies[0]).not.toHaveProperty('Requester');
  });

  it.each([
    [
      'a 14-character account reference',
      { accountReference: 'ABCDEFGHIJKLMN' },
      'accountReference',
      /1 to 13/,
    ],
    ['no account reference', { accountReference: undefined }, 'accountReference', /string/],
    ['cents', { amount: 1.5 }, 'amount', /whole number/],
    ['a bad PayBill', { payBillNumber: '12ab' }, 'payBillNumber', /digits/],
    ['a bad requester', { requester: '12345' }, 'requester', /Kenyan mobile/],
    ['a bad identifier type', { senderIdentifierType: '3' }, 'senderIdentifierType', /"4"/],
  ])('rejects %s before sending', async (_n, override, field, message) => {
    const e = route(B2B, { json: ACCEPTED });
    const error = await rejection(
      client().b2b.payBill({
        payBillNumber: '888880',
        accountReference: 'INV-1',
        amount: 100,
        ...override,
      } as never),
    );
    expect(error).toBeInstanceOf(DarajaValidationError);
    expect(error).toMatchObject({ field });
    expect(error.message).toMatch(message);
    expect(e.bodies).toHaveLength(0);
  });

  it('sends exactly one request after a timeout and reports an unknown outcome', async () => {
    const e = route(B2B, { hang: 1_000 });
    const error = await rejection(
      client({ timeoutMs: 80, maxRetries: 5 }).b2b.payBill({
        payBillNumber: '888880',
        accountReference: 'X',
        amount: 10,
      }),
    );
    await delay(50);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect((error as DarajaUnknownOutcomeError).cause).toBeInstanceOf(DarajaTimeoutError);
    expect(error.message).toMatch(/NOT resent[\s\S]*ResultURL[\s\S]*transactions\.status/);
    expect(e.bodies).toHaveLength(1);
  });

  it.each([
    ['a dropped connection', { error: true } as Answer],
    ['a gateway 502', { text: '<html>502 Bad Gateway</html>', status: 502 } as Answer],
    ['an unreadable 200', { text: 'OK', status: 200 } as Answer],
  ])('never resends after %s', async (_n, answer) => {
    const e = route(B2B, answer);
    await expect(
      client({ maxRetries: 5 }).b2b.buyGoods({ tillNumber: '5201234', amount: 10 }),
    ).rejects.toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(e.bodies).toHaveLength(1);
  });
});

describe('b2b.topUp (B2C Account Top Up)', () => {
  // Safaricom's documented B2C Account Top Up request sample, as the portal prints it.
  const DOC_TOP_UP = {
    Initiator: 'testapi',
    SecurityCredential: DOC_SECURITY_CREDENTIALS[5],
    CommandID: 'BusinessPayToBulk',
    SenderIdentifierType: '4',
    RecieverIdentifierType: '4',
    Amount: '239',
    PartyA: '600979',
    PartyB: '600000',
    AccountReference: '353353',
    Requester: '254708374149',
    Remarks: 'OK',
    QueueTimeOutURL: 'https://mydomain/path/timeout',
    ResultURL: 'https://mydomain/path/result',
  };
  const topUpClient = () =>
    client({
      initiatorName: 'testapi',
      securityCredential: DOC_SECURITY_CREDENTIALS[5],
      initiatorShortcode: '600979',
      resultUrl: 'https://mydomain/path/result',
      queueTimeoutUrl: 'https://mydomain/path/timeout',
    });
  // Daraja assigns the OriginatorConversationID of a top-up: the portal's acknowledgement sample.
  const TOP_UP_ACCEPTED = {
    OriginatorConversationID: '5118-111210482-1',
    ConversationID: 'AG_20230420_2010759fd5662ef6d054',
    ResponseCode: '0',
    ResponseDescription: 'Accept the service request successfully.',
  };

  it('reproduces the documented BusinessPayToBulk sample field for field and reads its acknowledgement', async () => {
    const e = route(B2B, { json: TOP_UP_ACCEPTED });
    const response = await topUpClient().b2b.topUp({
      b2cShortcode: '600000',
      amount: 239,
      accountReference: '353353',
      requester: '0708374149',
      remarks: 'OK',
    });
    expect(e.bodies).toEqual([DOC_TOP_UP]);
    expect(response).toEqual({
      originatorConversationId: '5118-111210482-1',
      conversationId: 'AG_20230420_2010759fd5662ef6d054',
      responseCode: '0',
      responseDescription: 'Accept the service request successfully.',
    });
  });

  it('leaves out what is not given, and keeps both identifier types at "4" whatever a caller passes', async () => {
    const e = route(B2B, { json: TOP_UP_ACCEPTED });
    await client().b2b.topUp({
      b2cShortcode: 600000,
      amount: 50_000,
      receiverIdentifierType: '2',
      senderIdentifierType: '1',
    } as never);
    expect(e.bodies[0]).toMatchObject({
      CommandID: 'BusinessPayToBulk',
      SenderIdentifierType: '4',
      RecieverIdentifierType: '4',
      PartyB: '600000',
      Amount: '50000',
    });
    expect(e.bodies[0]).not.toHaveProperty('AccountReference');
    expect(e.bodies[0]).not.toHaveProperty('Requester');
  });

  it.each([
    ['no B2C shortcode', { b2cShortcode: undefined }, 'b2cShortcode', /digits/],
    ['a till-length B2C shortcode', { b2cShortcode: '12345678' }, 'b2cShortcode', /5 to 7 digits/],
    [
      'a 14-character account reference',
      { accountReference: 'ABCDEFGHIJKLMN' },
      'accountReference',
      /1 to 13/,
    ],
    ['cents', { amount: 10.5 }, 'amount', /whole number/],
    ['a bad requester', { requester: '12345' }, 'requester', /Kenyan mobile/],
  ])('rejects %s before sending', async (_n, override, field, message) => {
    const e = route(B2B, { json: TOP_UP_ACCEPTED });
    const error = await rejection(
      client().b2b.topUp({ b2cShortcode: '600000', amount: 100, ...override } as never),
    );
    expect(error).toBeInstanceOf(DarajaValidationError);
    expect(error).toMatchObject({ field });
    expect(error.message).toMatch(message);
    expect(e.bodies).toHaveLength(0);
  });

  it.each([
    ['a timeout', { hang: 1_000 } as Answer],
    ['a dropped connection', { error: true } as Answer],
    ['a gateway 502', { text: '<html>502 Bad Gateway</html>', status: 502 } as Answer],
  ])('never resends after %s, and says there is no id to query with', async (_n, answer) => {
    const e = route(B2B, answer);
    const error = await rejection(
      client({ timeoutMs: 80, maxRetries: 5 }).b2b.topUp({ b2cShortcode: '600000', amount: 10 }),
    );
    await delay(50);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error).toMatchObject({ operation: 'b2b.topUp' });
    expect(error.message).toMatch(/NOT resent[\s\S]*ResultURL[\s\S]*account\.balance/);
    expect(e.bodies).toHaveLength(1);
  });
});

describe('tax.remit', () => {
  it("reproduces Daraja's tax remittance sample field for field", async () => {
    // Daraja's TaxRemittance page (same JSON fixes as the B2B sample): PartyB is KRA's shortcode, AccountReference the PRN.
    const e = route(TAX, { json: ACCEPTED });
    await client({ initiatorName: 'TaxPayer', securityCredential: DOC_SECURITY_CREDENTIALS[1] }).tax.remit({
      amount: 239,
      shortcode: '888880',
      paymentRegistrationNumber: '353353',
      remarks: 'OK',
      queueTimeoutUrl: 'https://mydomain.com/b2b/remittax/queue/',
      resultUrl: 'https://mydomain.com/b2b/remittax/result/',
    });
    expect(e.bodies).toEqual([
      {
        Initiator: 'TaxPayer',
        SecurityCredential: DOC_SECURITY_CREDENTIALS[1],
        CommandID: 'PayTaxToKRA',
        SenderIdentifierType: '4',
        RecieverIdentifierType: '4',
        Amount: '239',
        PartyA: '888880',
        PartyB: '572572',
        AccountReference: '353353',
        Remarks: 'OK',
        QueueTimeOutURL: 'https://mydomain.com/b2b/remittax/queue/',
        ResultURL: 'https://mydomain.com/b2b/remittax/result/',
      },
    ]);
  });

  it('requires the PRN and never resends after a timeout', async () => {
    const e = route(TAX, { hang: 1_000 });
    const missing = await rejection(client().tax.remit({ amount: 10 } as never));
    expect(missing).toMatchObject({ name: 'DarajaValidationError', field: 'paymentRegistrationNumber' });
    const error = await rejection(
      client({ timeoutMs: 80, maxRetries: 5 }).tax.remit({ amount: 10, paymentRegistrationNumber: 'PRN1' }),
    );
    await delay(50);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(e.bodies).toHaveLength(1);
  });
});
