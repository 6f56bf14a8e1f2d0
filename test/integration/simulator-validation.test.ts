import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darajaTimestamp, stkPassword } from '../../src/index.js';
import { createSimulator, type Simulator, SimulatorConfigError } from '../../src/simulator/index.js';

// Raw HTTP against the simulator: Daraja's answers to bad credentials, tokens, bodies and fields.
let sim: Simulator;
let token: string;
const basic = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

beforeAll(async () => {
  sim = await createSimulator({ callbackDelayMs: 60_000 });
  const answer = await fetch(`${sim.url}/oauth/v1/generate?grant_type=client_credentials`, {
    headers: { authorization: basic(sim.consumerKey, sim.consumerSecret) },
  });
  token = ((await answer.json()) as { access_token: string }).access_token;
});
afterAll(() => sim.close());

function validPush(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const timestamp = darajaTimestamp();
  return {
    BusinessShortCode: 174379,
    Password: stkPassword(sim.shortcode, sim.passkey, timestamp),
    Timestamp: timestamp,
    TransactionType: 'CustomerPayBillOnline',
    Amount: '1',
    PartyA: '254722000000',
    PartyB: '174379',
    PhoneNumber: '254722111111',
    CallBackURL: 'http://127.0.0.1:9/callback',
    AccountReference: 'accountref',
    TransactionDesc: 'txndesc',
    ...overrides,
  };
}

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}
const push = (body: unknown, headers?: Record<string, string>) =>
  post('/mpesa/stkpush/v1/processrequest', body, headers);

