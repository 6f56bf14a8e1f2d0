import { delay } from 'msw';
import { describe, expect, it } from 'vitest';
import { DarajaApiError, DarajaUnknownOutcomeError, DarajaValidationError } from '../../../../src/index.js';
import { B2C_SHORTCODE, DOC_SECURITY_CREDENTIALS } from '../../../fixtures/constants.js';
import { makeClient, makeInitiatorClient, rejection } from '../../../helpers/client.js';
import { ACCEPTED, fakeDaraja, routeOn, useMsw } from '../../../helpers/fake-daraja.js';

const STATUS = '/mpesa/transactionstatus/v1/query';
const BALANCE = '/mpesa/accountbalance/v1/query';
const REVERSAL = '/mpesa/reversal/v1/request';
const QR = '/mpesa/qrcode/v1/generate';
const mock = fakeDaraja();
const server = useMsw(...mock.handlers);

const route = routeOn(server);

const client = makeInitiatorClient;

describe('transactions.status', () => {
  it('reproduces the documented sample field for field ("Command ID" → CommandID, "Transaction ID" → TransactionID)', async () => {
    const e = route(STATUS, {
      json: {
        OriginatorConversationID: '1236-7134259-1',
        ConversationID: 'AG_20210709_1234409f86436c583e3f',
        ResponseCode: '0',
        ResponseDescription: 'Accept the service request successfully.',
      },
    });
    const response = await client({
      initiatorName: 'testapiuser',
      securityCredential: DOC_SECURITY_CREDENTIALS[2],
    }).transactions.status({
      transactionId: 'NEF61H8J60',
      originalConversationId: '7071-4170-a0e5-8345632bad442144258',
      shortcode: '600782',
      identifierType: '4',
      resultUrl: 'http://myservice:8080/transactionstatus/result',
      queueTimeoutUrl: 'http://myservice:8080/timeout',
      remarks: 'OK',
      occasion: 'OK',
    });
    expect(e.bodies).toEqual([
      {
        Initiator: 'testapiuser',
        SecurityCredential: DOC_SECURITY_CREDENTIALS[2],
        CommandID: 'TransactionStatusQuery',
        TransactionID: 'NEF61H8J60',
        OriginalConversationID: '7071-4170-a0e5-8345632bad442144258',
        PartyA: '600782',
        IdentifierType: '4',
        ResultURL: 'http://myservice:8080/transactionstatus/result',
        QueueTimeOutURL: 'http://myservice:8080/timeout',
        Remarks: 'OK',
        Occasion: 'OK',
      },
    ]);
    expect(response).toEqual({
      originatorConversationId: '1236-7134259-1',
      conversationId: 'AG_20210709_1234409f86436c583e3f',
      responseCode: '0',
      responseDescription: 'Accept the service request successfully.',
    });
  });

  it('takes either id, and needs one of them', async () => {
    const e = route(STATUS, { json: ACCEPTED });
    await client().transactions.status({ originalConversationId: 'payout-42' });
    expect(e.bodies[0]).toMatchObject({
      OriginalConversationID: 'payout-42',
      PartyA: B2C_SHORTCODE,
      Remarks: 'Transaction status',
    });
    expect(e.bodies[0]).not.toHaveProperty('TransactionID');
    expect(e.bodies[0]).not.toHaveProperty('Occasion');
    const error = await rejection(client().transactions.status({}));
    expect(error).toMatchObject({ name: 'DarajaValidationError', field: 'transactionId' });
    const bad = await rejection(client().transactions.status({ transactionId: 'NEF 61H' }));
    expect(bad).toMatchObject({ name: 'DarajaValidationError', field: 'transactionId' });
    expect(e.bodies).toHaveLength(1);
  });

  it('is a query: retried after a timeout and a gateway 503', async () => {
    const e = route(STATUS, { hang: 1_000 }, { text: '', status: 503 }, { json: ACCEPTED });
    const response = await client({ timeoutMs: 80 }).transactions.status({ transactionId: 'NEF61H8J60' });
    expect(response.responseCode).toBe('0');
    expect(e.bodies).toHaveLength(3);
  });
});

describe('account.balance', () => {
  it('reproduces the documented sample field for field', async () => {
    const e = route(BALANCE, {
      json: {
        OriginatorConversationID: '515-5258779-3',
        ConversationID: 'AG_20200123_0000417fed8ed666e976',
        ResponseCode: '0',
        ResponseDescription: 'Accept the service request successfully',
      },
    });
    const response = await client({
      initiatorName: 'testapiuser',
      securityCredential: DOC_SECURITY_CREDENTIALS[3],
      initiatorShortcode: '600000',
      resultUrl: 'http://myservice:8080/result',
      queueTimeoutUrl: 'http://myservice:8080/queuetimeouturl',
    }).account.balance({ remarks: 'ok' });
    expect(e.bodies).toEqual([
      {
        Initiator: 'testapiuser',
        SecurityCredential: DOC_SECURITY_CREDENTIALS[3],
        CommandID: 'AccountBalance',
        PartyA: '600000',
        IdentifierType: '4',
        Remarks: 'ok',
        QueueTimeOutURL: 'http://myservice:8080/queuetimeouturl',
        ResultURL: 'http://myservice:8080/result',
      },
    ]);
    expect(response.conversationId).toBe('AG_20200123_0000417fed8ed666e976');
  });

  it('works with no arguments and maps the maintenance answer to a hint', async () => {
    route(BALANCE, {
      status: 500,
      json: {
        requestId: 'r',
        errorCode: '00.002.1001',
        errorMessage: 'Service is currently under maintenance',
      },
    });
    const error = await rejection(client({ maxRetries: 0 }).account.balance());
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error.message).toMatch(/under maintenance. Try again later/);
  });
});

