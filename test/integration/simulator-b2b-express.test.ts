import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DarajaValidationError } from '../../src/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET } from '../fixtures/constants.js';
import { makeClient } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';
import { type ResultReceiver, startResultReceiver } from '../helpers/result-receiver.js';

// B2B Express Checkout against the simulator over real HTTP: the SDK pushes, the simulator answers
// `code "0"`, then POSTs the flat callback to a callbackUrl served by the SDK's own
// createResultHandler({ kind: 'b2bExpress' }), which must parse it into the right outcome.
let receiver: ResultReceiver;
const sims: Simulator[] = [];

async function simulator(mode: 'auto' | 'manual' = 'auto') {
  const sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    callbackDelayMs: 20,
    logger: testLogger,
    mode,
  });
  sims.push(sim);
  return sim;
}

const params = (amount: number, requestRefId?: string) => ({
  primaryShortCode: '000001',
  receiverShortCode: '000002',
  amount,
  paymentRef: 'INV-42',
  callbackUrl: receiver.url('/b2bExpress/result'),
  partnerName: 'Vendor',
  ...(requestRefId === undefined ? {} : { requestRefId }),
});

/** A control API call on the simulator. */
async function control(sim: Simulator, path: string, body?: unknown) {
  const response = await fetch(`${sim.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  receiver = await startResultReceiver();
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
  expect(receiver.handlerErrors).toEqual([]);
  receiver.reset();
});
afterAll(() => receiver.close());

describe('B2B Express Checkout against the simulator', () => {
  it('success: the ack, then a callback whose requestId is our requestRefId, with a receipt', async () => {
    const sim = await simulator();
    const results = receiver.results('b2bExpress');
    const daraja = makeClient({ baseUrl: sim.url });
    const ack = await daraja.b2bExpress.push(params(1500));
    expect(ack).toMatchObject({ code: '0', status: 'USSD Initiated Successfully' });
    await sim.idle();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      status: 'completed',
      resultCode: '0',
      requestId: ack.requestRefId,
      amount: 1500,
      transactionId: expect.stringMatching(/^[A-Z][A-Z0-9]{9}$/),
      conversationId: expect.stringMatching(/^AG_\d{8}_/),
      statusText: 'SUCCESS',
    });
    expect(sim.requests.at(-1)).toMatchObject({ operation: 'b2bExpress.push', status: 200 });
    const listed = await control(sim, `/simulator/b2b-express/${ack.requestRefId}`);
    expect(listed.body).toMatchObject({ status: 'completed', amount: 1500, paymentRef: 'INV-42' });
  });

  it('cancel (amount ending in 01): 4001 with the payment reference; 02 is a KYC failure', async () => {
    const sim = await simulator();
    const results = receiver.results('b2bExpress');
    const daraja = makeClient({ baseUrl: sim.url });
    const cancelled = await daraja.b2bExpress.push(params(101, 'order-101'));
    await daraja.b2bExpress.push(params(102, 'order-102'));
    await sim.idle();
    expect(cancelled.requestRefId).toBe('order-101');
    const byId = new Map(results.map((r) => [r.requestId, r]));
    expect(byId.get('order-101')).toMatchObject({
      status: 'cancelled',
      resultCode: '4001',
      resultDesc: 'User cancelled transaction',
      amount: 101,
      paymentReference: 'INV-42',
      transactionId: undefined,
    });
    expect(byId.get('order-102')).toMatchObject({ status: 'failed', resultCode: '4102' });
  });

  it('queued outcomes come first; manual mode waits for resolve through the control API', async () => {
    const sim = await simulator('manual');
    const results = receiver.results('b2bExpress');
    const daraja = makeClient({ baseUrl: sim.url });
    expect(
      (await control(sim, '/simulator/b2b-express/next-outcome', { outcomes: ['cancelled'] })).status,
    ).toBe(200);
    await daraja.b2bExpress.push(params(1500, 'queued'));
    await daraja.b2bExpress.push(params(1500, 'held'));
    await sim.idle();
    expect(results.map((r) => [r.requestId, r.status])).toEqual([['queued', 'cancelled']]);
    const resolved = await control(sim, '/simulator/b2b-express/held/resolve', { outcome: 'success' });
    expect(resolved).toMatchObject({ status: 200, body: { status: 'completed' } });
    expect((await control(sim, '/simulator/b2b-express/held/resolve', {})).status).toBe(409);
    expect((await control(sim, '/simulator/b2b-express/next-outcome', { outcome: 'nonsense' })).status).toBe(
      400,
    );
    await sim.idle();
    expect(results.map((r) => [r.requestId, r.status])).toEqual([
      ['queued', 'cancelled'],
      ['held', 'completed'],
    ]);
  });

  it('checks the fields as Daraja documents them: a bad field sent raw is refused; the SDK refuses it first', async () => {
    const sim = await simulator();
    const daraja = makeClient({ baseUrl: sim.url });
    await expect(daraja.b2bExpress.push({ ...params(100), partnerName: '' })).rejects.toBeInstanceOf(
      DarajaValidationError,
    );
    expect(sim.requests.filter((r) => r.operation === 'b2bExpress.push')).toHaveLength(0);
    const oauth = await fetch(`${sim.url}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64')}`,
      },
    });
    const { access_token } = (await oauth.json()) as { access_token: string };
    const raw = (body: unknown, token = access_token) =>
      fetch(`${sim.url}/v1/ussdpush/get-msisdn`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const missing = await raw(params(100)); // every field but RequestRefID
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ errorMessage: 'Bad Request - Invalid RequestRefID' });
    expect((await raw({ ...params(100), RequestRefID: 'r' }, 'wrong-token')).status).toBe(404); // the gateway's 404.001.03, as for every product
    expect(sim.callbacks).toHaveLength(0);
  });
});
