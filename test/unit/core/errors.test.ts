import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { DarajaProductNotEnabledError, isDarajaProductNotEnabledError } from '../../../src/core/errors.js';
import * as sdk from '../../../src/index.js';
import {
  DarajaApiError,
  DarajaAuthError,
  DarajaCallbackError,
  DarajaConfigError,
  DarajaDuplicateError,
  DarajaError,
  DarajaNetworkError,
  DarajaNotFoundError,
  DarajaTimeoutError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
} from '../../../src/index.js';

const api = {
  operation: 'stk.push',
  status: 400,
  requestId: 'r-1',
  errorCode: '400.002.02',
  errorMessage: 'Bad Request - Invalid Amount',
  body: { errorCode: '400.002.02' },
};

const samples: Array<[string, () => DarajaError, (e: unknown) => boolean]> = [
  [
    'DarajaConfigError',
    () => new DarajaConfigError([{ field: 'consumerKey', message: 'required' }]),
    sdk.isDarajaConfigError,
  ],
  [
    'DarajaValidationError',
    () => new DarajaValidationError('amount', 'must be whole'),
    sdk.isDarajaValidationError,
  ],
  ['DarajaApiError', () => new DarajaApiError(api), sdk.isDarajaApiError],
  ['DarajaAuthError', () => new DarajaAuthError({ ...api, status: 401 }), sdk.isDarajaAuthError],
  ['DarajaNotFoundError', () => new DarajaNotFoundError({ ...api, status: 500 }), sdk.isDarajaNotFoundError],
  [
    'DarajaDuplicateError',
    () => new DarajaDuplicateError({ ...api, status: 500, errorCode: '500.002.1001' }, 'payout-1'),
    sdk.isDarajaDuplicateError,
  ],
  [
    'DarajaProductNotEnabledError',
    () =>
      new DarajaProductNotEnabledError(
        { ...api, status: 401, errorCode: '401.003.01', errorMessage: 'no apiproduct match found' },
        'M-Pesa Express',
      ),
    isDarajaProductNotEnabledError,
  ],
  [
    'DarajaRateLimitError',
    () => new sdk.DarajaRateLimitError({ ...api, status: 429 }, 'http-429', 1_000),
    sdk.isDarajaRateLimitError,
  ],
  [
    'DarajaNetworkError',
    () => new DarajaNetworkError('down', { operation: 'oauth' }),
    sdk.isDarajaNetworkError,
  ],
  [
    'DarajaTimeoutError',
    () => new DarajaTimeoutError('slow', { operation: 'oauth', timeoutMs: 5 }),
    sdk.isDarajaTimeoutError,
  ],
  [
    'DarajaUnknownOutcomeError',
    () => new DarajaUnknownOutcomeError('stk.push', new Error('reset')),
    sdk.isDarajaUnknownOutcomeError,
  ],
  [
    'DarajaCallbackError',
    () => new DarajaCallbackError('no Body', { reason: 'invalid_body', path: 'Body' }),
    sdk.isDarajaCallbackError,
  ],
];

