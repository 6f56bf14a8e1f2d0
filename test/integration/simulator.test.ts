import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DARAJA_ENV_VARS,
  DarajaApiError,
  DarajaAuthError,
  DarajaNotFoundError,
  darajaTimestamp,
  parseDarajaTimestamp,
  stkPassword,
} from '../../src/index.js';
import { createSimulator, type Simulator, STK_OUTCOME_RULES } from '../../src/simulator/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET, PASSKEY, SHORTCODE } from '../fixtures/constants.js';
import { closedPort, startCallbackReceiver } from '../helpers/callback-receiver.js';
import { makeClient } from '../helpers/client.js';
import { captured, testLogger } from '../helpers/logger.js';

// The SDK against the simulator over real HTTP; a local receiver stands in for the merchant's callback
// route. The simulator takes the test credentials, and logs to the capturing logger, so the log scanner
// checks the simulator's logs as well as the SDK's.
let receiver: Awaited<ReturnType<typeof startCallbackReceiver>>;
const sims: Simulator[] = [];

async function simulator(options: Parameters<typeof createSimulator>[0] = {}) {
  const sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    callbackDelayMs: 20,
    logger: testLogger,
    ...options,
  });
  sims.push(sim);
  return { sim, daraja: makeClient({ baseUrl: sim.url, callbackUrl: receiver.url }) };
}

beforeAll(async () => {
  receiver = await startCallbackReceiver();
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
  receiver.received.length = 0;
  receiver.control.status = 200;
  receiver.control.hang = false;
});
afterAll(() => receiver.close());

type StkCallback = {
  MerchantRequestID: string;
  CheckoutRequestID: string;
  ResultCode: number;
  ResultDesc: string;
  CallbackMetadata?: { Item: { Name: string; Value?: unknown }[] };
};
const stkCallbackOf = (body: unknown) => (body as { Body: { stkCallback: StkCallback } }).Body.stkCallback;
const phoneEnding = (suffix: string) => `07123456${suffix}`;

describe('OAuth', () => {
  it('accepts the configured key and secret, and rejects others with DarajaAuthError', async () => {
    const { sim } = await simulator();
    await expect(makeClient({ baseUrl: sim.url }).verifyCredentials()).resolves.toBeUndefined();
    const error = await makeClient({ baseUrl: sim.url, consumerSecret: 'not-the-secret' })
      .verifyCredentials()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DarajaAuthError);
    expect((error as DarajaAuthError).status).toBe(400);
    expect(sim.requests.map((r) => [r.operation, r.status])).toEqual([
      ['oauth', 200],
      ['oauth', 400],
    ]);
  });

  it('defaults to its own documented fake credentials', async () => {
    const sim = await createSimulator();
    sims.push(sim);
    expect([sim.consumerKey, sim.consumerSecret, sim.shortcode, sim.passkey]).toEqual([
      'simulator-consumer-key',
      'simulator-consumer-secret',
      '174379',
      'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
    ]);
    const daraja = makeClient({
      baseUrl: sim.url,
      consumerKey: sim.consumerKey,
      consumerSecret: sim.consumerSecret,
    });
    await expect(daraja.verifyCredentials()).resolves.toBeUndefined();
    expect(Object.keys(sim.env)).toEqual(
      (['baseUrl', 'consumerKey', 'consumerSecret', 'shortcode', 'passkey'] as const).map(
        (o) => DARAJA_ENV_VARS[o],
      ),
    );
    expect(sim.env).toEqual({
      MPESA_BASE_URL: sim.url,
      MPESA_CONSUMER_KEY: 'simulator-consumer-key',
      MPESA_CONSUMER_SECRET: 'simulator-consumer-secret',
      MPESA_SHORTCODE: '174379',
      MPESA_PASSKEY: sim.passkey,
    });
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.port).toBeGreaterThan(0);
  });

  it('an expired token gets 404.001.03 and the SDK fetches a new one and replays once', async () => {
    const { sim, daraja } = await simulator({ callbackDelayMs: 10_000 });
    await daraja.stk.push({ phoneNumber: '0712345678', amount: 5, accountReference: 'A' });
    sim.expireTokens();
    await expect(
      daraja.stk.push({ phoneNumber: '0712345678', amount: 5, accountReference: 'B' }),
    ).resolves.toMatchObject({ responseCode: '0' });
    expect(sim.requests.map((r) => `${r.operation} ${r.status}`)).toEqual([
      'oauth 200',
      'stk.push 200',
      'stk.push 404',
      'oauth 200',
      'stk.push 200',
    ]);
    expect(sim.requests[2]!.response).toMatchObject({
      errorCode: '404.001.03',
      errorMessage: 'Invalid Access Token',
    });
    expect(sim.transactions).toHaveLength(2);
  });
});

