import { delay, HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DarajaApiError,
  DarajaConfigError,
  DarajaTimeoutError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
  stkPassword,
} from '../../../../src/index.js';
import { CALLBACK_URL, PASSKEY, SANDBOX, SHORTCODE } from '../../../fixtures/constants.js';
import { makeClient, rejection } from '../../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';
import { captured } from '../../../helpers/logger.js';

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const PUSH = `${SANDBOX}/mpesa/stkpush/v1/processrequest`;
const params = { phoneNumber: '0712 345 678', amount: 100, accountReference: 'PRO-42' };

afterEach(() => {
  mock.state.pushCalls = 0;
  mock.state.pushBodies.length = 0;
  vi.useRealTimers();
});

describe('stk.push request', () => {
  it('sends the documented wire body, with the password built from the timestamp sent', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2021-06-28T06:24:08Z'));
    const response = await makeClient().stk.push({ ...params, transactionDesc: 'Pro plan' });
    expect(mock.state.pushBodies).toEqual([
      {
        BusinessShortCode: 174379,
        Password: stkPassword(SHORTCODE, PASSKEY, '20210628092408'),
        Timestamp: '20210628092408',
        TransactionType: 'CustomerPayBillOnline',
        Amount: '100',
        PartyA: '254712345678',
        PartyB: '174379',
        PhoneNumber: '254712345678',
        CallBackURL: CALLBACK_URL,
        AccountReference: 'PRO-42',
        TransactionDesc: 'Pro plan',
      },
    ]);
    expect(mock.state.pushBodies[0]?.['Password']).toBe(
      'MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjEwNjI4MDkyNDA4',
    );
    expect(response).toEqual({
      merchantRequestId: '29115-34620561-1',
      checkoutRequestId: 'ws_CO_191220191020363921',
      responseCode: '0',
      responseDescription: 'Success. Request accepted for processing',
      customerMessage: 'Success. Request accepted for processing',
      phoneNumber: '254712345678',
      amount: 100,
      timestamp: '20210628092408',
    });
  });

  it('sends JSON with a bearer token', async () => {
    let contentType = '';
    server.use(
      http.post(PUSH, async ({ request }) => {
        contentType = request.headers.get('content-type') ?? '';
        return HttpResponse.json({ MerchantRequestID: 'm', CheckoutRequestID: 'ws_CO_1', ResponseCode: 0 });
      }),
    );
    const r = await makeClient().stk.push(params);
    expect(contentType).toMatch(/^application\/json/);
    expect(r.responseCode).toBe('0');
  });

  it('uses Buy Goods with the till as PartyB and the store number as BusinessShortCode', async () => {
    await makeClient({ tillNumber: '5201234' }).stk.push(params);
    await makeClient().stk.push({ ...params, transactionType: 'CustomerBuyGoodsOnline', tillNumber: 600123 });
    expect(
      mock.state.pushBodies.map((b) => [b['TransactionType'], b['BusinessShortCode'], b['PartyB']]),
    ).toEqual([
      ['CustomerBuyGoodsOnline', 174379, '5201234'],
      ['CustomerBuyGoodsOnline', 174379, '600123'],
    ]);
    const e = await rejection(
      makeClient().stk.push({ ...params, transactionType: 'CustomerBuyGoodsOnline' }),
    );
    expect(e).toMatchObject({ name: 'DarajaValidationError', field: 'tillNumber' });
  });

  it('takes the callback URL from the call, else from the client', async () => {
    await makeClient().stk.push({ ...params, callbackUrl: 'https://other.example.com/cb/1' });
    await makeClient().stk.push(params);
    expect(mock.state.pushBodies.map((b) => b['CallBackURL'])).toEqual([
      'https://other.example.com/cb/1',
      CALLBACK_URL,
    ]);
    const e = await rejection(makeClient({ callbackUrl: undefined }).stk.push(params));
    expect(e).toBeInstanceOf(DarajaConfigError);
    expect(e.message).toMatch(/MPESA_CALLBACK_URL/);
  });

  it('defaults transactionDesc and trims text fields', async () => {
    await makeClient().stk.push({ ...params, accountReference: '  INV-7  ' });
    expect(mock.state.pushBodies[0]).toMatchObject({ AccountReference: 'INV-7', TransactionDesc: 'Payment' });
  });
});