describe('reversal.reverse', () => {
  it('reproduces the documented sample field for field (RecieverIdentifierType 11)', async () => {
    const e = route(REVERSAL, {
      json: {
        OriginatorConversationID: 'f1e2-4b95-a71d-b30d3cdbb7a7735297',
        ConversationID: 'AG_20210706_20106e9209f64bebd05b',
        ResponseCode: '0',
        ResponseDescription: 'Accept the service request successfully.',
      },
    });
    const response = await client({
      initiatorName: 'apiop37',
      securityCredential: DOC_SECURITY_CREDENTIALS[4],
    }).reversal.reverse({
      transactionId: 'PDU91HIVIT',
      amount: 200,
      shortcode: '603021',
      resultUrl: 'https://mydomain.com/reversal/result',
      queueTimeoutUrl: 'https://mydomain.com/reversal/queue',
      remarks: 'Payment reversal',
    });
    expect(e.bodies).toEqual([
      {
        Initiator: 'apiop37',
        SecurityCredential: DOC_SECURITY_CREDENTIALS[4],
        CommandID: 'TransactionReversal',
        TransactionID: 'PDU91HIVIT',
        Amount: '200',
        ReceiverParty: '603021',
        RecieverIdentifierType: '11',
        ResultURL: 'https://mydomain.com/reversal/result',
        QueueTimeOutURL: 'https://mydomain.com/reversal/queue',
        Remarks: 'Payment reversal',
      },
    ]);
    expect(response.originatorConversationId).toBe('f1e2-4b95-a71d-b30d3cdbb7a7735297');
  });

  it('validates before sending', async () => {
    const e = route(REVERSAL, { json: ACCEPTED });
    for (const [params, field] of [
      [{ transactionId: 'PDU91HIVIT', amount: 0 }, 'amount'],
      [{ transactionId: '', amount: 10 }, 'transactionId'],
      [{ transactionId: 'PDU91HIVIT', amount: 10, receiverIdentifierType: '9' }, 'receiverIdentifierType'],
    ] as const) {
      const error = await rejection(client().reversal.reverse(params as never));
      expect(error).toBeInstanceOf(DarajaValidationError);
      expect(error).toMatchObject({ field });
    }
    expect(e.bodies).toHaveLength(0);
  });

  it('sends exactly one request after a timeout and reports an unknown outcome', async () => {
    const e = route(REVERSAL, { hang: 1_000 });
    const error = await rejection(
      client({ timeoutMs: 80, maxRetries: 5 }).reversal.reverse({ transactionId: 'PDU91HIVIT', amount: 200 }),
    );
    await delay(50);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error.message).toMatch(/NOT resent/);
    expect(e.bodies).toHaveLength(1);
  });
});

describe('qr.generate', () => {
  const params = {
    merchantName: 'TEST SUPERMARKET',
    refNo: 'Invoice Test',
    amount: 1,
    trxCode: 'BG',
    creditPartyIdentifier: '373132',
    size: 300,
  } as const;

  it('reproduces the documented sample field for field and reads the answer (ResponseDescription quoted)', async () => {
    const e = route(QR, {
      json: {
        ResponseCode: 'AG_20191219_000043fdf61864fe9ff5',
        RequestID: '16738-27456357-1',
        ResponseDescription: 'QR Code Successfully Generated.',
        QRCode: 'iVBORw0KGgo',
      },
    });
    const response = await makeClient().qr.generate(params);
    expect(e.bodies).toEqual([
      {
        MerchantName: 'TEST SUPERMARKET',
        RefNo: 'Invoice Test',
        Amount: 1,
        TrxCode: 'BG',
        CPI: '373132',
        Size: '300',
      },
    ]);
    expect(response).toEqual({
      qrCode: 'iVBORw0KGgo',
      requestId: '16738-27456357-1',
      responseCode: 'AG_20191219_000043fdf61864fe9ff5',
      responseDescription: 'QR Code Successfully Generated.',
    });
  });

  it('normalises a phone number for send money, validates, and fails clearly without a QR code', async () => {
    const e = route(QR, { json: { ResponseCode: '1', ResponseDescription: 'Invalid CPI' } });
    const error = await rejection(
      makeClient().qr.generate({ ...params, trxCode: 'SM', creditPartyIdentifier: '0712345678' }),
    );
    expect(e.bodies[0]?.['CPI']).toBe('254712345678');
    expect(error).toMatchObject({ name: 'DarajaApiError', errorCode: '1', errorMessage: 'Invalid CPI' });
    for (const [override, field] of [
      [{ trxCode: 'XX' }, 'trxCode'],
      [{ amount: 0.5 }, 'amount'],
      [{ merchantName: '' }, 'merchantName'],
      [{ size: 10 }, 'size'],
    ] as const) {
      const invalid = await rejection(makeClient().qr.generate({ ...params, ...override } as never));
      expect(invalid).toMatchObject({ name: 'DarajaValidationError', field });
    }
    expect(e.bodies).toHaveLength(1);
  });
});