describe('STK push, query and callbacks by the phone-number rule', () => {
  // Each rule end to end: pending while the prompt is open, then the final status in the query and
  // the callback. The decision waits 300 ms, far longer than a local push and query take.
  const cases = [
    ...STK_OUTCOME_RULES.filter((r) => ['01', '02', '03', '04'].includes(r.suffix)).map((r) => ({
      suffix: r.suffix,
      code: r.resultCode,
      label: String(r.resultCode),
    })),
    { suffix: '00', code: 0, label: '0' },
    { suffix: '49', code: 0, label: '0' },
  ];
  const expected: Record<number, { status: string; desc: string }> = {
    0: { status: 'completed', desc: 'The service request is processed successfully.' },
    1032: { status: 'cancelled', desc: 'Request cancelled by user' },
    1037: { status: 'timeout', desc: 'DS timeout user cannot be reached' },
    1: { status: 'failed', desc: 'The balance is insufficient for the transaction.' },
    2001: { status: 'failed', desc: 'The initiator information is invalid.' },
  };

  it.each(cases)('a phone number ending $suffix gives ResultCode $label', async ({ suffix, code }) => {
    const { sim, daraja } = await simulator({ callbackDelayMs: 300 });
    const push = await daraja.stk.push({
      phoneNumber: phoneEnding(suffix),
      amount: 150,
      accountReference: 'INV-7',
    });
    expect(push).toMatchObject({
      responseCode: '0',
      responseDescription: 'Success. Request accepted for processing',
      customerMessage: 'Success. Request accepted for processing',
    });
    expect(push.checkoutRequestId).toMatch(/^ws_CO_\d{14}\d+$/);
    expect((await daraja.stk.query({ checkoutRequestId: push.checkoutRequestId })).status).toBe('pending');

    const [received] = await receiver.waitFor(1);
    expect(received!.headers['content-type']).toMatch(/^application\/json/);
    const cb = stkCallbackOf(received!.body);
    expect(cb.MerchantRequestID).toBe(push.merchantRequestId);
    expect(cb.CheckoutRequestID).toBe(push.checkoutRequestId);
    expect(cb.ResultCode).toBe(code);
    expect(cb.ResultDesc).toBe(expected[code]!.desc);

    const result = await daraja.stk.query({ checkoutRequestId: push.checkoutRequestId });
    expect(result.status).toBe(expected[code]!.status);
    expect(result.resultCode).toBe(String(code));
    expect(result.resultDesc).toBe(expected[code]!.desc);
    expect(result.raw).toMatchObject({
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successsfully',
      MerchantRequestID: push.merchantRequestId,
      CheckoutRequestID: push.checkoutRequestId,
      ResultCode: String(code),
    });

    if (code === 0) {
      const items = cb.CallbackMetadata!.Item;
      // The value-less Balance item, third, as in every captured real success callback.
      expect(items.map((i) => i.Name)).toEqual([
        'Amount',
        'MpesaReceiptNumber',
        'Balance',
        'TransactionDate',
        'PhoneNumber',
      ]);
      expect(items[2]).toEqual({ Name: 'Balance' });
      const value = (name: string) => items.find((i) => i.Name === name)!.Value;
      expect(value('Amount')).toBe(150);
      expect(value('MpesaReceiptNumber')).toMatch(/^[A-Z][A-Z0-9]{9}$/);
      expect(value('PhoneNumber')).toBe(Number(`2547123456${suffix}`));
      const date = value('TransactionDate');
      expect(typeof date).toBe('number');
      const when = parseDarajaTimestamp(date as number)!;
      expect(Math.abs(when.getTime() - Date.now())).toBeLessThan(5000);
      expect(sim.transaction(push.checkoutRequestId)).toMatchObject({
        receiptNumber: value('MpesaReceiptNumber'),
        transactionDate: date,
      });
    } else {
      expect(cb).not.toHaveProperty('CallbackMetadata');
      expect(Object.keys(cb)).toHaveLength(4);
    }
    await sim.idle();
    expect(receiver.received).toHaveLength(1);
  });

  it('05: the result is decided and visible to STK query, but no callback is ever sent', async () => {
    const { sim, daraja } = await simulator();
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: phoneEnding('05'),
      amount: 10,
      accountReference: 'A',
    });
    await sim.idle();
    expect((await daraja.stk.query({ checkoutRequestId: checkoutRequestId })).status).toBe('completed');
    expect(sim.transaction(checkoutRequestId)).toMatchObject({
      status: 'completed',
      resultCode: 0,
      outcome: { result: 'success', delivery: 'none' },
    });
    expect(receiver.received).toHaveLength(0);
    expect(sim.callbacks).toHaveLength(0);
  });

  it('06: the same callback is delivered twice, at once', async () => {
    const { sim, daraja } = await simulator();
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: phoneEnding('06'),
      amount: 10,
      accountReference: 'A',
    });
    const [first, second] = await receiver.waitFor(2);
    expect(first!.text).toBe(second!.text);
    expect(stkCallbackOf(first!.body)).toMatchObject({ CheckoutRequestID: checkoutRequestId, ResultCode: 0 });
    await sim.idle();
    expect(receiver.received).toHaveLength(2);
    expect(sim.callbacks.map((c) => [c.copy, c.ok, c.status])).toEqual(
      expect.arrayContaining([
        [1, true, 200],
        [2, true, 200],
      ]),
    );
  });

  it('duplicateCallbackCount sets how many copies a duplicated callback has', async () => {
    const { sim, daraja } = await simulator({ duplicateCallbackCount: 3 });
    await daraja.stk.push({ phoneNumber: phoneEnding('06'), amount: 10, accountReference: 'A' });
    await sim.idle();
    expect(receiver.received).toHaveLength(3);
  });

  it('07: the query shows the final state first; the callback arrives lateCallbackDelayMs later', async () => {
    const { sim, daraja } = await simulator({ lateCallbackDelayMs: 300 });
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: phoneEnding('07'),
      amount: 10,
      accountReference: 'A',
    });
    await vi.waitFor(() => expect(sim.transaction(checkoutRequestId)?.status).toBe('completed'), {
      timeout: 2000,
      interval: 5,
    });
    expect((await daraja.stk.query({ checkoutRequestId: checkoutRequestId })).status).toBe('completed');
    expect(receiver.received).toHaveLength(0);
    const [late] = await receiver.waitFor(1);
    const decidedAt = sim.transaction(checkoutRequestId)!.decidedAt!.getTime();
    expect(late!.time - decidedAt).toBeGreaterThanOrEqual(290);
    expect(stkCallbackOf(late!.body)).toMatchObject({ CheckoutRequestID: checkoutRequestId, ResultCode: 0 });
  });

  it('the sandbox test number 254708374149 succeeds', async () => {
    const { sim, daraja } = await simulator();
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: '254708374149',
      amount: 1,
      accountReference: 'A',
    });
    await sim.idle();
    expect(sim.transaction(checkoutRequestId)?.status).toBe('completed');
  });
});