describe('stk.push validation (nothing is sent)', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['cents', { amount: 10.5 }, 'amount', /whole number/],
    ['zero', { amount: 0 }, 'amount', /between 1 and 250,000/],
    ['negative', { amount: -1 }, 'amount', /between 1/],
    ['too large', { amount: 250_001 }, 'amount', /250,000/],
    ['string amount', { amount: '100' }, 'amount', /number of shillings/],
    ['NaN', { amount: Number.NaN }, 'amount', /number/],
    ['empty reference', { accountReference: '' }, 'accountReference', /required/],
    [
      'reference of 13',
      { accountReference: 'ABCDEFGHIJKLM' },
      'accountReference',
      /13 characters; Daraja allows at most 12/,
    ],
    ['desc of 14', { transactionDesc: 'ABCDEFGHIJKLMN' }, 'transactionDesc', /at most 13/],
    ['bad phone', { phoneNumber: '0812345678' }, 'phoneNumber', /Kenyan mobile/],
    ['callback with space', { callbackUrl: 'https://x.example.com/a b' }, 'callbackUrl', /whitespace/],
    ['callback not a url', { callbackUrl: 'callback' }, 'callbackUrl', /absolute URL/],
    ['bad type', { transactionType: 'CustomerPayBill' }, 'transactionType', /CustomerPayBillOnline/],
  ];
  it.each(cases)('rejects %s', async (_name, override, field, message) => {
    const e = await rejection(makeClient().stk.push({ ...params, ...override } as never));
    expect(e).toBeInstanceOf(DarajaValidationError);
    expect((e as DarajaValidationError).field).toBe(field);
    expect(e.message).toMatch(message);
    expect(mock.state.pushCalls).toBe(0);
    expect(mock.state.oauthCalls).toBeGreaterThanOrEqual(0);
  });

  it('accepts the limits themselves', async () => {
    await makeClient().stk.push({
      ...params,
      amount: 1,
      accountReference: 'ABCDEFGHIJKL',
      transactionDesc: 'ABCDEFGHIJKLM',
    });
    await makeClient().stk.push({ ...params, amount: 250_000 });
    expect(mock.state.pushCalls).toBe(2);
  });

  it('requires shortcode and passkey, naming both', async () => {
    const e = (await rejection(
      makeClient({ shortcode: undefined, passkey: undefined }).stk.push(params),
    )) as DarajaConfigError;
    expect(e.issues.map((i) => i.field)).toEqual(['shortcode', 'passkey']);
    expect(e.message).toMatch(/MPESA_SHORTCODE[\s\S]*MPESA_PASSKEY/);
  });

  it('requires https callbacks in production', async () => {
    const e = await rejection(
      makeClient({
        environment: 'production',
        shortcode: '4012345',
        passkey: 'production-passkey-not-the-sandbox-one',
        callbackUrl: undefined,
        baseUrl: undefined,
      }).stk.push({
        ...params,
        callbackUrl: 'http://merchant.example.com/cb',
      }),
    );
    expect(e).toMatchObject({ name: 'DarajaValidationError', field: 'callbackUrl' });
  });
});