describe('DarajaError tree', () => {
  it.each(samples)('%s has its name, is a DarajaError and passes its guard', (name, make, guard) => {
    const e = make();
    expect(e.name).toBe(name);
    expect(e).toBeInstanceOf(DarajaError);
    expect(e).toBeInstanceOf(Error);
    expect(sdk.isDarajaError(e)).toBe(true);
    expect(guard(e)).toBe(true);
    expect(e.message.startsWith('[daraja]')).toBe(true);
  });

  it('guards reject every other class and non-errors', () => {
    for (const [name, , guard] of samples) {
      for (const [otherName, make] of samples) {
        if (otherName === name) continue;
        const e = make();
        const related =
          (name === 'DarajaApiError' &&
            [
              'DarajaAuthError',
              'DarajaNotFoundError',
              'DarajaDuplicateError',
              'DarajaProductNotEnabledError',
              'DarajaRateLimitError',
            ].includes(otherName)) ||
          (name === 'DarajaNetworkError' && otherName === 'DarajaTimeoutError');
        expect(guard(e), `${name} guard on ${otherName}`).toBe(related);
      }
      expect(guard(new Error('x'))).toBe(false);
      expect(guard(null)).toBe(false);
      expect(guard('DarajaApiError')).toBe(false);
    }
  });

  it('guards work across module copies, where instanceof fails', async () => {
    vi.resetModules();
    const copy = await import('../../../src/core/errors.js'); // a fresh module instance after resetModules
    const foreign = new copy.DarajaApiError(api);
    expect(foreign instanceof DarajaApiError).toBe(false);
    expect(sdk.isDarajaApiError(foreign)).toBe(true);
    expect(sdk.isDarajaError(foreign)).toBe(true);
    const foreignProduct = new copy.DarajaProductNotEnabledError(api, 'M-Pesa Express');
    expect(foreignProduct instanceof DarajaProductNotEnabledError).toBe(false);
    expect(isDarajaProductNotEnabledError(foreignProduct)).toBe(true);
    expect(sdk.isDarajaApiError(foreignProduct)).toBe(true);
    expect(sdk.isDarajaError(foreignProduct)).toBe(true);
    const foreignTimeout = new copy.DarajaTimeoutError('t', { operation: 'x', timeoutMs: 1 });
    expect(sdk.isDarajaTimeoutError(foreignTimeout)).toBe(true);
    expect(sdk.isDarajaNetworkError(foreignTimeout)).toBe(true);
  });

  it('API errors carry status, requestId, errorCode, errorMessage and the raw body', () => {
    const e = new DarajaApiError(api);
    expect(e).toMatchObject({
      operation: 'stk.push',
      status: 400,
      requestId: 'r-1',
      errorCode: '400.002.02',
      errorMessage: 'Bad Request - Invalid Amount',
    });
    expect(e.body).toEqual({ errorCode: '400.002.02' });
    expect(e.message).toContain('HTTP 400 400.002.02: Bad Request - Invalid Amount (requestId r-1)');
  });

  it('a config error lists every issue', () => {
    const e = new DarajaConfigError([
      { field: 'MPESA_CONSUMER_KEY', message: 'is not set' },
      { field: 'MPESA_PASSKEY', message: 'is not set' },
    ]);
    expect(e.issues).toHaveLength(2);
    expect(e.message).toContain('2 problems');
    expect(e.message).toContain('MPESA_CONSUMER_KEY');
    expect(e.message).toContain('MPESA_PASSKEY');
  });

  it('unknown outcome explains not to resend and keeps the cause', () => {
    const cause = new DarajaTimeoutError('slow', { operation: 'stk.push', timeoutMs: 50 });
    const e = new DarajaUnknownOutcomeError('stk.push', cause);
    expect(e.cause).toBe(cause);
    expect(e.message).toContain('no answer within 50 ms');
    expect(e.message).toMatch(/NOT resent/);
  });

  it('unknown outcome takes operation-specific advice', () => {
    const e = new DarajaUnknownOutcomeError('b2b.payBill', new Error('reset'), 'Wait for the result.');
    expect(e.message).toMatch(/b2b\.payBill: .*\(reset\)\. Wait for the result\.$/);
    expect(e.message).not.toMatch(/prompt/);
  });

  it('a duplicate error is an API error that says the original was accepted', () => {
    const e = new DarajaDuplicateError(
      {
        ...api,
        operation: 'b2c.pay',
        status: 500,
        errorCode: '500.002.1001',
        errorMessage: 'Duplicate OriginatorConversationID.',
      },
      'payout-1',
    );
    expect(e).toBeInstanceOf(DarajaApiError);
    expect(e.idempotencyKey).toBe('payout-1');
    expect(e.message).toMatch(/"payout-1"[\s\S]*was accepted[\s\S]*ResultURL/);
  });

  it('a product-not-enabled error names the product and says the fix is on the portal, not a new token', () => {
    const e = new DarajaProductNotEnabledError(
      { ...api, status: 401, errorCode: '401.003.01', errorMessage: 'no apiproduct match found' },
      'M-Pesa Express',
    );
    expect(e).toBeInstanceOf(DarajaApiError);
    expect(e.product).toBe('M-Pesa Express');
    expect(e.message).toBe(
      '[daraja] stk.push: this app is not subscribed to the Daraja API product "M-Pesa Express" ' +
        '(HTTP 401 401.003.01: no apiproduct match found, requestId r-1). A new access token will not help. ' +
        'On the Daraja portal (developer.safaricom.co.ke, My Apps), add "M-Pesa Express" to the app whose ' +
        'consumer key and secret this client uses, or use the credentials of an app that has it (sandbox and ' +
        'production apps are separate).',
    );
  });

  it('keeps a foreign cause only as a plain error: name, masked message and code', () => {
    const foreign = Object.assign(
      new Error('socket to 0712345678 closed; Authorization: Bearer abc.def-123'),
      {
        name: 'SocketError',
        code: 'UND_ERR_SOCKET',
        request: { headers: { authorization: 'Bearer abc.def-123' } },
        cause: Object.assign(new Error('inner'), {
          code: 'ECONNRESET',
          socket: { remoteAddress: '1.2.3.4' },
        }),
      },
    );
    const e = new DarajaNetworkError('reset', { operation: 'stk.push', cause: foreign });
    const cause = e.cause as Error & { code?: string };
    expect(cause).not.toBe(foreign);
    expect(cause).toMatchObject({ name: 'SocketError', code: 'UND_ERR_SOCKET' });
    expect(cause.message).toBe('socket to 0712**5678 closed; Authorization: Bearer [redacted]');
    expect(Object.keys(cause).sort()).toEqual(['code', 'name']);
    expect((cause.cause as Error & { code?: string }).code).toBe('ECONNRESET');
    expect(Reflect.ownKeys(cause.cause as object)).not.toContain('socket');
    expect(cause.stack).toMatch(/^SocketError: socket to 0712\*\*5678 closed/);
    // A non-error cause (msw's Response on a dropped connection) does not survive at all.
    const fromResponse = new DarajaNetworkError('x', { operation: 'oauth', cause: new Response('secret') });
    expect((fromResponse.cause as Error).message).toMatch(/a Response object \(not an Error\), dropped/);
  });

  it('serialises without losing its class name', () => {
    const e = new DarajaValidationError('amount', 'bad');
    expect(String(e)).toBe('DarajaValidationError: [daraja] amount: bad');
    expect(inspect(e)).toContain('DarajaValidationError');
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ name: 'DarajaValidationError', field: 'amount' });
  });
});
