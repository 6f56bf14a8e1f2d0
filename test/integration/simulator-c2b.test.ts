import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { c2bReject } from '../../src/inbound/index.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
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

// C2B and pull transactions through the SDK against the simulator: register URLs, simulate payments,
// and a local merchant server that answers validation with the SDK's c2bAccept/c2bReject and parses
// every payload with parseC2bPayload.
const PAYBILL = '600984';
let receiver: ResultReceiver;
const sims: Simulator[] = [];

async function setUp(options: SimulatorOptions = {}) {
  const sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    initiatorName: INITIATOR_NAME,
    initiatorPassword: INITIATOR_PASSWORD,
    initiatorShortcode: B2C_SHORTCODE,
    callbackDelayMs: 20,
    lateCallbackDelayMs: 200,
    logger: testLogger,
    ...options,
  });
  sims.push(sim);
  const daraja = makeClient({
    baseUrl: sim.url,
    shortcode: PAYBILL,
    initiatorName: INITIATOR_NAME,
    initiatorPassword: INITIATOR_PASSWORD,
    certificate: sim.certificate,
    initiatorShortcode: B2C_SHORTCODE,
    resultUrl: receiver.url('/result/result'),
    queueTimeoutUrl: receiver.url('/queueTimeout/result'),
  });
  return { sim, daraja };
}
const urls = () => ({
  confirmationUrl: receiver.url('/c2b/confirmation'),
  validationUrl: receiver.url('/c2b/validation'),
});

beforeAll(async () => {
  receiver = await startResultReceiver();
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
  expect(receiver.handlerErrors).toEqual([]);
  receiver.reset();
});
afterAll(() => receiver.close());