describe('choosing outcomes from the test', () => {
  it('manual mode: the prompt stays open until resolve(), which decides and sends the callback', async () => {
    const { sim, daraja } = await simulator({ mode: 'manual' });
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: phoneEnding('00'),
      amount: 10,
      accountReference: 'A',
    });
    await sim.idle(); // nothing is scheduled: it waits for the test
    expect((await daraja.stk.query({ checkoutRequestId: checkoutRequestId })).status).toBe('pending');
    expect(sim.transaction(checkoutRequestId)).toMatchObject({ status: 'pending', outcome: undefined });
    expect(receiver.received).toHaveLength(0);

    const decided = sim.resolve(checkoutRequestId, 'wrong-pin');
    expect(decided).toMatchObject({ status: 'failed', resultCode: 2001 });
    const query = await daraja.stk.query({ checkoutRequestId: checkoutRequestId });
    expect(query).toMatchObject({ status: 'failed', resultCode: '2001' });
    const [cb] = await receiver.waitFor(1);
    expect(stkCallbackOf(cb!.body)).toMatchObject({
      ResultCode: 2001,
      ResultDesc: 'The initiator information is invalid.',
    });
    expect(() => sim.resolve(checkoutRequestId, 'success')).toThrow(/already decided/);
    expect(() => sim.resolve('ws_CO_000', 'success')).toThrow(/no STK push/);
  });

  it('manual mode with promptTimeoutMs: an unanswered prompt ends as 1037', async () => {
    const { sim, daraja } = await simulator({ mode: 'manual', promptTimeoutMs: 50 });
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: phoneEnding('00'),
      amount: 10,
      accountReference: 'A',
    });
    await sim.idle();
    expect((await daraja.stk.query({ checkoutRequestId: checkoutRequestId })).status).toBe('timeout');
    expect(stkCallbackOf(receiver.received[0]!.body).ResultCode).toBe(1037);
  });

  it('resolve() decides an auto-mode push before its time; the cancelled timer sends nothing more', async () => {
    const { sim, daraja } = await simulator({ callbackDelayMs: 60_000 });
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: phoneEnding('00'),
      amount: 10,
      accountReference: 'A',
    });
    sim.resolve(checkoutRequestId, 'cancelled');
    await sim.idle(); // returns at once: the 60 s decision was cancelled
    expect(receiver.received).toHaveLength(1);
    expect(stkCallbackOf(receiver.received[0]!.body).ResultCode).toBe(1032);
  });

  it('nextOutcome() queues outcomes that beat the phone rule, in order, and "manual" holds one push', async () => {
    const { sim, daraja } = await simulator();
    sim.nextOutcome('insufficient-funds', 'manual', { result: { resultCode: 17 }, delivery: 'none' });
    const push = () => daraja.stk.push({ phoneNumber: phoneEnding('00'), amount: 10, accountReference: 'A' });
    const first = await push();
    const second = await push();
    const third = await push();
    const fourth = await push();
    await sim.idle();
    expect(sim.transaction(first.checkoutRequestId)).toMatchObject({ status: 'failed', resultCode: 1 });
    expect(sim.transaction(second.checkoutRequestId)?.status).toBe('pending');
    expect(await daraja.stk.query({ checkoutRequestId: third.checkoutRequestId })).toMatchObject({
      status: 'failed',
      resultCode: '17',
    });
    expect(sim.transaction(fourth.checkoutRequestId)?.resultCode).toBe(0); // the queue is empty again
    expect(receiver.about(third.checkoutRequestId)).toHaveLength(0);
    sim.resolve(second.checkoutRequestId);
    expect(sim.transaction(second.checkoutRequestId)?.status).toBe('completed');
    expect(() => sim.nextOutcome('bogus' as never)).toThrow(TypeError);
  });

  it('outcomeRule replaces the phone-number rule', async () => {
    const { sim, daraja } = await simulator({
      outcomeRule: (t) => (t.amount > 100 ? 'insufficient-funds' : 'success'),
    });
    const small = await daraja.stk.push({
      phoneNumber: phoneEnding('01'),
      amount: 50,
      accountReference: 'A',
    });
    const big = await daraja.stk.push({ phoneNumber: phoneEnding('00'), amount: 500, accountReference: 'A' });
    await sim.idle();
    expect(sim.transaction(small.checkoutRequestId)?.resultCode).toBe(0);
    expect(sim.transaction(big.checkoutRequestId)?.resultCode).toBe(1);
  });

  it('an outcomeRule that throws: the push answers 500 and leaves no transaction behind', async () => {
    const { sim, daraja } = await simulator({
      outcomeRule: () => {
        throw new Error('rule broke');
      },
    });
    const error = await daraja.stk
      .push({ phoneNumber: phoneEnding('00'), amount: 10, accountReference: 'A' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error).toMatchObject({ status: 500, errorCode: '500.003.1001' });
    expect(sim.transactions).toHaveLength(0);
    expect(captured.some((l) => l.includes('sim: a route failed') && l.includes('rule broke'))).toBe(true);
  });

  it('the mode can change at run time', async () => {
    const { sim, daraja } = await simulator();
    sim.mode = 'manual';
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: phoneEnding('00'),
      amount: 10,
      accountReference: 'A',
    });
    await sim.idle();
    expect(sim.transaction(checkoutRequestId)?.status).toBe('pending');
    expect(() => {
      sim.mode = 'sometimes' as never;
    }).toThrow(TypeError);
  });
});

