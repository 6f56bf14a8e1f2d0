import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DarajaProductNotEnabledError, isDarajaProductNotEnabledError } from '../../../../src/core/errors.js';
import {
  type CachedToken,
  DarajaAuthError,
  DarajaNetworkError,
  MemoryTokenCache,
  type TokenCache,
} from '../../../../src/index.js';
import { SANDBOX, TOKEN_PREFIX } from '../../../fixtures/constants.js';
import { NO_API_PRODUCT } from '../../../fixtures/daraja-errors.js';
import { makeClient } from '../../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const query = (d = makeClient()) => d.stk.query('ws_CO_191220191020363925');

afterEach(() => {
  mock.state.oauthCalls = 0;
  mock.state.queryCalls = 0;
  mock.state.validTokens.clear();
  mock.state.expiresIn = 3599;
  mock.state.authHeaders.length = 0;
  vi.useRealTimers();
});

describe('token management', () => {
  it('fetches one token and reuses it until shortly before expiry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const d = makeClient();
    await query(d);
    await query(d);
    await query(d);
    expect(mock.state.oauthCalls).toBe(1);
    vi.advanceTimersByTime(3599_000 - 61_000); // still more than the 60 s margin left
    await query(d);
    expect(mock.state.oauthCalls).toBe(1);
    vi.advanceTimersByTime(2_000); // now inside the margin: refresh before Daraja expires it
    await query(d);
    expect(mock.state.oauthCalls).toBe(2);
    expect(mock.state.authHeaders.at(-1)).toBe(`Bearer ${TOKEN_PREFIX}2`);
  });

  it.each([3599, '3599', ' 3599 '])('accepts expires_in as %j', async (expiresIn) => {
    mock.state.expiresIn = expiresIn;
    const cache = new MemoryTokenCache();
    const setSpy = vi.spyOn(cache, 'set');
    const before = Date.now();
    await query(makeClient({ tokenCache: cache }));
    const stored = setSpy.mock.calls[0]?.[1] as CachedToken;
    expect(stored.expiresAt).toBeGreaterThanOrEqual(before + 3539_000 - 50);
    expect(stored.expiresAt).toBeLessThanOrEqual(Date.now() + 3539_000);
  });

  it.each([0, -5, 'soon', null])(
    'rejects an unusable expires_in (%j) with a typed error',
    async (expiresIn) => {
      mock.state.expiresIn = expiresIn as number;
      await expect(query()).rejects.toMatchObject({ name: 'DarajaApiError', operation: 'oauth' });
    },
  );

  it('uses half the lifetime as margin for very short-lived tokens', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    mock.state.expiresIn = 60;
    const d = makeClient();
    await query(d);
    vi.advanceTimersByTime(29_000);
    await query(d);
    expect(mock.state.oauthCalls).toBe(1);
    vi.advanceTimersByTime(2_000);
    await query(d);
    expect(mock.state.oauthCalls).toBe(2);
  });

  it('shares one in-flight OAuth request between concurrent callers', async () => {
    const d = makeClient();
    await Promise.all(Array.from({ length: 50 }, () => query(d)));
    expect(mock.state.oauthCalls).toBe(1);
    expect(mock.state.queryCalls).toBe(50);
  });

  it('caches per environment and consumer key', async () => {
    const cache = new MemoryTokenCache();
    await query(makeClient({ tokenCache: cache }));
    await query(makeClient({ tokenCache: cache })); // same key: shared
    expect(mock.state.oauthCalls).toBe(1);
    const other = fakeDaraja({ base: 'http://127.0.0.1:9999' });
    server.use(...other.handlers);
    await makeClient({ tokenCache: cache, baseUrl: 'http://127.0.0.1:9999' }).stk.query('ws_CO_1');
    expect(other.state.oauthCalls).toBe(1); // another environment: its own token
  });

  it('lets several clients (processes) share one token through a TokenCache', async () => {
    const store = new Map<string, string>();
    const shared: TokenCache = {
      async get(key) {
        const v = store.get(key);
        return v ? (JSON.parse(v) as CachedToken) : undefined;
      },
      async set(key, token) {
        store.set(key, JSON.stringify(token));
      },
      async delete(key) {
        store.delete(key);
      },
    };
    await query(makeClient({ tokenCache: shared }));
    await Promise.all([query(makeClient({ tokenCache: shared })), query(makeClient({ tokenCache: shared }))]);
    expect(mock.state.oauthCalls).toBe(1);
    expect([...store.keys()][0]).toMatch(/^daraja-sdk:token:sandbox:[0-9a-f]{16}$/);
  });

  it('keeps working when the shared cache fails', async () => {
    const broken: TokenCache = {
      get: () => Promise.reject(new Error('redis down')),
      set: () => Promise.reject(new Error('redis down')),
      delete: () => Promise.reject(new Error('redis down')),
    };
    const result = await query(makeClient({ tokenCache: broken }));
    expect(result.status).toBe('completed');
  });

  it('clears an invalid token and replays the request exactly once', async () => {
    const d = makeClient();
    await query(d);
    mock.state.validTokens.clear(); // Daraja invalidated our token (e.g. another process refreshed it)
    mock.state.queryCalls = 0;
    const result = await query(d);
    expect(result.status).toBe('completed');
    expect(mock.state.oauthCalls).toBe(2);
    expect(mock.state.queryCalls).toBe(2); // the rejected call and its single replay
  });

  it.each([
    [401, { errorCode: '401.002.01', errorMessage: 'Error Occurred - Invalid Access Token - XXX' }],
    [400, { errorCode: '400.003.01', errorMessage: 'Invalid Access Token' }],
    [404, { errorCode: '404.001.03', errorMessage: 'Invalid Access Token' }],
    [401, ''],
  ] as Array<[number, Record<string, string> | '']>)(
    'does not loop when the token keeps being rejected (%i %j)',
    async (status, body) => {
      let calls = 0;
      server.use(
        http.post(`${SANDBOX}/mpesa/stkpushquery/v1/query`, () => {
          calls += 1;
          return body === ''
            ? new HttpResponse(null, { status })
            : HttpResponse.json({ requestId: 'r', ...body }, { status });
        }),
      );
      const error = await query().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DarajaAuthError);
      expect(calls).toBe(2);
      expect(mock.state.oauthCalls).toBe(2);
      expect((error as DarajaAuthError).message).toMatch(/API product|environment/);
    },
  );

  // Daraja's "no apiproduct match found" means the app lacks the API product; a new token
  // gets the same answer, so it must not cost an OAuth refresh and a replay.
  it.each([
    ['401.003.01', 401, { errorCode: '401.003.01', errorMessage: 'no apiproduct match found' }],
    [
      'the message alone',
      401,
      {
        errorCode: '401.002.01',
        errorMessage: 'Error Occurred - Invalid Access Token - no apiproduct match found',
      },
    ],
    ['401.003.01 at HTTP 400', 400, { errorCode: '401.003.01', errorMessage: 'Bad Request' }],
  ] as Array<[string, number, Record<string, string>]>)(
    'an app without the API product (%s): DarajaProductNotEnabledError, one call, no token refresh',
    async (_name, status, body) => {
      const d = makeClient({ maxRetries: 3 });
      await d.verifyCredentials();
      const oauthBefore = mock.state.oauthCalls;
      let calls = 0;
      server.use(
        http.post(`${SANDBOX}/mpesa/stkpushquery/v1/query`, () => {
          calls += 1;
          return HttpResponse.json({ requestId: 'r-401', ...body }, { status });
        }),
      );
      const error = (await query(d).catch((e: unknown) => e)) as DarajaProductNotEnabledError;
      expect(error).toBeInstanceOf(DarajaProductNotEnabledError);
      expect(error).not.toBeInstanceOf(DarajaAuthError);
      expect(isDarajaProductNotEnabledError(error)).toBe(true);
      expect(error).toMatchObject({
        name: 'DarajaProductNotEnabledError',
        product: 'M-Pesa Express',
        operation: 'stk.query',
        status,
        requestId: 'r-401',
        errorCode: body['errorCode'],
      });
      expect(error.message).toMatch(
        /stk\.query: this app is not subscribed to the Daraja API product "M-Pesa Express"[\s\S]*new access token will not help[\s\S]*Daraja portal[\s\S]*add "M-Pesa Express" to the app/,
      );
      expect(calls).toBe(1);
      expect(mock.state.oauthCalls - oauthBefore).toBe(0);
    },
  );

  it('an STK push refused with 401.003.01 is a definite refusal (not an unknown outcome), sent once', async () => {
    const d = makeClient({ maxRetries: 3 });
    await d.verifyCredentials();
    const oauthBefore = mock.state.oauthCalls;
    let calls = 0;
    server.use(
      http.post(`${SANDBOX}/mpesa/stkpush/v1/processrequest`, () => {
        calls += 1;
        return HttpResponse.json(NO_API_PRODUCT, { status: 401 });
      }),
    );
    const error = await d.stk
      .push({ phoneNumber: '0712345678', amount: 1, accountReference: 'A1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DarajaProductNotEnabledError);
    expect((error as DarajaProductNotEnabledError).product).toBe('M-Pesa Express');
    expect(calls).toBe(1);
    expect(mock.state.oauthCalls - oauthBefore).toBe(0);
  });

  it('reports rejected consumer credentials as DarajaAuthError without retrying', async () => {
    let calls = 0;
    server.use(
      http.get(`${SANDBOX}/oauth/v1/generate`, () => {
        calls += 1;
        return new HttpResponse(null, { status: 400, statusText: 'Bad Request: Invalid Credentials' });
      }),
    );
    const error = (await query().catch((e: unknown) => e)) as DarajaAuthError;
    expect(error).toBeInstanceOf(DarajaAuthError);
    expect(error.status).toBe(400);
    expect(error.body).toBe('');
    expect(error.message).toMatch(/MPESA_CONSUMER_KEY/);
    expect(calls).toBe(1);
  });

  it('gives every waiter a typed error when OAuth is down, with no stampede', async () => {
    let calls = 0;
    server.use(
      http.get(`${SANDBOX}/oauth/v1/generate`, () => {
        calls += 1;
        return new HttpResponse('<html><body>502 Bad Gateway</body></html>', {
          status: 502,
          headers: { 'content-type': 'text/html' },
        });
      }),
    );
    const d = makeClient({ maxRetries: 2 });
    const results = await Promise.allSettled(Array.from({ length: 1000 }, () => query(d)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    for (const r of results) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        name: 'DarajaApiError',
        status: 502,
        operation: 'oauth',
      });
    }
    expect(calls).toBe(3); // 1 + maxRetries, shared by all 1,000 waiters
    expect(mock.state.queryCalls).toBe(0);
  });

  it('retries OAuth on network errors and then gives a DarajaNetworkError', async () => {
    let calls = 0;
    server.use(
      http.get(`${SANDBOX}/oauth/v1/generate`, () => {
        calls += 1;
        return HttpResponse.error();
      }),
    );
    await expect(query(makeClient({ maxRetries: 3 }))).rejects.toBeInstanceOf(DarajaNetworkError);
    expect(calls).toBe(4);
  });

  it('verifyCredentials fetches a token without exposing it', async () => {
    const d = makeClient();
    await expect(d.verifyCredentials()).resolves.toBeUndefined();
    await d.verifyCredentials();
    expect(mock.state.oauthCalls).toBe(1);
  });
});