describe('C2B register and simulate', () => {
  it('delivers the validation request, then the confirmation, in the documented shape (v1: hashed MSISDN)', async () => {
    const { sim, daraja } = await setUp();
    const { validations, confirmations } = receiver.c2b(() => ({
      ResultCode: '0',
      ResultDesc: 'Accepted',
      ThirdPartyTransID: 'order-77',
    }));
    const registered = await daraja.c2b.registerUrls(urls());
    expect(registered).toEqual({
      originatorConversationId: expect.stringMatching(/^\d+-\d+-\d$/),
      responseCode: '0',
      responseDescription: 'success',
    });
    expect(sim.c2bRegistrations).toEqual([
      expect.objectContaining({ shortcode: PAYBILL, responseType: 'Completed', version: 'v1', ...urls() }),
    ]);
    const simulated = await daraja.c2b.simulate({
      phoneNumber: '0712345678',
      amount: 250,
      billRefNumber: 'INV-7',
    });
    expect(simulated.responseDescription).toBe('Accept the service request successfully.');
    await sim.idle();

    expect(receiver.received.map((r) => r.path)).toEqual(['/c2b/validation', '/c2b/confirmation']);
    const [validation] = validations;
    const [confirmation] = confirmations;
    const hashed = createHash('sha256').update('254712345678').digest('hex');
    expect(validation).toMatchObject({
      transactionType: 'Pay Bill',
      amount: 250,
      businessShortcode: PAYBILL,
      billRefNumber: 'INV-7',
      orgAccountBalance: undefined, // blank in validation requests
      thirdPartyTransId: '',
      msisdn: hashed,
      phoneNumber: undefined,
      firstName: 'JOHN',
      lastName: 'DOE',
    });
    expect(confirmation).toMatchObject({
      transactionId: validation!.transactionId,
      amount: 250,
      orgAccountBalance: 1_000_250,
      thirdPartyTransId: 'order-77',
      msisdn: hashed,
    });
    expect(Math.abs(confirmation!.transactionTime.getTime() - Date.now())).toBeLessThan(5000);
    // Every value is a string, as Daraja sends them.
    for (const post of receiver.received)
      for (const value of Object.values(post.body as Record<string, unknown>))
        expect(typeof value).toBe('string');
    expect((receiver.received[0]!.body as Record<string, string>)['TransAmount']).toBe('250.00');

    expect(sim.c2bPayments).toEqual([
      expect.objectContaining({
        transactionId: validation!.transactionId,
        status: 'completed',
        reason: 'accepted by the validation URL',
        validation: { resultCode: '0', resultDesc: 'Accepted', thirdPartyTransId: 'order-77' },
      }),
    ]);
    expect(sim.ledger).toEqual([
      expect.objectContaining({ kind: 'c2b', amount: 250, billReference: 'INV-7' }),
    ]);
    expect(sim.callbacks.map((c) => [c.operation, c.ok])).toEqual([
      ['c2b.validation', true],
      ['c2b.confirmation', true],
    ]);
    expect(sim.requests.map((r) => r.operation)).toEqual(['oauth', 'c2b.registerUrls', 'c2b.simulate']);
  });

  it('v2 carries a masked MSISDN; Buy Goods has no account number', async () => {
    const { sim, daraja } = await setUp();
    const { confirmations } = receiver.c2b();
    await daraja.c2b.registerUrls({ ...urls(), version: 'v2' });
    await daraja.c2b.simulate({
      phoneNumber: '254708374149',
      amount: 10,
      commandId: 'CustomerBuyGoodsOnline',
      version: 'v2',
    });
    await sim.idle();
    expect(confirmations[0]).toMatchObject({
      transactionType: 'Buy Goods',
      msisdn: '2547 ***** 149',
      billRefNumber: '',
    });
    expect(sim.requests.at(-1)!.path).toBe('/mpesa/c2b/v2/simulate');
  });

  it('a rejecting validation answer stops the confirmation, and no money moves', async () => {
    const { sim, daraja } = await setUp();
    const { validations, confirmations } = receiver.c2b((payment) =>
      payment.billRefNumber.startsWith('INV-')
        ? { ResultCode: '0', ResultDesc: 'Accepted' }
        : c2bReject('C2B00012'),
    );
    await daraja.c2b.registerUrls(urls());
    await daraja.c2b.simulate({ phoneNumber: '0712345678', amount: 100, billRefNumber: 'UNKNOWN' });
    await sim.idle();
    expect(validations).toHaveLength(1);
    expect(confirmations).toHaveLength(0);
    expect(sim.c2bPayments[0]).toMatchObject({
      status: 'rejected',
      reason: 'rejected by the validation URL (C2B00012)',
      validation: { resultCode: 'C2B00012', resultDesc: 'Rejected' },
    });
    expect(sim.ledger).toEqual([]);
  });

  it('no valid validation answer: ResponseType Completed goes on, Cancelled rejects', async () => {
    const { sim, daraja } = await setUp({ c2bValidationTimeoutMs: 100 });
    const { confirmations } = receiver.c2b();
    receiver.on('/c2b/validation', async () => {
      await sleep(300); // longer than the validation timeout
      return { body: { ResultCode: '0', ResultDesc: 'Accepted' } };
    });
    await daraja.c2b.registerUrls({ ...urls(), responseType: 'Completed' });
    await daraja.c2b.simulate({ phoneNumber: '0712345678', amount: 100, billRefNumber: 'A' });
    await sim.idle();
    expect(confirmations).toHaveLength(1);
    expect(sim.c2bPayments[0]!.reason).toBe(
      'no valid answer from the validation URL; ResponseType Completed applied',
    );
    expect(sim.callbacks[0]).toMatchObject({ operation: 'c2b.validation', ok: false, error: 'timeout' });

    receiver.on('/c2b/validation', () => ({ status: 500, body: {} }));
    await daraja.c2b.registerUrls({ ...urls(), responseType: 'Cancelled' }); // the sandbox lets you re-register
    expect(sim.c2bRegistrations).toEqual([expect.objectContaining({ responseType: 'Cancelled' })]);
    await daraja.c2b.simulate({ phoneNumber: '0712345678', amount: 100, billRefNumber: 'B' });
    await sim.idle();
    expect(confirmations).toHaveLength(1);
    expect(sim.c2bPayments[1]).toMatchObject({
      status: 'rejected',
      reason: 'no valid answer from the validation URL; ResponseType Cancelled applied',
    });
  });

  it('without a validation URL the confirmation comes alone; without any URL nothing is sent', async () => {
    const { sim, daraja } = await setUp();
    const { confirmations } = receiver.c2b();
    await daraja.c2b.simulate({
      phoneNumber: '0712345678',
      amount: 5,
      billRefNumber: 'A',
      shortcode: '600111',
    });
    const token = (await (
      await fetch(`${sim.url}/oauth/v1/generate?grant_type=client_credentials`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64')}`,
        },
      })
    ).json()) as { access_token: string };
    const raw = await fetch(`${sim.url}/mpesa/c2b/v1/registerurl`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        ShortCode: PAYBILL,
        ResponseType: 'Completed',
        ConfirmationURL: urls().confirmationUrl,
      }),
    });
    expect(raw.status).toBe(200);
    await daraja.c2b.simulate({ phoneNumber: '0712345678', amount: 5, billRefNumber: 'B' });
    await sim.idle();
    expect(receiver.received.map((r) => r.path)).toEqual(['/c2b/confirmation']);
    expect(confirmations[0]!.billRefNumber).toBe('B');
    expect(sim.c2bPayments.map((p) => [p.shortcode, p.status, p.reason])).toEqual([
      ['600111', 'completed', 'paid; no URLs are registered for this shortcode, so nothing was sent'],
      [PAYBILL, 'completed', 'paid (no validation URL registered)'],
    ]);
  });

  it('the payer rule: 03 cannot pay, 05 no confirmation, 06 two confirmations, 07 a late one', async () => {
    const { sim, daraja } = await setUp();
    const { validations, confirmations } = receiver.c2b();
    await daraja.c2b.registerUrls(urls());
    for (const suffix of ['03', '05', '06', '07'])
      await daraja.c2b.simulate({ phoneNumber: `07123456${suffix}`, amount: 10, billRefNumber: suffix });
    await sim.idle();
    const byRef = (ref: string) => sim.c2bPayments.find((p) => p.billRefNumber === ref)!;
    expect(byRef('03')).toMatchObject({ status: 'failed' });
    expect(validations.map((v) => v.billRefNumber).sort()).toEqual(['05', '06', '07']);
    expect(confirmations.map((c) => c.billRefNumber).sort()).toEqual(['06', '06', '07']);
    expect([byRef('05').delivery, byRef('06').delivery, byRef('07').delivery]).toEqual([
      'none',
      'duplicate',
      'late',
    ]);
    const late = sim.callbacks.find(
      (c) => c.operation === 'c2b.confirmation' && c.transactionId === byRef('07').transactionId,
    )!;
    expect(late.time.getTime() - byRef('07').decidedAt!.getTime()).toBeGreaterThanOrEqual(190);
    expect(sim.ledger.map((e) => e.billReference).sort()).toEqual(['05', '06', '07']);
  });
});

