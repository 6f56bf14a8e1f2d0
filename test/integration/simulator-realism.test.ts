import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCliArgs, runCli } from '../../src/cli/sim.js';
import { darajaTimestamp, stkPassword } from '../../src/index.js';
import {
  createSimulator,
  SIMULATOR_QUIRK_PRESETS,
  type Simulator,
  SimulatorConfigError,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET } from '../fixtures/constants.js';
import { startCallbackReceiver } from '../helpers/callback-receiver.js';
import { makeClient } from '../helpers/client.js';
import { captured, testLogger } from '../helpers/logger.js';

// The simulator's switches for what real Daraja was seen to send and its documentation does not (2017–2026 traffic),
// driven over real HTTP. The answers are asserted as raw HTTP (status and body), not as the SDK reads them.
// Time windows and the rate limit are tested on a frozen clock (only `Date` is faked; sockets and timers
// stay real), so no test depends on how fast the machine is.

let receiver: Awaited<ReturnType<typeof startCallbackReceiver>>;
const sims: Simulator[] = [];

async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    callbackDelayMs: 60_000, // prompts stay open until the test resolves them
    logger: testLogger,
    ...options,
  });
  sims.push(sim);
  return sim;
}

beforeAll(async () => {
  receiver = await startCallbackReceiver();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(sims.splice(0).map((s) => s.close()));
  receiver.received.length = 0;
});
afterAll(() => receiver.close());

/** Freeze `Date` at `start`; `advance(ms)` moves it on. */
function freezeClock(start = Date.parse('2026-09-18T15:03:51.270Z')) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(start);
  return { advance: (ms: number) => vi.setSystemTime(Date.now() + ms) };
}

type Answer = { status: number; body: Record<string, unknown> };