describe('OAuth answers', () => {
  const oauth = (query: string, authorization?: string) =>
    fetch(`${sim.url}/oauth/v1/generate${query}`, authorization ? { headers: { authorization } } : {});

  it('issues random tokens with expires_in "3599" as a string', async () => {
    const ok = basic(sim.consumerKey, sim.consumerSecret);
    const a = (await (await oauth('?grant_type=client_credentials', ok)).json()) as Record<string, unknown>;
    const b = (await (await oauth('?grant_type=client_credentials', ok)).json()) as Record<string, unknown>;
    expect(a['expires_in']).toBe('3599');
    expect(a['access_token']).toMatch(/^[\w-]{28}$/);
    expect(a['access_token']).not.toBe(b['access_token']);
  });

  it('wrong credentials: HTTP 400 with an empty body', async () => {
    for (const auth of [basic(sim.consumerKey, 'wrong'), basic('wrong', sim.consumerSecret), basic('', '')]) {
      const answer = await oauth('?grant_type=client_credentials', auth);
      expect(answer.status).toBe(400);
      expect(answer.statusText).toBe('Bad Request: Invalid Credentials');
      expect(await answer.text()).toBe('');
    }
  });

  it('a wrong grant type: 400.008.02; no Basic header: 400.008.01', async () => {
    const ok = basic(sim.consumerKey, sim.consumerSecret);
    for (const query of ['', '?grant_type=password', '?grant_type=client_credentials%20']) {
      const answer = await oauth(query, ok);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({
        errorCode: '400.008.02',
        errorMessage: 'Invalid grant type passed',
      });
    }
    for (const auth of [undefined, `Bearer ${token}`]) {
      const answer = await oauth('?grant_type=client_credentials', auth);
      expect(await answer.json()).toMatchObject({ errorCode: '400.008.01' });
    }
  });

  it('tokenLifetimeMs: expires_in follows it, and tokens stop working after it', async () => {
    const short = await createSimulator({ tokenLifetimeMs: 50 });
    try {
      const answer = await fetch(`${short.url}/oauth/v1/generate?grant_type=client_credentials`, {
        headers: { authorization: basic(short.consumerKey, short.consumerSecret) },
      });
      const { access_token, expires_in } = (await answer.json()) as Record<string, string>;
      expect(expires_in).toBe('1');
      await new Promise((r) => setTimeout(r, 80));
      const late = await fetch(`${short.url}/mpesa/stkpush/v1/processrequest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify(validPush()),
      });
      expect(late.status).toBe(404);
      expect(await late.json()).toMatchObject({ errorCode: '404.001.03' });
    } finally {
      await short.close();
    }
  });
});

describe('STK push answers', () => {
  it("accepts Safaricom's documented sample request (mixed number and string types)", async () => {
    const answer = await push(validPush());
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body!)).toEqual([
      'MerchantRequestID',
      'CheckoutRequestID',
      'ResponseCode',
      'ResponseDescription',
      'CustomerMessage',
    ]);
    expect(answer.body).toMatchObject({ ResponseCode: '0' });
    // ws_CO_ + DDMMYYYYHHmmss + milliseconds + the last 9 digits of PhoneNumber (254722111111).
    expect(answer.body!['CheckoutRequestID']).toMatch(/^ws_CO_\d{17}722111111$/);
    expect(answer.body!['MerchantRequestID']).toMatch(
      /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\d+$/,
    );
  });

  it.each([
    ['Amount', 100],
    ['Amount', '100.00'],
    ['Amount', 250_000],
    ['PhoneNumber', 254712345678],
    ['PartyA', '254112345678'],
    ['BusinessShortCode', '174379'],
    ['TransactionType', 'CustomerBuyGoodsOnline'],
    ['TransactionDesc', undefined],
    ['TransactionDesc', 'Lipa na mpesa online'],
    ['AccountReference', 'ABCDEFGHIJKL'],
    ['CallBackURL', 'https://example.com/mpesa/cb?token=abc'],
  ])('accepts %s = %j', async (field, value) => {
    expect((await push(validPush({ [field]: value }))).status).toBe(200);
  });

  it.each([
    ['BusinessShortCode', 600000],
    ['BusinessShortCode', 'abc'],
    ['BusinessShortCode', undefined],
    ['Password', ''],
    ['Timestamp', '2021062809240'],
    ['Timestamp', '20211328092408'],
    ['Timestamp', 'now'],
    ['TransactionType', 'CustomerPayBill'],
    ['Amount', 0],
    ['Amount', 1.5],
    ['Amount', '1.5'],
    ['Amount', 250_001],
    ['Amount', 'ten'],
    ['Amount', -5],
    ['Amount', undefined],
    ['PartyA', '0712345678'],
    ['PartyB', 'till'],
    ['PhoneNumber', '254812345678'],
    ['PhoneNumber', '+254712345678'],
    ['CallBackURL', 'https://example.com/call back'],
    ['CallBackURL', 'ftp://example.com/cb'],
    ['CallBackURL', '/relative/path'],
    ['AccountReference', ''],
    ['AccountReference', 'ABCDEFGHIJKLM'],
    ['TransactionDesc', 'x'.repeat(101)],
  ])('rejects %s = %j with 400.002.02 "Bad Request - Invalid <field>"', async (field, value) => {
    const answer = await push(validPush({ [field]: value }));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      requestId: expect.stringMatching(/^[\w-]{10,}$/),
      errorCode: '400.002.02',
      errorMessage: `Bad Request - Invalid ${field}`,
    });
  });

  it('a form-encoded body: "Invalid BusinessShortCode", as Daraja answers', async () => {
    const form = new URLSearchParams(validPush() as Record<string, string>).toString();
    const answer = await push(form, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer).toMatchObject({
      status: 400,
      body: { errorCode: '400.002.02', errorMessage: 'Bad Request - Invalid BusinessShortCode' },
    });
    const logged = sim.requests.at(-1)!;
    expect(logged.body).toMatchObject({ Password: '[redacted]', AccountReference: 'accountref' });
  });

  it('JSON that does not parse, or is not an object: 400.002.05 Invalid Request Payload', async () => {
    for (const body of ['{"BusinessShortCode": 174379,', '[]', '"text"', '']) {
      const answer = await push(body);
      expect(answer).toMatchObject({
        status: 400,
        body: { errorCode: '400.002.05', errorMessage: 'Invalid Request Payload' },
      });
    }
    expect(sim.requests.at(-4)!.body).toBe('{"BusinessShortCode": 174379,');
  });

  it('a password that does not match shortcode + passkey + Timestamp: HTTP 500 Wrong credentials', async () => {
    const body = validPush();
    for (const Password of [
      stkPassword(sim.shortcode, 'another-passkey', String(body['Timestamp'])),
      stkPassword(sim.shortcode, sim.passkey, '20210628092408'), // built from another timestamp
    ]) {
      const answer = await push({ ...body, Password });
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({
        errorCode: '500.001.1001',
        errorMessage: '[MerchantValidate] - Wrong credentials',
      });
    }
  });

  it('a missing, unknown or non-Bearer token: 404.001.03 Invalid Access Token', async () => {
    for (const authorization of ['', 'Bearer not-a-token', `Basic ${token}`]) {
      const answer = await fetch(`${sim.url}/mpesa/stkpush/v1/processrequest`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(validPush()),
      });
      expect(answer.status).toBe(404);
      expect(await answer.json()).toEqual({
        requestId: expect.any(String),
        errorCode: '404.001.03',
        errorMessage: 'Invalid Access Token',
      });
    }
  });
});

describe('STK query answers', () => {
  const query = (overrides: Record<string, unknown> = {}) => {
    const timestamp = darajaTimestamp();
    return post('/mpesa/stkpushquery/v1/query', {
      BusinessShortCode: '174379',
      Password: stkPassword(sim.shortcode, sim.passkey, timestamp),
      Timestamp: timestamp,
      CheckoutRequestID: 'ws_CO_000',
      ...overrides,
    });
  };

  it('pending: HTTP 500 "The transaction is being processed", requestId = the CheckoutRequestID', async () => {
    const id = String((await push(validPush())).body!['CheckoutRequestID']);
    const answer = await query({ CheckoutRequestID: id });
    expect(answer).toEqual({
      status: 500,
      body: { requestId: id, errorCode: '500.001.1001', errorMessage: 'The transaction is being processed' },
    });
  });

  it('unknown: HTTP 500 "The transaction does not Exist"', async () => {
    expect(await query()).toMatchObject({
      status: 500,
      body: { errorCode: '500.001.1001', errorMessage: 'The transaction does not Exist' },
    });
  });

  it('checks the shortcode, id and password like STK push', async () => {
    expect((await query({ BusinessShortCode: '600000' })).body).toMatchObject({
      errorMessage: 'Bad Request - Invalid BusinessShortCode',
    });
    expect((await query({ CheckoutRequestID: '' })).body).toMatchObject({
      errorMessage: 'Bad Request - Invalid CheckoutRequestID',
    });
    expect((await query({ Password: stkPassword('174379', 'x', darajaTimestamp()) })).status).toBe(500);
  });
});

describe('routing', () => {
  it('an unknown path: 404.002.01; a known path with the wrong method: 405.001', async () => {
    const unknown = await fetch(`${sim.url}/mpesa/nothing/v1/here`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ errorCode: '404.002.01' });
    const wrongMethod = await fetch(`${sim.url}/mpesa/stkpush/v1/processrequest`);
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({ errorCode: '405.001' });
    expect(sim.requests.at(-2)).toMatchObject({ operation: 'unknown', status: 404 });
  });
});

describe('options', () => {
  it('reports every invalid option at once', async () => {
    const error = await createSimulator({
      port: -1,
      mode: 'sometimes' as never,
      shortcode: '12',
      callbackDelayMs: 1.5,
      duplicateCallbackCount: 1,
      colour: 'blue',
    } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulatorConfigError);
    expect((error as SimulatorConfigError).issues.map((i) => i.field).sort()).toEqual([
      'callbackDelayMs',
      'colour',
      'duplicateCallbackCount',
      'mode',
      'port',
      'shortcode',
    ]);
  });

  it('a custom shortcode, passkey and credentials replace the defaults', async () => {
    const custom = await createSimulator({ shortcode: 600_123, passkey: 'my-passkey' });
    try {
      expect(custom.shortcode).toBe('600123');
      expect(custom.passkey).toBe('my-passkey');
    } finally {
      await custom.close();
    }
  });

  it('a port in use: createSimulator rejects with the listen error', async () => {
    await expect(createSimulator({ port: sim.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