describe('pull transactions', () => {
  it('registers once (then 1001), and lists the C2B payments of a period, paged', async () => {
    const { sim, daraja } = await setUp();
    receiver.c2b();
    const first = await daraja.pull.register({
      nominatedNumber: '0722000000',
      callbackUrl: receiver.url('/pull'),
    });
    const second = await daraja.pull.register({
      nominatedNumber: '0722000000',
      callbackUrl: receiver.url('/pull'),
    });
    expect([first.responseStatus, first.alreadyRegistered, first.responseDescription]).toEqual([
      '1000',
      false,
      'Shortcode Registered Successfully',
    ]);
    expect([second.responseStatus, second.alreadyRegistered]).toEqual(['1001', true]);

    const start = new Date(Date.now() - 1000);
    await daraja.c2b.registerUrls(urls());
    await daraja.c2b.simulate({ phoneNumber: '0712345678', amount: 120, billRefNumber: 'INV-1' });
    await daraja.c2b.simulate({
      phoneNumber: '0712345679',
      amount: 80,
      commandId: 'CustomerBuyGoodsOnline',
    });
    await sim.idle();
    const { transactions, responseCode } = await daraja.pull.query({ startDate: start, endDate: new Date() });
    expect(responseCode).toBe('1000');
    expect(transactions.map((t) => [t.transactionType, t.billReference, t.amount, t.msisdn]).sort()).toEqual([
      ['c2b-buy-goods-debit', '', 80, '2547 ***** 679'],
      ['c2b-pay-bill-debit', 'INV-1', 120, '2547 ***** 678'],
    ]);
    for (const t of transactions) {
      expect(sim.c2bPayments.map((p) => p.transactionId)).toContain(t.transactionId);
      expect(t.date!.getTime()).toBeGreaterThanOrEqual(start.getTime() - 1000);
      expect(t.organizationName).toBe('Daraja Simulator');
    }
    expect(
      (await daraja.pull.query({ startDate: start, endDate: new Date(), offset: 1 })).transactions,
    ).toHaveLength(1);
    const empty = await daraja.pull.query({
      startDate: '2020-08-04 8:36:00',
      endDate: '2020-08-16 10:10:00',
    });
    expect([empty.responseCode, empty.transactions]).toEqual(['1001', []]);
  });
});

describe('C2B with the initiator APIs', () => {
  it('a C2B payment can be looked up and reversed; its status then says Reversed', async () => {
    const { sim, daraja } = await setUp();
    receiver.c2b();
    const statuses = receiver.results('transactionStatus');
    const reversals = receiver.results('reversal');
    await daraja.c2b.registerUrls(urls());
    await daraja.c2b.simulate({ phoneNumber: '0712345678', amount: 400, billRefNumber: 'WRONG-ACC' });
    await sim.idle();
    const { transactionId } = sim.c2bPayments[0]!;
    await daraja.reversal.reverse({
      transactionId,
      amount: 400,
      resultUrl: receiver.url('/reversal/result'),
    });
    await sim.idle();
    await daraja.transactions.status({ transactionId, resultUrl: receiver.url('/transactionStatus/result') });
    await sim.idle();
    expect(reversals[0]).toMatchObject({
      success: true,
      originalTransactionId: transactionId,
      amount: 400,
      creditParty: { phoneNumber: '254712345678', name: 'JOHN DOE' },
    });
    expect(statuses[0]).toMatchObject({
      transactionStatus: 'Reversed',
      receiptNumber: transactionId,
      reasonType: 'Pay Bill Online',
      debitAccountType: 'Customer Account',
    });
  });
});
