import { delay, HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DarajaApiError,
  DarajaNotFoundError,
  DarajaTimeoutError,
  DarajaValidationError,
  describeStkResultCode,
  STK_RESULT_CODES,
  stkResultStatus,
} from '../../../../src/index.js';
import { SANDBOX } from '../../../fixtures/constants.js';
import { IN_FLIGHT_EMPTY, TRANSACTION_NOT_EXIST } from '../../../fixtures/daraja-errors.js';
import { makeClient } from '../../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const QUERY = `${SANDBOX}/mpesa/stkpushquery/v1/query`;
const ID = 'ws_CO_13012021093521236557';

afterEach(() => {
  mock.state.queryBodies.length = 0;
});

function answer(body: string | Record<string, unknown>, status = 200) {
  let calls = 0;
  server.use(
    http.post(QUERY, () => {
      calls += 1;
      return typeof body === 'string'
        ? new HttpResponse(body, { status })
        : HttpResponse.json(body, { status });
    }),
  );
  return () => calls;
}

describe('stk.query', () => {
  it('sends shortcode, password, timestamp and the id', async () => {
    await makeClient().stk.query(ID);
    const body = mock.state.queryBodies[0]!;
    expect(Object.keys(body).sort()).toEqual([
      'BusinessShortCode',
      'CheckoutRequestID',
      'Password',
      'Timestamp',
    ]);
    expect(body['BusinessShortCode']).toBe('174379');
    expect(body['CheckoutRequestID']).toBe(ID);
    expect(Buffer.from(String(body['Password']), 'base64').toString()).toMatch(
      new RegExp(`^174379[0-9a-f]{64}${body['Timestamp']}$`),
    );
  });

  it('takes { checkoutRequestId } like every other method (the bare id is the deprecated form)', async () => {
    await makeClient().stk.query({ checkoutRequestId: ID });
    expect(mock.state.queryBodies[0]!['CheckoutRequestID']).toBe(ID);
    await expect(makeClient().stk.query({ checkoutRequestId: 'has space' })).rejects.toMatchObject({
      name: 'DarajaValidationError',
      field: 'checkoutRequestId',
    });
    expect(mock.state.queryBodies).toHaveLength(1);
  });

  it('maps the documented success answer (ResultCode as a string) to completed', async () => {
    answer({
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successfully',
      MerchantRequestID: '22205-34066-1',
      CheckoutRequestID: ID,
      ResultCode: '0',
      ResultDesc: 'The service request is processed successfully.',
    });
    expect(await makeClient().stk.query(ID)).toMatchObject({
      status: 'completed',
      resultCode: '0',
      merchantRequestId: '22205-34066-1',
      checkoutRequestId: ID,
      resultDesc: 'The service request is processed successfully.',
    });
  });

  it.each([
    [1032, 'cancelled'],
    ['1037', 'timeout'],
    [1, 'failed'],
    ['2001', 'failed'],
    ['1019', 'failed'],
    ['SFC_IC0003', 'failed'],
    ['1036', 'timeout'],
    [4242, 'pending'],
    ['4999', 'pending'],
  ])('maps ResultCode %j to %s', async (code, status) => {
    answer({
      ResponseCode: '0',
      CheckoutRequestID: ID,
      ResultCode: code,
      ResultDesc: 'No response from user.',
    });
    const r = await makeClient().stk.query(ID);
    expect(r.status).toBe(status);
    expect(r.final).toBe(status !== 'pending');
    expect(r.resultCode).toBe(String(code));
    expect(r.resultDesc).toBe('No response from user.');
  });

  it('reads the in-flight answers Daraja was seen to send as pending, never final', async () => {
    const inFlight: Array<[Record<string, unknown>, number]> = [
      [
        {
          ResponseCode: '0',
          ResponseDescription: 'The service request has been accepted successsfully',
          MerchantRequestID: 'm',
          CheckoutRequestID: ID,
          ResultCode: '4999',
          ResultDesc: 'The transaction is still under processing',
        },
        200,
      ],
      [IN_FLIGHT_EMPTY, 200],
    ];
    for (const [body, status] of inFlight) {
      answer(body, status);
      expect(await makeClient().stk.query(ID)).toMatchObject({ status: 'pending', final: false });
    }
  });

  it('treats "The transaction is being processed" as pending, not an error, and does not retry it', async () => {
    const calls = answer(
      {
        requestId: 'ws_CO_20022018230142206',
        errorCode: '500.001.1001',
        errorMessage: 'The transaction is being processed',
      },
      500,
    );
    const r = await makeClient({ maxRetries: 3 }).stk.query(ID);
    expect(r).toMatchObject({
      status: 'pending',
      resultCode: undefined,
      resultDesc: 'The transaction is being processed',
    });
    expect(calls()).toBe(1);
  });

  it('gives a DarajaNotFoundError for "The transaction does not Exist", without retrying', async () => {
    const calls = answer(TRANSACTION_NOT_EXIST, 500);
    const e = await makeClient({ maxRetries: 3 })
      .stk.query(ID)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DarajaNotFoundError);
    expect(e).toBeInstanceOf(DarajaApiError);
    expect(e).toMatchObject({ status: 500, errorCode: '500.001.1001' });
    expect(calls()).toBe(1);
  });

  it('retries a gateway 503 and spike arrest, then succeeds', async () => {
    let calls = 0;
    server.use(
      http.post(QUERY, () => {
        calls += 1;
        if (calls === 1) return new HttpResponse('<html>503</html>', { status: 503 });
        if (calls === 2)
          return HttpResponse.json(
            { errorCode: '500.003.02', errorMessage: 'Spike Arrest Violation' },
            { status: 500 },
          );
        return HttpResponse.json({
          ResponseCode: '0',
          ResultCode: '1032',
          ResultDesc: 'Request cancelled by user',
        });
      }),
    );
    expect((await makeClient({ maxRetries: 2 }).stk.query(ID)).status).toBe('cancelled');
    expect(calls).toBe(3);
  });

  it('honours Retry-After on 429 (capped)', async () => {
    let calls = 0;
    server.use(
      http.post(QUERY, () => {
        calls += 1;
        return calls === 1
          ? new HttpResponse('', { status: 429, headers: { 'retry-after': '0.05' } })
          : HttpResponse.json({ ResultCode: 0 });
      }),
    );
    const started = Date.now();
    expect((await makeClient({ retryMaxDelayMs: 1000 }).stk.query(ID)).status).toBe('completed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(calls).toBe(2);
  });

  it('stops after maxRetries and reports the last answer', async () => {
    const calls = answer('<html>Bad gateway</html>', 502);
    const e = await makeClient({ maxRetries: 2 })
      .stk.query(ID)
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'DarajaApiError', status: 502, body: '<html>Bad gateway</html>' });
    expect(calls()).toBe(3);
  });

  it('retries a timeout (a query moves no money)', async () => {
    let calls = 0;
    server.use(
      http.post(QUERY, async () => {
        calls += 1;
        if (calls === 1) await delay(1_000);
        return HttpResponse.json({ ResultCode: '0' });
      }),
    );
    expect((await makeClient({ timeoutMs: 50 }).stk.query(ID)).status).toBe('completed');
    expect(calls).toBe(2);
  });

  it('gives a DarajaTimeoutError when every attempt times out', async () => {
    server.use(
      http.post(QUERY, async () => {
        await delay(1_000);
        return HttpResponse.json({});
      }),
    );
    await expect(makeClient({ timeoutMs: 30, maxRetries: 1 }).stk.query(ID)).rejects.toBeInstanceOf(
      DarajaTimeoutError,
    );
  });

  it('times out an answer whose body stalls after its headers (ky times only the headers), and retries it', async () => {
    let calls = 0;
    server.use(
      http.post(QUERY, () => {
        calls += 1;
        if (calls > 1) return HttpResponse.json({ ResultCode: '0' });
        // Headers and a first chunk, then nothing: the body never ends.
        const stalled = new ReadableStream({
          start: (c) => c.enqueue(new TextEncoder().encode('{"ResultCode":')),
        });
        return new HttpResponse(stalled, { status: 200, headers: { 'content-type': 'application/json' } });
      }),
    );
    expect((await makeClient({ timeoutMs: 100 }).stk.query(ID)).status).toBe('completed');
    expect(calls).toBe(2);
    calls = 0;
    await expect(makeClient({ timeoutMs: 100, maxRetries: 0 }).stk.query(ID)).rejects.toBeInstanceOf(
      DarajaTimeoutError,
    );
  });

  it('does not retry a 400', async () => {
    const calls = answer(
      { errorCode: '400.002.02', errorMessage: 'Bad Request - Invalid CheckoutRequestID' },
      400,
    );
    await expect(makeClient({ maxRetries: 3 }).stk.query(ID)).rejects.toMatchObject({ status: 400 });
    expect(calls()).toBe(1);
  });

  it('rejects an Apigee fault object with its fault string', async () => {
    answer(
      {
        fault: {
          faultstring: 'Unable to identify proxy for host: secure and url: /x',
          detail: { errorcode: 'messaging.adaptors.http.flow.ApplicationNotFound' },
        },
      },
      404,
    );
    const e = (await makeClient()
      .stk.query(ID)
      .catch((x: unknown) => x)) as DarajaApiError;
    expect(e.errorMessage).toMatch(/Unable to identify proxy/);
    expect(e.errorCode).toBe('messaging.adaptors.http.flow.ApplicationNotFound');
  });

  it.each(['', 'has space', 'x'.repeat(101), 42])('validates the id (%j) before sending', async (id) => {
    await expect(makeClient().stk.query(id as string)).rejects.toBeInstanceOf(DarajaValidationError);
    expect(mock.state.queryBodies).toHaveLength(0);
  });
});