describe('stk.push failures', () => {
  it('maps a 400 error envelope to DarajaApiError with every field, and does not retry', async () => {
    server.use(
      http.post(PUSH, () =>
        HttpResponse.json(
          {
            requestId: '1c5b-4ba8-815c',
            errorCode: '400.002.02',
            errorMessage: 'Bad Request - Invalid PhoneNumber',
          },
          { status: 400 },
        ),
      ),
    );
    const e = (await rejection(makeClient().stk.push(params))) as DarajaApiError;
    expect(e).toBeInstanceOf(DarajaApiError);
    expect(e).toMatchObject({
      status: 400,
      requestId: '1c5b-4ba8-815c',
      errorCode: '400.002.02',
      errorMessage: 'Bad Request - Invalid PhoneNumber',
      operation: 'stk.push',
    });
    expect(e.message).toMatch(/rejected the field PhoneNumber/);
  });

  it('maps "Wrong credentials" to an API error telling what to check, without retrying', async () => {
    let calls = 0;
    server.use(
      http.post(PUSH, () => {
        calls += 1;
        return HttpResponse.json(
          {
            requestId: 'r',
            errorCode: '500.001.1001',
            errorMessage: '[MerchantValidate] - Wrong credentials',
          },
          { status: 500 },
        );
      }),
    );
    const e = await rejection(makeClient().stk.push(params));
    expect(e).toMatchObject({ name: 'DarajaApiError', status: 500, errorCode: '500.001.1001' });
    expect(e.message).toMatch(/MPESA_PASSKEY/);
    expect(calls).toBe(1);
  });

  it('treats a 500 with an HTML body as an unknown outcome, keeps the body, and sends once', async () => {
    let calls = 0;
    server.use(
      http.post(PUSH, () => {
        calls += 1;
        return new HttpResponse(
          '<html><head><title>500 Internal Server Error</title></head><body>oops</body></html>',
          {
            status: 500,
            headers: { 'content-type': 'text/html' },
          },
        );
      }),
    );
    const e = (await rejection(makeClient({ maxRetries: 5 }).stk.push(params))) as DarajaUnknownOutcomeError;
    expect(e).toBeInstanceOf(DarajaUnknownOutcomeError);
    const cause = e.cause as DarajaApiError;
    expect(cause).toBeInstanceOf(DarajaApiError);
    expect(cause.status).toBe(500);
    expect(cause.body).toContain('<title>500 Internal Server Error</title>');
    expect(cause.errorCode).toBeUndefined();
    expect(calls).toBe(1);
  });

  it('an accepted answer whose body stalls is an unknown outcome after timeoutMs, sent once', async () => {
    let calls = 0;
    server.use(
      http.post(PUSH, () => {
        calls += 1;
        const stalled = new ReadableStream({
          start: (c) => c.enqueue(new TextEncoder().encode('{"MerchantRequestID":')),
        });
        return new HttpResponse(stalled, { status: 200, headers: { 'content-type': 'application/json' } });
      }),
    );
    const e = await rejection(makeClient({ maxRetries: 5, timeoutMs: 100 }).stk.push(params));
    expect(e).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect((e.cause as Error).name).toBe('DarajaTimeoutError');
    expect(calls).toBe(1);
  });

  it.each([502, 503, 504])('never resends after a %i from the gateway', async (status) => {
    let calls = 0;
    server.use(
      http.post(PUSH, () => {
        calls += 1;
        return new HttpResponse('', { status });
      }),
    );
    await expect(makeClient({ maxRetries: 5 }).stk.push(params)).rejects.toBeInstanceOf(
      DarajaUnknownOutcomeError,
    );
    expect(calls).toBe(1);
  });

  it('turns a timeout into an unknown-outcome error, with no second push request', async () => {
    let calls = 0;
    server.use(
      http.post(PUSH, async () => {
        calls += 1;
        await delay(2_000);
        return HttpResponse.json({});
      }),
    );
    const started = Date.now();
    const e = (await rejection(
      makeClient({ timeoutMs: 100, maxRetries: 5 }).stk.push(params),
    )) as DarajaUnknownOutcomeError;
    expect(e).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(e.cause).toBeInstanceOf(DarajaTimeoutError);
    expect((e.cause as DarajaTimeoutError).timeoutMs).toBe(100);
    expect(e.message).toMatch(/NOT resent/);
    expect(Date.now() - started).toBeLessThan(1_500);
    await delay(50);
    expect(calls).toBe(1);
    expect(mock.state.pushCalls).toBe(0);
  });

  it('treats a dropped connection as an unknown outcome and does not resend', async () => {
    let calls = 0;
    server.use(
      http.post(PUSH, () => {
        calls += 1;
        return HttpResponse.error();
      }),
    );
    await expect(makeClient({ maxRetries: 5 }).stk.push(params)).rejects.toBeInstanceOf(
      DarajaUnknownOutcomeError,
    );
    expect(calls).toBe(1);
  });

  it('treats an unreadable 200 as an unknown outcome', async () => {
    server.use(http.post(PUSH, () => new HttpResponse('OK', { status: 200 })));
    await expect(makeClient().stk.push(params)).rejects.toBeInstanceOf(DarajaUnknownOutcomeError);
    server.use(http.post(PUSH, () => HttpResponse.json({ ResponseCode: '0' })));
    await expect(makeClient().stk.push(params)).rejects.toBeInstanceOf(DarajaUnknownOutcomeError);
  });

  it('maps a 200 with a non-zero ResponseCode to a rejection', async () => {
    server.use(
      http.post(PUSH, () =>
        HttpResponse.json({
          MerchantRequestID: 'm-1',
          CheckoutRequestID: 'ws_CO_1',
          ResponseCode: '1',
          ResponseDescription: 'Rejected',
        }),
      ),
    );
    const e = await rejection(makeClient().stk.push(params));
    expect(e).toMatchObject({
      name: 'DarajaApiError',
      errorCode: '1',
      errorMessage: 'Rejected',
      status: 200,
    });
  });

  it('replays once after an invalid-token answer (Daraja did nothing with the push)', async () => {
    const d = makeClient();
    await d.stk.push(params);
    mock.state.validTokens.clear();
    mock.state.pushCalls = 0;
    await d.stk.push(params);
    expect(mock.state.pushCalls).toBe(2);
    expect(mock.state.pushBodies).toHaveLength(2); // only accepted pushes are recorded
  });

  it('logs the outcome with the phone number masked', async () => {
    const before = captured.length;
    await makeClient().stk.push(params);
    const lines = captured.slice(before).join('\n');
    expect(lines).toMatch(/stk push accepted/);
    expect(lines).toContain('2547****5678');
    expect(lines).not.toContain('254712345678');
  });
});
