import { delay, HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  DarajaApiError,
  DarajaNetworkError,
  DarajaTimeoutError,
  DarajaUnknownOutcomeError,
} from '../../../src/core/errors.js';
import {
  CONSUMER_KEY,
  CONSUMER_SECRET,
  PASSKEY,
  SANDBOX,
  SECURITY_CREDENTIAL,
  TOKEN_PREFIX,
} from '../../fixtures/constants.js';
import { HTML_500 } from '../../fixtures/daraja-errors.js';
import { makeClient, makeInitiatorClient, rejection } from '../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../helpers/fake-daraja.js';
import { errorLeaks, errorRenderings } from '../../helpers/leak-scan.js';

/** No credential, token or personal data anywhere in the error, and only plain errors in its cause chain. */
function expectNoSecrets(error: unknown): void {
  expect(errorLeaks(error)).toEqual([]);
  // The leak scan's patterns, spelled out for the credentials this file is about.
  const basic = Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64');
  for (const text of errorRenderings(error)) {
    expect(text).not.toMatch(/\b(?:Basic|Bearer) [A-Za-z0-9+/=._-]{6,}/);
    for (const secret of [basic, CONSUMER_KEY, CONSUMER_SECRET, TOKEN_PREFIX, PASSKEY, SECURITY_CREDENTIAL])
      expect(text).not.toContain(secret);
  }
}

/** The chain of `cause`s, outermost first. */
function causes(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = (error as Error).cause; e !== undefined && out.length < 10; e = (e as Error).cause)
    out.push(e);
  return out;
}

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const push = { phoneNumber: '0712345678', amount: 10, accountReference: 'A1' };

describe('thrown errors carry no secret (msw)', () => {
  it('an OAuth timeout: the Basic credentials of the request are not in the error', async () => {
    server.use(
      http.get(`${SANDBOX}/oauth/v1/generate`, async () => {
        await delay(1_000);
        return HttpResponse.json({});
      }),
    );
    const error = await rejection(makeClient({ timeoutMs: 50, maxRetries: 0 }).verifyCredentials());
    expect(error).toBeInstanceOf(DarajaTimeoutError);
    expectNoSecrets(error);
    // Still useful: the underlying error's name and message survive.
    expect(causes(error)[0]).toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/timed out/),
    });
  });

  it('an STK push timeout (unknown outcome): no bearer token, passkey, password or phone number', async () => {
    server.use(
      http.post(`${SANDBOX}/mpesa/stkpush/v1/processrequest`, async () => {
        await delay(1_000);
        return HttpResponse.json({});
      }),
    );
    const error = await rejection(makeClient({ timeoutMs: 80 }).stk.push(push));
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error.cause).toBeInstanceOf(DarajaTimeoutError);
    expectNoSecrets(error);
    expect(causes(error).map((c) => (c as Error).name)).toEqual(['DarajaTimeoutError', 'TimeoutError']);
  });

  it('a B2C timeout: no security credential or bearer token', async () => {
    server.use(
      http.post(`${SANDBOX}/mpesa/b2c/v3/paymentrequest`, async () => {
        await delay(1_000);
        return HttpResponse.json({});
      }),
    );
    const error = await rejection(
      makeInitiatorClient({ timeoutMs: 50, maxRetries: 0 }).b2c.pay({
        phoneNumber: '0712345678',
        amount: 10,
        originatorConversationId: 'hygiene-1',
      }),
    );
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expectNoSecrets(error);
  });

  it('a dropped OAuth connection: no Basic credentials', async () => {
    server.use(http.get(`${SANDBOX}/oauth/v1/generate`, () => HttpResponse.error()));
    const error = await rejection(makeClient({ maxRetries: 0 }).verifyCredentials());
    expect(error).toBeInstanceOf(DarajaNetworkError);
    expectNoSecrets(error);
  });

  it('an HTML 500 from OAuth: no Basic credentials', async () => {
    server.use(
      http.get(
        `${SANDBOX}/oauth/v1/generate`,
        () =>
          new HttpResponse(HTML_500, {
            status: 500,
            headers: { 'content-type': 'text/html' },
          }),
      ),
    );
    const error = await rejection(makeClient({ maxRetries: 0 }).verifyCredentials());
    expect(error).toBeInstanceOf(DarajaApiError);
    expectNoSecrets(error);
  });

  it('an STK push aborted by the caller after it was sent: no bearer token', async () => {
    server.use(
      http.post(`${SANDBOX}/mpesa/stkpush/v1/processrequest`, async () => {
        await delay(1_000);
        return HttpResponse.json({});
      }),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 60);
    const error = await rejection(makeClient().stk.push(push, { signal: controller.signal }));
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expectNoSecrets(error);
  });
});