describe('result codes', () => {
  it('maps 0, 1032, 1037 and 1036, keeps 4999 pending, and every other known code to a final failed', () => {
    expect(stkResultStatus(0)).toBe('completed');
    expect(stkResultStatus('1032')).toBe('cancelled');
    expect(stkResultStatus(1037)).toBe('timeout');
    expect(stkResultStatus(1036)).toBe('timeout');
    expect(describeStkResultCode('4999')).toMatchObject({ status: 'pending', final: false, known: true });
    for (const code of Object.keys(STK_RESULT_CODES)) {
      if (!['0', '1032', '1037', '1036', '4999'].includes(code)) {
        expect(stkResultStatus(code), code).toBe('failed');
        expect(describeStkResultCode(code).final, code).toBe(true);
      }
    }
  });
  it('keeps unknown codes as they are, pending and not final: unknown is never failed', () => {
    expect(describeStkResultCode('1031')).toEqual({
      code: '1031',
      known: false,
      status: 'pending',
      final: false,
      meaning: expect.stringContaining('1031'),
    });
    expect(describeStkResultCode('__proto__').known).toBe(false);
    expect(describeStkResultCode('toString').known).toBe(false);
  });
  it('documents the codes of the reference (1, 2001, 1025, 17, 1019)', () => {
    expect(describeStkResultCode(2001).meaning).toMatch(/wrong M-Pesa PIN/);
    expect(describeStkResultCode(1).meaning).toMatch(/insufficient/);
    for (const code of ['1025', '17', '1019', '2028', '8006', 'SFC_IC0003'])
      expect(describeStkResultCode(code).known).toBe(true);
  });
});

describe('aborting', () => {
  it('gives a typed error when the signal is already aborted, sending nothing', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user went away'));
    const before = mock.state.queryBodies.length;
    const e = await makeClient()
      .stk.query(ID, { signal: controller.signal })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'DarajaNetworkError', operation: 'stk.query' });
    expect((e as Error).message).toMatch(/aborted by the caller/);
    expect(mock.state.queryBodies.length).toBe(before);
  });

  it('stops retrying when aborted during a backoff, with a typed error', async () => {
    let calls = 0;
    server.use(
      http.post(QUERY, () => {
        calls += 1;
        return new HttpResponse('<html>busy</html>', { status: 503 });
      }),
    );
    const controller = new AbortController();
    const pending = makeClient({ maxRetries: 5, retryBaseDelayMs: 200, retryMaxDelayMs: 200 })
      .stk.query(ID, { signal: controller.signal })
      .catch((x: unknown) => x);
    await delay(50);
    controller.abort();
    const e = await pending;
    expect(e).toMatchObject({ name: 'DarajaNetworkError', operation: 'stk.query' });
    expect(calls).toBe(1);
  });
});
