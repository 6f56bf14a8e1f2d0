import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { toApiError } from '../../../../src/core/http/api-errors.js';
import { parseRetryAfter } from '../../../../src/core/http/retry-after.js';
import {
  DarajaApiError,
  DarajaRateLimitError,
  isDarajaApiError,
  isDarajaRateLimitError,
} from '../../../../src/index.js';
import { SANDBOX } from '../../../fixtures/constants.js';
import { SPIKE_ARREST } from '../../../fixtures/daraja-errors.js';
import { makeClient, rejection } from '../../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';
import { captured } from '../../../helpers/logger.js';

// DarajaRateLimitError: the one error of Daraja's three rate limits (an HTTP 429, `500.003.02` Spike
// Arrest, `500.003.03` Quota), built by the one error factory (`toApiError`), with `Retry-After` read.

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const QUERY = `${SANDBOX}/mpesa/stkpushquery/v1/query`;
const PUSH = `${SANDBOX}/mpesa/stkpush/v1/processrequest`;
const ID = 'ws_CO_13012021093521236557';

/** Answer every STK query with `first` for the first `times` requests, then a completed payment. */
function queryAnswers(first: () => Response, times = Number.POSITIVE_INFINITY) {
  let calls = 0;
  server.use(
    http.post(QUERY, () => {
      calls += 1;
      return calls <= times ? first() : HttpResponse.json({ ResponseCode: '0', ResultCode: '0' });
    }),
  );
  return () => calls;
}

const SOURCES = [
  {
    source: 'http-429',
    answer: () => new HttpResponse('', { status: 429, headers: { 'retry-after': '30' } }),
    retryAfterMs: 30_000 as number | undefined,
  },
  {
    source: 'spike-arrest',
    answer: () =>
      HttpResponse.json(
        { requestId: 'rl-1', errorCode: '500.003.02', errorMessage: 'Spike Arrest Violation' },
        { status: 500 },
      ),
    retryAfterMs: undefined,
  },
  {
    source: 'quota',
    answer: () =>
      HttpResponse.json(
        { requestId: 'rl-2', errorCode: '500.003.03', errorMessage: 'Quota Violation' },
        { status: 500, headers: { 'retry-after': '2' } },
      ),
    retryAfterMs: 2_000,
  },
] as const;

describe('DarajaRateLimitError', () => {
  it.each(SOURCES)(
    'is what $source becomes once the retries run out',
    async ({ source, answer, retryAfterMs }) => {
      const calls = queryAnswers(answer);
      const error = await rejection(makeClient({ maxRetries: 1, retryMaxDelayMs: 1 }).stk.query(ID));
      expect(error).toBeInstanceOf(DarajaRateLimitError);
      expect(error).toBeInstanceOf(DarajaApiError);
      expect(isDarajaRateLimitError(error) && isDarajaApiError(error)).toBe(true);
      expect(error).toMatchObject({ operation: 'stk.query', source, retryAfterMs });
      expect(error.message).toMatch(/rate-limiting this app/);
      expect(calls()).toBe(2); // a query is safe to repeat: retried once, as maxRetries says
    },
  );

  it("reads the gateway's own spike arrest fault (429, policies.ratelimit.SpikeArrestViolation)", () => {
    const error = toApiError({ operation: 'stk.query' }, 429, SPIKE_ARREST);
    expect(error).toMatchObject({ name: 'DarajaRateLimitError', source: 'spike-arrest', status: 429 });
    const quota = toApiError({ operation: 'b2c.pay' }, 429, {
      fault: {
        faultstring: 'Rate limit quota violation',
        detail: { errorcode: 'policies.ratelimit.QuotaViolation' },
      },
    });
    expect(quota).toMatchObject({ name: 'DarajaRateLimitError', source: 'quota' });
  });

  it('is not what other error answers become', () => {
    for (const [status, errorCode] of [
      [500, '500.001.1001'],
      [400, '400.002.02'],
      [503, undefined],
    ] as const) {
      const error = toApiError({ operation: 'stk.query' }, status, { errorCode, errorMessage: 'x' });
      expect(isDarajaRateLimitError(error), `${status} ${errorCode}`).toBe(false);
    }
  });

  it('honours Retry-After on a 429 before retrying (the wait is the header, not the backoff)', async () => {
    const calls = queryAnswers(
      () => new HttpResponse('', { status: 429, headers: { 'retry-after': '0.04' } }),
      1,
    );
    const start = captured.length;
    const answer = await makeClient({ retryBaseDelayMs: 1, retryMaxDelayMs: 1_000 }).stk.query(ID);
    expect(answer.status).toBe('completed');
    expect(calls()).toBe(2);
    const retry = captured.slice(start).find((line) => line.includes('retrying after an error answer'));
    // The backoff alone would be 1 ms at most; the 40 ms are Daraja's.
    expect(retry).toMatch(/"status":429/);
    expect(retry).toMatch(/"delayMs":40\b/);
  });

  it('caps Retry-After at retryMaxDelayMs', async () => {
    queryAnswers(() => new HttpResponse('', { status: 429, headers: { 'retry-after': '3600' } }), 1);
    const start = captured.length;
    await makeClient({ retryMaxDelayMs: 3 }).stk.query(ID);
    const retry = captured.slice(start).find((line) => line.includes('retrying after an error answer'));
    expect(retry).toMatch(/"delayMs":3\b/);
  });

  it('never resends a money-moving call without a key: an STK push gets the error at once', async () => {
    let pushes = 0;
    server.use(
      http.post(PUSH, () => {
        pushes += 1;
        return new HttpResponse('', { status: 429, headers: { 'retry-after': '5' } });
      }),
    );
    const error = await rejection(
      makeClient({ maxRetries: 3 }).stk.push({
        phoneNumber: '0712345678',
        amount: 1,
        accountReference: 'A1',
      }),
    );
    expect(error).toMatchObject({ name: 'DarajaRateLimitError', source: 'http-429', retryAfterMs: 5_000 });
    expect(pushes).toBe(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});
