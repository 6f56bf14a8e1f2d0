import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DarajaApiError, type RatibaStandingOrderParams } from '../../src/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET } from '../fixtures/constants.js';
import { makeClient, rejection } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';
import { type ResultReceiver, startResultReceiver } from '../helpers/result-receiver.js';

// M-Pesa Ratiba end to end: the SDK against the simulator over real HTTP, the callback arriving on a
// CallBackURL served by createResultHandler({ kind: 'ratiba' }). The simulator is written from the portal's
// pages, not from the SDK, so the request the SDK builds from its tables must pass the simulator's own
// version-B check, and the bodies the simulator sends must parse.
let sim: Simulator;
let receiver: ResultReceiver;

beforeAll(async () => {
  sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    callbackDelayMs: 10,
    logger: testLogger,
  });
  receiver = await startResultReceiver();
});
afterAll(async () => {
  await sim?.close();
  await receiver?.close();
});
beforeEach(() => {
  sim.reset();
  receiver.reset();
});

const order = (over: Partial<RatibaStandingOrderParams> = {}): RatibaStandingOrderParams => ({
  standingOrderName: 'Gym membership',
  startDate: '20270101',
  endDate: '20271231',
  businessShortCode: sim.shortcode,
  transactionType: 'payBill',
  amount: 1500,
  phoneNumber: '0708374149',
  callbackUrl: receiver.url('/ratiba/result'),
  accountReference: 'MEMBER-42',
  transactionDesc: 'Gym monthly',
  frequency: 'monthly',
  ...over,
});

const client = () => makeClient({ baseUrl: sim.url });

describe('M-Pesa Ratiba against the simulator', () => {
  it('creates a standing order: accepted, then a created callback carrying the order id and the customStoId', async () => {
    const results = receiver.results('ratiba');
    const ack = await client().ratiba.createStandingOrder(order());
    expect(ack.responseCode).toBe('200');
    await sim.idle();
    expect(receiver.handlerErrors).toEqual([]);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      status: 'created',
      success: true,
      requestRefId: ack.customStoId,
      standingOrderName: 'Gym membership',
      amount: 1500,
      firstPaymentReminderDate: '20270101',
      orderStatus: 'ACTIVE',
      resultStatus: 'OKAY',
      msisdn: '*********149',
    });
    expect(results[0]!.standingOrderId).toMatch(/^\d{7}$/);
  });

  it('reports a cancelled prompt (1032) as cancelled, in the PascalCase failure shape', async () => {
    const results = receiver.results('ratiba');
    await client().ratiba.createStandingOrder(order({ phoneNumber: '0712345601' }));
    await sim.idle();
    expect(results.map((r) => [r.resultCode, r.status, r.standingOrderId])).toEqual([
      ['1032', 'cancelled', undefined],
    ]);
    expect(receiver.received[0]!.body).toHaveProperty('ResponseHeader');
  });

  it('refuses a second order with the same name for the same customer with 1050, in the callback', async () => {
    const results = receiver.results('ratiba');
    await client().ratiba.createStandingOrder(order());
    await sim.idle();
    await client().ratiba.createStandingOrder(order({ frequency: 'weekly' }));
    await sim.idle();
    expect(results.map((r) => [r.resultCode, r.status])).toEqual([
      ['0', 'created'],
      ['1050', 'failed'],
    ]);
  });

  it('refuses a shortcode not issued to the app with the sandbox’s 400 envelope, read as a typed error', async () => {
    const error = await rejection(
      client().ratiba.createStandingOrder(order({ businessShortCode: '300584' })),
    );
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error).toMatchObject({
      status: 400,
      errorCode: '400',
      errorMessage: "Value in field 'BusinessShortCode' can only be what was issued for this application",
    });
  });

  it('accepts the August 2026 capture’s TransactionType spelling through wireValues, sent verbatim', async () => {
    const results = receiver.results('ratiba');
    const transactionType = 'Standing Order Pay Merchant External Third Party';
    await client().ratiba.createStandingOrder(
      order({ transactionType: 'buyGoods', wireValues: { transactionType } }),
    );
    await sim.idle();
    expect(sim.requests.at(-1)?.body).toMatchObject({
      TransactionType: transactionType,
      ReceiverPartyIdentifierType: '2',
    });
    expect(results.map((r) => r.status)).toEqual(['created']);
  });

  it('refuses a version-A Frequency or TransactionType sent through wireValues', async () => {
    const a = await rejection(
      client().ratiba.createStandingOrder(
        order({ wireValues: { transactionType: 'Standing Order Customer Pay Bill' } }),
      ),
    );
    expect(a).toMatchObject({
      errorCode: '400',
      errorMessage: "Value in field 'TransactionType' is invalid",
    });
    const b = await rejection(
      client().ratiba.createStandingOrder(order({ wireValues: { frequency: '10' } })),
    );
    expect(b).toMatchObject({ errorCode: '400', errorMessage: "Value in field 'Frequency' is invalid" });
  });
});