describe('errors the SDK sees', () => {
  it('a wrong passkey: DarajaApiError 500.001.1001 "Wrong credentials" for push and query', async () => {
    const { sim } = await simulator();
    const daraja = makeClient({ baseUrl: sim.url, callbackUrl: receiver.url, passkey: 'not-the-passkey' });
    const error = await daraja.stk
      .push({ phoneNumber: '0712345678', amount: 10, accountReference: 'A' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error).toMatchObject({
      status: 500,
      errorCode: '500.001.1001',
      errorMessage: '[MerchantValidate] - Wrong credentials',
    });
    expect((error as Error).message).toMatch(/MPESA_PASSKEY/);
    await expect(daraja.stk.query({ checkoutRequestId: 'ws_CO_123' })).rejects.toMatchObject({
      errorCode: '500.001.1001',
    });
    expect(sim.transactions).toHaveLength(0);
  });

  it('an unknown CheckoutRequestID: DarajaNotFoundError', async () => {
    const { daraja } = await simulator();
    const error = await daraja.stk
      .query({ checkoutRequestId: 'ws_CO_0101202000000012345678' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DarajaNotFoundError);
    expect(error).toMatchObject({ status: 500, errorMessage: 'The transaction does not Exist' });
  });
});

describe('the request log', () => {
  it('records method, path, time, status and bodies with the password and token redacted', async () => {
    const { sim, daraja } = await simulator();
    const before = Date.now();
    const push = await daraja.stk.push({ phoneNumber: '0712345678', amount: 10, accountReference: 'LOG' });
    await daraja.stk.query({ checkoutRequestId: push.checkoutRequestId });
    const [oauth, pushed, queried] = sim.requests;
    expect(oauth).toMatchObject({
      operation: 'oauth',
      method: 'GET',
      path: '/oauth/v1/generate?grant_type=client_credentials',
      status: 200,
      body: undefined,
      response: { access_token: '[redacted]', expires_in: '3599' },
    });
    expect(pushed).toMatchObject({
      operation: 'stk.push',
      method: 'POST',
      path: '/mpesa/stkpush/v1/processrequest',
      status: 200,
      response: { CheckoutRequestID: push.checkoutRequestId },
    });
    expect(pushed!.body).toMatchObject({
      BusinessShortCode: 174379,
      Password: '[redacted]',
      PhoneNumber: '254712345678',
      Amount: '10',
      AccountReference: 'LOG',
    });
    expect(queried).toMatchObject({ operation: 'stk.query', status: 500 });
    expect((queried!.body as Record<string, unknown>)['Password']).toBe('[redacted]');
    for (const r of sim.requests) {
      expect(r.time).toBeInstanceOf(Date);
      expect(r.time.getTime()).toBeGreaterThanOrEqual(before - 5);
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(JSON.stringify(sim.requests)).not.toContain(
      stkPassword(SHORTCODE, PASSKEY, String((pushed!.body as { Timestamp: string }).Timestamp)),
    );
    sim.reset();
    expect([sim.requests.length, sim.transactions.length, sim.callbacks.length]).toEqual([0, 0, 0]);
    // Tokens survive reset: the client goes on without a new OAuth request.
    await daraja.stk.push({ phoneNumber: '0712345678', amount: 10, accountReference: 'LOG' });
    expect(sim.requests.map((r) => r.operation)).toEqual(['stk.push']);
  });

  it('never logs a token, the STK password or a full phone number', async () => {
    const { sim } = await simulator();
    const lines = captured.length;
    const auth = `Basic ${Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64')}`;
    const { access_token: token } = (await (
      await fetch(`${sim.url}/oauth/v1/generate?grant_type=client_credentials`, {
        headers: { authorization: auth },
      })
    ).json()) as { access_token: string };
    expect(token).toMatch(/^[\w-]{28}$/);
    const timestamp = darajaTimestamp();
    const password = stkPassword(SHORTCODE, PASSKEY, timestamp);
    const response = await fetch(`${sim.url}/mpesa/stkpush/v1/processrequest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        BusinessShortCode: SHORTCODE,
        Password: password,
        Timestamp: timestamp,
        TransactionType: 'CustomerPayBillOnline',
        Amount: 10,
        PartyA: '254712345678',
        PartyB: SHORTCODE,
        PhoneNumber: '254712345678',
        CallBackURL: receiver.url,
        AccountReference: 'A',
      }),
    });
    expect(response.status).toBe(200);
    await sim.idle();
    const simLines = captured.slice(lines).join('\n');
    expect(simLines).toContain('sim: stk push accepted');
    expect(simLines).toContain('2547****5678');
    expect(simLines).not.toContain('254712345678');
    expect(simLines).not.toContain(token);
    expect(simLines).not.toContain(password);
    expect(simLines).not.toContain(PASSKEY);
  });
});

describe('callback delivery failures', () => {
  it('a refused connection, a 500 and a receiver that never answers are recorded; nothing crashes', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { sim } = await simulator({ callbackTimeoutMs: 200 });
      const port = await closedPort();
      const refused = makeClient({ baseUrl: sim.url, callbackUrl: `http://127.0.0.1:${port}/cb` });
      const a = await refused.stk.push({ phoneNumber: '0712345678', amount: 10, accountReference: 'A' });
      await sim.idle();

      receiver.control.status = 500;
      const daraja = makeClient({ baseUrl: sim.url, callbackUrl: receiver.url });
      const b = await daraja.stk.push({ phoneNumber: '0712345678', amount: 10, accountReference: 'B' });
      await sim.idle();

      receiver.control.hang = true;
      const c = await daraja.stk.push({ phoneNumber: '0712345678', amount: 10, accountReference: 'C' });
      await sim.idle();

      const byId = (id: string) => sim.callbacks.filter((r) => r.transactionId === id);
      expect(byId(a.checkoutRequestId)).toEqual([
        expect.objectContaining({ ok: false, status: undefined, error: 'ECONNREFUSED' }),
      ]);
      expect(byId(b.checkoutRequestId)).toEqual([
        expect.objectContaining({ ok: false, status: 500, error: 'HTTP 500' }),
      ]);
      expect(byId(c.checkoutRequestId)).toEqual([
        expect.objectContaining({ ok: false, status: undefined, error: 'timeout' }),
      ]);
      expect(captured.some((l) => l.includes('sim: callback delivery failed'))).toBe(true);
      // Still serving, and the results stand.
      expect((await daraja.stk.query({ checkoutRequestId: a.checkoutRequestId })).status).toBe('completed');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('close() cancels callbacks that are still waiting', async () => {
    const { sim, daraja } = await simulator({ callbackDelayMs: 60_000 });
    await daraja.stk.push({ phoneNumber: '0712345678', amount: 10, accountReference: 'A' });
    const started = Date.now();
    await sim.close();
    await sim.close(); // twice is fine
    expect(Date.now() - started).toBeLessThan(2000);
    expect(receiver.received).toHaveLength(0);
    await expect(fetch(`${sim.url}/oauth/v1/generate`)).rejects.toThrow();
  });
});

describe('the control API (for daraja-sim in another process)', () => {
  it('lists, queues and resolves STK transactions over HTTP, outside the request log', async () => {
    const { sim, daraja } = await simulator({ mode: 'manual' });
    const post = (path: string, body: unknown) =>
      fetch(`${sim.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/simulator/next-outcome', { outcomes: ['manual'] })).status).toBe(200);
    expect((await post('/simulator/next-outcome', { outcomes: ['nope'] })).status).toBe(400);
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: '0712345678',
      amount: 10,
      accountReference: 'A',
    });
    const list = (await (await fetch(`${sim.url}/simulator/stk`)).json()) as {
      transactions: { checkoutRequestId: string; status: string }[];
    };
    expect(list.transactions).toEqual([expect.objectContaining({ checkoutRequestId, status: 'pending' })]);
    const resolved = await post(`/simulator/stk/${checkoutRequestId}/resolve`, { outcome: 'cancelled' });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({ status: 'cancelled', resultCode: 1032 });
    expect((await post(`/simulator/stk/${checkoutRequestId}/resolve`, {})).status).toBe(409);
    expect((await post('/simulator/stk/ws_CO_nope/resolve', {})).status).toBe(404);
    expect((await fetch(`${sim.url}/simulator/stk/${checkoutRequestId}`)).status).toBe(200);
    const requests = (await (await fetch(`${sim.url}/simulator/requests`)).json()) as {
      requests: { operation: string }[];
    };
    expect(requests.requests.map((r) => r.operation)).toEqual(['oauth', 'stk.push']);
    expect(sim.requests.map((r) => r.operation)).toEqual(['oauth', 'stk.push']);
  });
});