/** A raw Daraja client: a token, STK push and STK query, answers as status and parsed body. */
async function rawClient(sim: Simulator) {
  const basic = Buffer.from(`${sim.consumerKey}:${sim.consumerSecret}`).toString('base64');
  const newToken = async () => {
    const answer = await fetch(`${sim.url}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: { authorization: `Basic ${basic}` },
    });
    return ((await answer.json()) as { access_token: string }).access_token;
  };
  let token = await newToken();
  const post = async (path: string, body: unknown): Promise<Answer> => {
    const response = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const credentials = () => {
    const timestamp = darajaTimestamp();
    return {
      BusinessShortCode: sim.shortcode,
      Password: stkPassword(sim.shortcode, sim.passkey, timestamp),
      Timestamp: timestamp,
    };
  };
  return {
    async renewToken() {
      token = await newToken();
    },
    push: (overrides: Record<string, unknown> = {}) =>
      post('/mpesa/stkpush/v1/processrequest', {
        ...credentials(),
        TransactionType: 'CustomerPayBillOnline',
        Amount: 150,
        PartyA: '254712345678',
        PartyB: sim.shortcode,
        PhoneNumber: '254712345678',
        CallBackURL: receiver.url,
        AccountReference: 'INV-7',
        TransactionDesc: 'Payment',
        ...overrides,
      }),
    query: (checkoutRequestId: string) =>
      post('/mpesa/stkpushquery/v1/query', { ...credentials(), CheckoutRequestID: checkoutRequestId }),
  };
}

/** A simulator, a raw client and one open prompt. */
async function openPrompt(options: SimulatorOptions = {}) {
  const sim = await simulator(options);
  const daraja = await rawClient(sim);
  const pushed = await daraja.push();
  expect(pushed.status).toBe(200);
  const id = pushed.body['CheckoutRequestID'] as string;
  const merchantRequestId = pushed.body['MerchantRequestID'] as string;
  return { sim, daraja, id, merchantRequestId };
}

// The documented answers, against which every quirk is compared.
const beingProcessed = (id: string): Answer => ({
  status: 500,
  body: { requestId: id, errorCode: '500.001.1001', errorMessage: 'The transaction is being processed' },
});
const STILL_PROCESSING = {
  status: 200,
  body: {
    ResponseCode: '0',
    ResponseDescription: 'The service request has been accepted successsfully',
    ResultCode: '4999',
    ResultDesc: 'The transaction is still under processing',
  },
};
const EMPTY_MESSAGE_200 = {
  status: 200,
  body: { requestId: expect.any(String), errorCode: '500.001.1001', errorMessage: '' },
};
const INVALID_ID = {
  status: 400,
  body: {
    requestId: expect.any(String),
    errorCode: '400.002.02',
    errorMessage: 'Bad Request - Invalid CheckoutRequestID',
  },
};
const INTERMITTENT_500 = {
  status: 500,
  body: { requestId: expect.any(String), errorCode: '500.001.1001', errorMessage: '' },
};
const SANDBOX_FAULT = {
  fault: {
    faultstring:
      'Spike arrest violation. Allowed rate : MessageRate{messagesPerPeriod=5, periodInMicroseconds=60000000, maxBurstMessageCount=1.0}',
    detail: { errorcode: 'policies.ratelimit.SpikeArrestViolation' },
  },
};

/** Which documented or quirk answer a query got, by name. */
function kindOf(answer: Answer): string {
  const { status, body } = answer;
  if (status === 429) return '429';
  if (status === 400 && body['errorMessage'] === 'Bad Request - Invalid CheckoutRequestID')
    return 'invalid-id';
  if (status === 200 && body['ResultCode'] === '4999') return '4999';
  if (status === 200 && body['errorCode'] === '500.001.1001' && body['errorMessage'] === '')
    return 'empty-200';
  if (status === 500 && body['errorMessage'] === '') return 'intermittent-500';
  if (status === 500 && body['errorMessage'] === 'The transaction is being processed') return 'processing';
  if (status === 200 && typeof body['ResultCode'] === 'string') return `result-${body['ResultCode']}`;
  return `unexpected ${status} ${JSON.stringify(body)}`;
}

describe('CheckoutRequestID: ws_CO_ + DDMMYYYYHHmmss (Nairobi) + milliseconds + the last 9 digits of the MSISDN', () => {
  it('is 32 characters, in Nairobi time, ending in the last 9 digits of PhoneNumber', async () => {
    const sim = await simulator();
    const daraja = makeClient({ baseUrl: sim.url, callbackUrl: receiver.url });
    const before = Date.now();
    const { checkoutRequestId } = await daraja.stk.push({
      phoneNumber: '0708374149',
      amount: 10,
      accountReference: 'A',
    });
    const after = Date.now();
    expect(checkoutRequestId).toHaveLength(32);
    const m = /^ws_CO_(\d{2})(\d{2})(\d{4})(\d{2})(\d{2})(\d{2})(\d{3})(\d{9})$/.exec(checkoutRequestId);
    expect(m, checkoutRequestId).not.toBeNull();
    const [day, month, year, hour, minute, second, ms, msisdn] = m!.slice(1).map(Number) as number[];
    expect(String(msisdn)).toBe('708374149');
    // Nairobi is UTC+3 all year: the id's wall-clock time minus 3 h is the moment of the push.
    const when = Date.UTC(year!, month! - 1, day!, hour! - 3, minute!, second!, ms!);
    expect(when).toBeGreaterThanOrEqual(before);
    expect(when).toBeLessThanOrEqual(after);
  });

  it('is exact for a known moment, and unique for the same phone in the same millisecond, even after reset()', async () => {
    freezeClock(Date.parse('2026-09-18T15:03:51.270Z')); // 18:03:51.270 in Nairobi
    const sim = await simulator();
    const daraja = await rawClient(sim);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await daraja.push()).body['CheckoutRequestID'] as string);
    sim.reset();
    ids.push((await daraja.push()).body['CheckoutRequestID'] as string);
    ids.push((await daraja.push({ PhoneNumber: '254708374149' })).body['CheckoutRequestID'] as string);
    expect(ids).toEqual([
      'ws_CO_18092026180351270712345678',
      'ws_CO_18092026180351271712345678',
      'ws_CO_18092026180351272712345678',
      'ws_CO_18092026180351273712345678',
      'ws_CO_18092026180351270708374149', // another phone: its own id at the same moment
    ]);
    expect(sim.transactions.map((t) => t.checkoutRequestId)).toEqual(ids.slice(3));
  });

  it('is logged masked by the simulator: its last 9 digits are the national number', async () => {
    const sim = await simulator({ callbackDelayMs: 10 });
    const daraja = await rawClient(sim);
    const from = captured.length;
    const id = (await daraja.push()).body['CheckoutRequestID'] as string;
    await receiver.waitFor(1);
    await sim.idle();
    const simLines = captured.slice(from).filter((line) => /^\w+ \[daraja\] sim: /.test(line));
    expect(simLines.length).toBeGreaterThanOrEqual(3); // accepted, decided, delivered
    expect(simLines.join('\n')).not.toContain('712345678');
    expect(simLines.join('\n')).toContain(`${id.slice(0, 23)}*****5678`);
  });
});

describe('STK query while the prompt is open', () => {
  it('by default: HTTP 500 "The transaction is being processed", then the result', async () => {
    const { sim, daraja, id } = await openPrompt();
    for (let i = 0; i < 4; i++) expect(await daraja.query(id)).toEqual(beingProcessed(id));
    sim.resolve(id, 'success');
    expect(kindOf(await daraja.query(id))).toBe('result-0');
  });

  it('stillProcessing: HTTP 200 ResultCode "4999" in the usual envelope, only while the prompt is open', async () => {
    const { sim, daraja, id, merchantRequestId } = await openPrompt({
      quirks: { stkQuery: { stillProcessing: true } },
    });
    const answer = await daraja.query(id);
    expect(answer).toEqual({
      status: 200,
      body: { ...STILL_PROCESSING.body, MerchantRequestID: merchantRequestId, CheckoutRequestID: id },
    });
    expect(Object.keys(answer.body)).toEqual([
      'ResponseCode',
      'ResponseDescription',
      'MerchantRequestID',
      'CheckoutRequestID',
      'ResultCode',
      'ResultDesc',
    ]);
    sim.resolve(id, 'cancelled');
    expect(await daraja.query(id)).toMatchObject({ status: 200, body: { ResultCode: '1032' } });
  });

  it('stillProcessing { withinMs }: 4999 for the first N ms of the prompt, then the documented answer', async () => {
    const clock = freezeClock();
    const { daraja, id } = await openPrompt({
      quirks: { stkQuery: { stillProcessing: { withinMs: 10_000 } } },
    });
    expect(await daraja.query(id)).toMatchObject(STILL_PROCESSING);
    clock.advance(9_999);
    expect(await daraja.query(id)).toMatchObject(STILL_PROCESSING);
    clock.advance(1);
    expect(await daraja.query(id)).toEqual(beingProcessed(id));
  });

  it('emptyErrorMessage: HTTP 200 carrying errorCode 500.001.1001 and an empty errorMessage', async () => {
    const { sim, daraja, id } = await openPrompt({ quirks: { stkQuery: { emptyErrorMessage: true } } });
    const answer = await daraja.query(id);
    expect(answer).toEqual(EMPTY_MESSAGE_200);
    expect(Object.keys(answer.body)).toEqual(['requestId', 'errorCode', 'errorMessage']);
    sim.resolve(id, 'success');
    expect(kindOf(await daraja.query(id))).toBe('result-0');
  });

  it('invalidCheckoutRequestId { withinMs }: HTTP 400 "Invalid CheckoutRequestID" right after the push only', async () => {
    const clock = freezeClock();
    const { daraja, id } = await openPrompt({
      quirks: { stkQuery: { invalidCheckoutRequestId: { withinMs: 2000 } } },
    });
    expect(await daraja.query(id)).toEqual(INVALID_ID);
    clock.advance(2000);
    expect(await daraja.query(id)).toEqual(beingProcessed(id));
  });

  it('intermittentError { every: 2 }: every 2nd query of a transaction, open or decided, is HTTP 500 with no message', async () => {
    const { sim, daraja, id } = await openPrompt({
      quirks: { stkQuery: { intermittentError: { every: 2 } } },
    });
    const kinds = [];
    for (let i = 0; i < 3; i++) kinds.push(kindOf(await daraja.query(id)));
    sim.resolve(id, 'success');
    for (let i = 0; i < 3; i++) kinds.push(kindOf(await daraja.query(id)));
    expect(kinds).toEqual([
      'processing',
      'intermittent-500',
      'processing',
      'intermittent-500',
      'result-0',
      'intermittent-500',
    ]);
    expect(await daraja.query('ws_CO_0101202000000012345678')).toMatchObject({
      status: 500,
      body: { errorMessage: 'The transaction does not Exist' },
    });
    // Counted per CheckoutRequestID: a second prompt starts at its own first query.
    const other = (await daraja.push()).body['CheckoutRequestID'] as string;
    expect(kindOf(await daraja.query(other))).toBe('processing');
  });

  it('the intermittent 500 carries the documented shape', async () => {
    const { daraja, id } = await openPrompt({ quirks: { stkQuery: { intermittentError: true } } });
    expect(await daraja.query(id)).toEqual(INTERMITTENT_500);
  });

  it('when several are on, the first that applies answers: intermittent, invalid id, 4999, empty message', async () => {
    const clock = freezeClock();
    const { daraja, id } = await openPrompt({
      quirks: {
        stkQuery: {
          intermittentError: { every: 4 },
          invalidCheckoutRequestId: { withinMs: 1000 },
          stillProcessing: { withinMs: 5000 },
          emptyErrorMessage: true,
        },
      },
    });
    const kinds = [kindOf(await daraja.query(id))];
    clock.advance(1000);
    kinds.push(
      kindOf(await daraja.query(id)),
      kindOf(await daraja.query(id)),
      kindOf(await daraja.query(id)),
    );
    clock.advance(4000);
    kinds.push(kindOf(await daraja.query(id)));
    expect(kinds).toEqual(['invalid-id', '4999', '4999', 'intermittent-500', 'empty-200']);
  });

  it('probability draws from the seed: the same seed gives the same answers, probability 0 never answers', async () => {
    const run = async (seed: number, probability: number) => {
      const { daraja, id } = await openPrompt({
        quirks: { seed, stkQuery: { stillProcessing: { probability } } },
      });
      const kinds = [];
      for (let i = 0; i < 16; i++) kinds.push(kindOf(await daraja.query(id)));
      return kinds;
    };
    const first = await run(7, 0.5);
    expect(await run(7, 0.5)).toEqual(first);
    expect(first).toContain('4999');
    expect(first).toContain('processing');
    expect(new Set(first)).toEqual(new Set(['4999', 'processing']));
    expect(await run(7, 0)).toEqual(Array(16).fill('processing'));
  });

  it('reset() restarts the random numbers from the seed', async () => {
    const sim = await simulator({
      quirks: { seed: 99, stkQuery: { emptyErrorMessage: { probability: 0.5 } } },
    });
    const daraja = await rawClient(sim);
    const run = async () => {
      const id = (await daraja.push()).body['CheckoutRequestID'] as string;
      const kinds = [];
      for (let i = 0; i < 12; i++) kinds.push(kindOf(await daraja.query(id)));
      return kinds;
    };
    const first = await run();
    sim.reset();
    expect(await run()).toEqual(first);
    expect(sim.quirks.seed).toBe(99);
  });
});

describe('a decided prompt is final, whatever the SDK thinks of its code', () => {
  it('a code the SDK does not know (4242) ends the prompt: failed, queried as the result, not resolvable again', async () => {
    const { sim, daraja, id } = await openPrompt();
    expect(sim.resolve(id, { result: { resultCode: 4242, resultDesc: 'Something new' } })).toMatchObject({
      status: 'failed',
      resultCode: 4242,
    });
    expect(await daraja.query(id)).toMatchObject({
      status: 200,
      body: { ResultCode: '4242', ResultDesc: 'Something new' },
    });
    expect(() => sim.resolve(id, 'success')).toThrow(/already decided/);
  });

  it('1036 (SMSC ACK timeout) is a timeout, like 1037', async () => {
    const { sim, id } = await openPrompt();
    expect(sim.resolve(id, { result: { resultCode: 1036 } })).toMatchObject({ status: 'timeout' });
  });
});

describe("STK query rate limit (the gateway's SpikeArrest)", () => {
  it("true is the sandbox's rate: 5 per 60 s, burst 1, so queries must be 12 s apart", async () => {
    const clock = freezeClock();
    const { daraja, id } = await openPrompt({ quirks: { stkQueryRateLimit: true } });
    expect(kindOf(await daraja.query(id))).toBe('processing');
    const refused = await daraja.query(id);
    expect(refused).toEqual({ status: 429, body: SANDBOX_FAULT });
    clock.advance(11_999);
    expect(kindOf(await daraja.query(id))).toBe('429');
    clock.advance(1);
    expect(kindOf(await daraja.query(id))).toBe('processing');
    clock.advance(12_000);
    expect(kindOf(await daraja.query(id))).toBe('processing');
    expect(kindOf(await daraja.query(id))).toBe('429');
  });

  it('a configured rate: the fault names it; refused queries do not count; a new token does not escape it', async () => {
    const clock = freezeClock();
    const { daraja, id } = await openPrompt({
      quirks: { stkQueryRateLimit: { messagesPerPeriod: 2, periodMs: 1000 } },
    });
    expect(kindOf(await daraja.query(id))).toBe('processing');
    const refused = await daraja.query(id);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      fault: {
        faultstring:
          'Spike arrest violation. Allowed rate : MessageRate{messagesPerPeriod=2, periodInMicroseconds=1000000, maxBurstMessageCount=1.0}',
        detail: { errorcode: 'policies.ratelimit.SpikeArrestViolation' },
      },
    });
    await daraja.renewToken();
    expect(kindOf(await daraja.query(id))).toBe('429');
    clock.advance(500);
    expect(kindOf(await daraja.query(id))).toBe('processing');
    // Pushes are not limited.
    expect((await daraja.push()).status).toBe(200);
    expect((await daraja.push()).status).toBe(200);
  });

  it('burst lets that many queries through at once', async () => {
    freezeClock();
    const { daraja, id } = await openPrompt({
      quirks: { stkQueryRateLimit: { messagesPerPeriod: 5, periodMs: 60_000, burst: 3 } },
    });
    const kinds = [];
    for (let i = 0; i < 4; i++) kinds.push(kindOf(await daraja.query(id)));
    expect(kinds).toEqual(['processing', 'processing', 'processing', '429']);
  });

  it('is off by default: back-to-back queries are all answered', async () => {
    const { daraja, id } = await openPrompt();
    for (let i = 0; i < 8; i++) expect(kindOf(await daraja.query(id))).toBe('processing');
  });

  it('reset() forgets the queries it saw', async () => {
    freezeClock();
    const { sim, daraja, id } = await openPrompt({ quirks: { stkQueryRateLimit: true } });
    expect(kindOf(await daraja.query(id))).toBe('processing');
    expect(kindOf(await daraja.query(id))).toBe('429');
    sim.reset();
    const again = (await daraja.push()).body['CheckoutRequestID'] as string;
    expect(kindOf(await daraja.query(again))).toBe('processing');
  });
});

describe('STK callbacks', () => {
  type Item = { Name: string; Value?: unknown };
  async function successCallback(options: SimulatorOptions = {}, phoneNumber = '0712345678') {
    const sim = await simulator({ callbackDelayMs: 10, ...options });
    const daraja = makeClient({ baseUrl: sim.url, callbackUrl: receiver.url });
    await daraja.stk.push({ phoneNumber, amount: 150, accountReference: 'INV-7' });
    const [received] = await receiver.waitFor(1);
    await sim.idle();
    const body = received!.body as {
      Body: { stkCallback: { ResultCode: number; CallbackMetadata?: { Item: Item[] } } };
    };
    return { received: received!, sim, items: body.Body.stkCallback.CallbackMetadata?.Item ?? [] };
  }

  it('by default: five items, the value-less Balance third; JSON;charset=UTF-8 and a BusinessShortCode header', async () => {
    const { received, items } = await successCallback();
    expect(items.map((i) => i.Name)).toEqual([
      'Amount',
      'MpesaReceiptNumber',
      'Balance',
      'TransactionDate',
      'PhoneNumber',
    ]);
    expect(items[2]).toEqual({ Name: 'Balance' });
    expect(items[4]).toEqual({ Name: 'PhoneNumber', Value: 254712345678 });
    expect(received.headers['content-type']).toBe('application/json;charset=UTF-8');
    expect(received.headers['businessshortcode']).toBe('174379');
  });

  it('balanceItem: false, or the documented preset, leaves the Balance item out', async () => {
    const off = await successCallback({ quirks: { stkCallback: { balanceItem: false } } });
    expect(off.items.map((i) => i.Name)).toEqual([
      'Amount',
      'MpesaReceiptNumber',
      'TransactionDate',
      'PhoneNumber',
    ]);
    receiver.received.length = 0;
    const documented = await successCallback({ quirks: 'documented' });
    expect(documented.items.map((i) => i.Name)).toEqual([
      'Amount',
      'MpesaReceiptNumber',
      'TransactionDate',
      'PhoneNumber',
    ]);
    expect(documented.items[3]).toEqual({ Name: 'PhoneNumber', Value: 254712345678 });
  });

  it.each([
    ['masked', { Name: 'PhoneNumber', Value: '2547****5678' }],
    ['hashed', { Name: 'PhoneNumber', Value: createHash('sha256').update('254712345678').digest('hex') }],
  ] as const)('phoneNumber %s', async (form, item) => {
    const { items } = await successCallback({ quirks: { stkCallback: { phoneNumber: form } } });
    expect(items.map((i) => i.Name)).toEqual([
      'Amount',
      'MpesaReceiptNumber',
      'Balance',
      'TransactionDate',
      'PhoneNumber',
    ]);
    expect(items[4]).toEqual(item);
    if (form === 'hashed') expect(items[4]!.Value).toMatch(/^[0-9a-f]{64}$/);
  });

  it('phoneNumber omitted: no PhoneNumber item at all', async () => {
    const { items } = await successCallback({ quirks: { stkCallback: { phoneNumber: 'omitted' } } });
    expect(items.map((i) => i.Name)).toEqual(['Amount', 'MpesaReceiptNumber', 'Balance', 'TransactionDate']);
  });

  it('phoneNumber as a function chooses per transaction', async () => {
    const sim = await simulator({
      callbackDelayMs: 10,
      quirks: { stkCallback: { phoneNumber: (t) => (t.amount > 100 ? 'masked' : 'omitted') } },
    });
    const daraja = makeClient({ baseUrl: sim.url, callbackUrl: receiver.url });
    await daraja.stk.push({ phoneNumber: '0712345678', amount: 150, accountReference: 'A' });
    await daraja.stk.push({ phoneNumber: '0712345678', amount: 50, accountReference: 'B' });
    await receiver.waitFor(2);
    await sim.idle();
    const phones = receiver.received.map((r) => {
      const cb = (r.body as { Body: { stkCallback: { CallbackMetadata: { Item: Item[] } } } }).Body
        .stkCallback;
      const amount = cb.CallbackMetadata.Item.find((i) => i.Name === 'Amount')!.Value;
      return [amount, cb.CallbackMetadata.Item.find((i) => i.Name === 'PhoneNumber')?.Value];
    });
    expect(phones.sort()).toEqual([
      [150, '2547****5678'],
      [50, undefined],
    ]);
  });

  it('failure callbacks have no CallbackMetadata, whatever the quirks', async () => {
    const { received } = await successCallback({ quirks: 'realistic' }, '0712345601');
    const cb = (received.body as { Body: { stkCallback: Record<string, unknown> } }).Body.stkCallback;
    expect(cb['ResultCode']).toBe(1032);
    expect(cb).not.toHaveProperty('CallbackMetadata');
  });
});

describe('TransactionDesc', () => {
  it.each([
    ['the 20-character "Lipa na mpesa online" Safaricom\'s own library sends', 'Lipa na mpesa online', 200],
    ['100 characters', 'd'.repeat(100), 200],
    ['101 characters', 'd'.repeat(101), 400],
  ])('%s', async (_label, desc, status) => {
    const sim = await simulator();
    const answer = await (await rawClient(sim)).push({ TransactionDesc: desc });
    expect(answer.status).toBe(status);
    if (status === 400) expect(answer.body['errorMessage']).toBe('Bad Request - Invalid TransactionDesc');
    else expect(sim.transactions[0]!.transactionDesc).toBe(desc);
  });
});

describe('the realistic preset', () => {
  it('turns on every quirk, as SIMULATOR_QUIRK_PRESETS says', async () => {
    const sim = await simulator({ quirks: { preset: 'realistic', seed: 1 } });
    expect(sim.quirks).toEqual({
      preset: 'realistic',
      seed: 1,
      stkQuery: SIMULATOR_QUIRK_PRESETS.realistic.stkQuery,
      stkQueryRateLimit: { messagesPerPeriod: 5, periodMs: 60_000, burst: 1 },
      stkCallback: { balanceItem: true, phoneNumber: 'masked' },
    });
    for (const rule of Object.values(sim.quirks.stkQuery)) expect(rule).not.toBe(false);
    expect((await simulator({ quirks: 'realistic' })).quirks.preset).toBe('realistic');
  });

  it('mixes the in-flight answers, limits the query rate and masks the phone number; a seed repeats a run', async () => {
    // Queries at the push, at once again (refused), then every 12 s (the sandbox's spacing) for 6 minutes.
    const run = async (seed: number) => {
      const clock = freezeClock();
      const { sim, daraja, id } = await openPrompt({ quirks: { preset: 'realistic', seed } });
      const kinds = [kindOf(await daraja.query(id)), kindOf(await daraja.query(id))];
      for (let i = 0; i < 30; i++) {
        clock.advance(12_000);
        kinds.push(kindOf(await daraja.query(id)));
      }
      sim.resolve(id, 'success');
      await receiver.waitFor(1);
      await sim.idle();
      const [callback] = receiver.received.splice(0);
      return { kinds, callback: callback! };
    };
    const first = await run(2026);
    expect(first.kinds[1]).toBe('429'); // the second query came at once
    // Each answer is one of the non-final answers the field notes list for its moment: the early
    // "Invalid CheckoutRequestID" only at the push, 4999 only in the first 15 s, no 429 once spaced.
    expect(['intermittent-500', 'invalid-id', '4999', 'empty-200', 'processing']).toContain(first.kinds[0]);
    expect(['intermittent-500', '4999', 'empty-200', 'processing']).toContain(first.kinds[2]);
    for (const kind of first.kinds.slice(3)) {
      expect(['intermittent-500', 'empty-200', 'processing']).toContain(kind);
    }
    // Over 30 spaced queries the quirks do show up, and the documented answer stays the most common.
    const count = (kind: string) => first.kinds.filter((k) => k === kind).length;
    expect(count('empty-200')).toBeGreaterThan(0);
    expect(count('processing')).toBeGreaterThan(first.kinds.length / 2);
    const items = (
      first.callback.body as {
        Body: { stkCallback: { CallbackMetadata: { Item: { Name: string; Value?: unknown }[] } } };
      }
    ).Body.stkCallback.CallbackMetadata.Item;
    expect(items).toContainEqual({ Name: 'Balance' });
    expect(items).toContainEqual({ Name: 'PhoneNumber', Value: '2547****5678' });

    expect((await run(2026)).kinds).toEqual(first.kinds);
    // Across seeds, the first query shows the early answers the preset mixes.
    const firstAnswers = new Set<string>();
    for (let seed = 0; seed < 8; seed++) firstAnswers.add((await run(seed)).kinds[0]!);
    expect([...firstAnswers]).toEqual(expect.arrayContaining(['invalid-id', '4999']));
  });

  it('fields given replace the preset\'s: { preset: "realistic", stkQueryRateLimit: false }', async () => {
    const { sim, daraja, id } = await openPrompt({
      quirks: {
        preset: 'realistic',
        seed: 3,
        stkQueryRateLimit: false,
        stkQuery: { intermittentError: false },
      },
    });
    for (let i = 0; i < 10; i++) expect(kindOf(await daraja.query(id))).not.toBe('429');
    expect(sim.quirks.stkQuery.intermittentError).toBe(false);
    expect(sim.quirks.stkQuery.stillProcessing).toEqual({ withinMs: 15_000, probability: 0.5 });
  });
});

describe('setting the quirks', () => {
  it('rejects invalid quirks with one SimulatorConfigError naming each field', async () => {
    const error = await createSimulator({
      quirks: {
        preset: 'sometimes' as never,
        stkQuery: {
          stillProcessing: { probability: 2 },
          intermittentError: { every: 0 },
          nope: true,
        } as never,
        stkQueryRateLimit: { periodMs: -1 },
        stkCallback: { phoneNumber: 'scrambled' as never },
        seed: 1.5,
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulatorConfigError);
    expect((error as SimulatorConfigError).issues.map((i) => i.field).sort()).toEqual([
      'quirks.preset',
      'quirks.seed',
      'quirks.stkCallback.phoneNumber',
      'quirks.stkQuery.intermittentError.every',
      'quirks.stkQuery.nope',
      'quirks.stkQuery.stillProcessing.probability',
      'quirks.stkQueryRateLimit.periodMs',
    ]);
  });

  it('sim.setQuirks() replaces them at run time; an invalid value throws a TypeError and changes nothing', async () => {
    const { sim, daraja, id } = await openPrompt();
    expect(kindOf(await daraja.query(id))).toBe('processing');
    const active = sim.setQuirks({ stkQuery: { stillProcessing: true }, seed: 5 });
    expect(active).toMatchObject({ preset: undefined, seed: 5, stkQuery: { stillProcessing: {} } });
    expect(kindOf(await daraja.query(id))).toBe('4999');
    expect(() => sim.setQuirks({ stkQuery: { stillProcessing: { withinMs: 'soon' as never } } })).toThrow(
      /quirks\.stkQuery\.stillProcessing\.withinMs/,
    );
    expect(kindOf(await daraja.query(id))).toBe('4999');
    sim.setQuirks('documented');
    expect(kindOf(await daraja.query(id))).toBe('processing');
  });

  it('GET and POST /simulator/quirks read and set them over HTTP', async () => {
    const { sim, daraja, id } = await openPrompt();
    const control = async (body?: unknown) => {
      const response = await fetch(`${sim.url}/simulator/quirks`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await control()).toMatchObject({
      status: 200,
      body: { stkQueryRateLimit: false, stkCallback: { balanceItem: true, phoneNumber: 'full' } },
    });
    const set = await control({ preset: 'realistic', seed: 11 });
    expect(set).toMatchObject({ status: 200, body: { preset: 'realistic', seed: 11 } });
    expect((await control()).body).toEqual(set.body);
    const kinds = [kindOf(await daraja.query(id)), kindOf(await daraja.query(id))];
    expect(kinds[1]).toBe('429');
    const bad = await control({ stkQueryRateLimit: 'often' });
    expect(bad.status).toBe(400);
    expect(bad.body['error']).toMatch(/quirks\.stkQueryRateLimit/);
    expect((await control('documented')).body).toMatchObject({ preset: 'documented' });
    // The control API is not Daraja traffic: not in the request log.
    expect(sim.requests.some((r) => r.path.startsWith('/simulator'))).toBe(false);
  });
});

describe('daraja-sim --realistic', () => {
  it('parses --realistic and --seed into the quirks option', () => {
    expect(parseCliArgs(['--realistic', '--seed', '7'])).toMatchObject({
      help: false,
      options: { quirks: { preset: 'realistic', seed: 7 } },
    });
    expect(parseCliArgs(['--realistic'])).toMatchObject({ options: { quirks: { preset: 'realistic' } } });
    expect(parseCliArgs([])).not.toHaveProperty('options.quirks');
    expect(() => parseCliArgs(['--seed', 'x'])).toThrow(/--seed must be a whole number/);
  });

  it('starts realistic and says so in the banner', async () => {
    const signals = new EventEmitter();
    let out = '';
    const started = new Promise<void>((resolve) => {
      signals.on('stdout', () => out.includes('Stop with Ctrl+C') && resolve());
    });
    const exit = runCli(['--port', '0', '--realistic', '--seed', '42'], {
      stdout: (text) => {
        out += text;
        signals.emit('stdout');
      },
      stderr: () => {},
      signals: signals as unknown as Pick<NodeJS.Process, 'once' | 'off'>,
    });
    await started;
    expect(out).toContain('Quirks: realistic (seed 42)');
    expect(out).toContain('HTTP 429 above 5 STK queries per 60 s');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    const quirks = (await (await fetch(`${url}/simulator/quirks`)).json()) as Record<string, unknown>;
    expect(quirks).toMatchObject({ preset: 'realistic', seed: 42 });
    signals.emit('SIGINT');
    expect(await exit).toBe(0);
  });
});
