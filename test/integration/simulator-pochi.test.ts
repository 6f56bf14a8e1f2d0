import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DarajaDuplicateError, DarajaValidationError } from '../../src/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import {
  B2C_SHORTCODE,
  CONSUMER_KEY,
  CONSUMER_SECRET,
  INITIATOR_NAME,
  INITIATOR_PASSWORD,
} from '../fixtures/constants.js';
import { makeClient } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';
import { type ResultReceiver, startResultReceiver } from '../helpers/result-receiver.js';

// Business to Pochi (`daraja.b2c.payToPochi`) against the simulator over real HTTP: the request on
// /mpesa/b2pochi/v1/paymentrequest, the duplicate check on its OriginatorConversationID, and the result
// POSTed to the ResultURL, parsed by the SDK's createResultHandler({ kind: 'b2c' }) in a local receiver.
let receiver: ResultReceiver;
let sim: Simulator;

beforeAll(async () => {
  receiver = await startResultReceiver();
});
afterEach(async () => {
  await sim?.close();
  expect(receiver.handlerErrors).toEqual([]);
  receiver.reset();
});
afterAll(() => receiver.close());

async function setUp() {
  sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    initiatorName: INITIATOR_NAME,
    initiatorPassword: INITIATOR_PASSWORD,
    initiatorShortcode: B2C_SHORTCODE,
    callbackDelayMs: 20,
    logger: testLogger,
  });
  // Configured as for Daraja: initiator, password + the simulator's certificate, result URLs.
  const daraja = makeClient({
    baseUrl: sim.url,
    initiatorName: INITIATOR_NAME,
    initiatorPassword: INITIATOR_PASSWORD,
    certificate: sim.certificate,
    initiatorShortcode: B2C_SHORTCODE,
    resultUrl: receiver.url('/b2c/result'),
    queueTimeoutUrl: receiver.url('/queueTimeout/result'),
  });
  return { daraja, results: receiver.results('b2c') };
}

describe('Business to Pochi against the simulator', () => {
  it('accepts a payment like Daraja and POSTs a B2C-shaped result that parses into a B2cResult', async () => {
    const { daraja, results } = await setUp();
    const accepted = await daraja.b2c.payToPochi({
      phoneNumber: '0712345678',
      amount: 1500,
      originatorConversationId: 'pochi-1001',
      occasion: 'ChristmasPay',
    });
    expect(accepted).toMatchObject({
      originatorConversationId: 'pochi-1001',
      conversationId: expect.stringMatching(/^AG_\d{8}_[0-9a-f]{20}$/),
      responseCode: '0',
      responseDescription: 'Accept the service request successfully.',
      phoneNumber: '254712345678',
      amount: 1500,
    });
    expect(sim.operation('pochi-1001')).toMatchObject({
      operation: 'b2c.payToPochi',
      status: 'pending',
      commandId: 'BusinessPayToPochi',
      credentialValid: true,
    });
    await sim.idle();

    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      success: true,
      resultCode: '0',
      originatorConversationId: 'pochi-1001',
      conversationId: accepted.conversationId,
      amount: 1500,
      receiver: { identifier: '254712345678', name: 'JOHN DOE', phoneNumber: '254712345678' },
      recipientIsRegisteredCustomer: true,
      utilityAccountAvailableFunds: 1_000_000 - 1500, // paid from the B2C Utility account, as B2C
    });
    expect(results[0]!.receiptNumber).toMatch(/^[A-Z][A-Z0-9]{9}$/);
    const request = sim.requests.find((r) => r.operation === 'b2c.payToPochi')!;
    expect(request).toMatchObject({ path: '/mpesa/b2pochi/v1/paymentrequest', status: 200 });
    expect(request.body).toMatchObject({
      OriginatorConversationID: 'pochi-1001',
      CommandID: 'BusinessPayToPochi',
      SecurityCredential: '[redacted]',
      Occassion: 'ChristmasPay',
    });
    expect(receiver.received.map((r) => r.path)).toEqual(['/b2c/result']);
  });

  it('refuses a second request with the same id as a duplicate (DarajaDuplicateError); pays once', async () => {
    const { daraja, results } = await setUp();
    const pay = () =>
      daraja.b2c.payToPochi({ phoneNumber: '0712345678', amount: 50, originatorConversationId: 'once' });
    await pay();
    const again = await pay().catch((e: unknown) => e);
    expect(again).toBeInstanceOf(DarajaDuplicateError);
    expect(again).toMatchObject({ errorCode: '500.002.1001', operation: 'b2c.payToPochi' });
    await sim.idle();
    expect(sim.operations.map((o) => [o.originatorConversationId, o.status])).toEqual([
      ['once', 'completed'],
    ]);
    expect(results.map((r) => r.originatorConversationId)).toEqual(['once']);
  });

  it('decides by the phone number as for B2C: a number ending in 03 fails with 1 (Utility account)', async () => {
    const { daraja, results } = await setUp();
    await daraja.b2c.payToPochi({
      phoneNumber: '0712345603',
      amount: 500,
      originatorConversationId: 'short',
    });
    await sim.idle();
    expect(results[0]).toMatchObject({ success: false, resultCode: '1', amount: undefined });
    expect(results[0]!.meaning).toMatch(/Utility account/);
  });

  it('under the KES 10 minimum: refused by the SDK; a raw request is accepted, then fails with code 2', async () => {
    const { daraja, results } = await setUp();
    await expect(daraja.b2c.payToPochi({ phoneNumber: '0712345678', amount: 5 })).rejects.toBeInstanceOf(
      DarajaValidationError,
    );
    expect(sim.requests).toHaveLength(0);
    const basic = Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64');
    const oauth = await fetch(`${sim.url}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: { authorization: `Basic ${basic}` },
    });
    const { access_token } = (await oauth.json()) as { access_token: string };
    const answer = await fetch(`${sim.url}/mpesa/b2pochi/v1/paymentrequest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        OriginatorConversationID: 'below-minimum',
        InitiatorName: INITIATOR_NAME,
        SecurityCredential: sim.securityCredential(),
        CommandID: 'BusinessPayToPochi',
        Amount: '5',
        PartyA: B2C_SHORTCODE,
        PartyB: '254712345678',
        Remarks: 'remarked',
        QueueTimeOutURL: receiver.url('/queueTimeout/result'),
        ResultURL: receiver.url('/b2c/result'),
      }),
    });
    expect(answer.status).toBe(200);
    await sim.idle();
    expect(results[0]).toMatchObject({
      success: false,
      resultCode: '2',
      originatorConversationId: 'below-minimum',
    });
    expect(sim.ledger).toEqual([]);
  });
});
