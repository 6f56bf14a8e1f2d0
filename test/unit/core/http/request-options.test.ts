import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { runtimeName, userAgent } from '../../../../src/core/http/user-agent.js';
import { DarajaValidationError, VERSION } from '../../../../src/index.js';
import { SANDBOX } from '../../../fixtures/constants.js';
import { makeClient, rejection } from '../../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';

// Per-call options (`maxRetries`, `headers`) and the User-Agent, as msw sees the requests.

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const QUERY = `${SANDBOX}/mpesa/stkpushquery/v1/query`;
const PUSH = `${SANDBOX}/mpesa/stkpush/v1/processrequest`;
const ID = 'ws_CO_13012021093521236557';
const PUSH_PARAMS = { phoneNumber: '0712345678', amount: 1, accountReference: 'A1' };

/** Record every STK query's headers; answer each with `answer()`. */
function queries(answer: () => Response = () => HttpResponse.json({ ResponseCode: '0', ResultCode: '0' })) {
  const seen: Headers[] = [];
  server.use(
    http.post(QUERY, ({ request }) => {
      seen.push(request.headers);
      return answer();
    }),
  );
  return seen;
}

const gatewayError = () => new HttpResponse('<html>bad gateway</html>', { status: 502 });

describe('per-call maxRetries', () => {
  it('0 sends a query once, whatever the client allows', async () => {
    const seen = queries(gatewayError);
    const error = await rejection(makeClient({ maxRetries: 5 }).stk.query(ID, { maxRetries: 0 }));
    expect(error).toMatchObject({ name: 'DarajaApiError', status: 502 });
    expect(seen).toHaveLength(1);
  });

  it('3 retries a query three times, above the client default of 2', async () => {
    const seen = queries(gatewayError);
    await rejection(makeClient().stk.query({ checkoutRequestId: ID }, { maxRetries: 3 }));
    expect(seen).toHaveLength(4);
  });

  it('cannot make a money-moving call without a key resendable: an STK push is sent once', async () => {
    let pushes = 0;
    server.use(
      http.post(PUSH, () => {
        pushes += 1;
        return new HttpResponse('<html>bad gateway</html>', { status: 502 });
      }),
    );
    const error = await rejection(makeClient().stk.push(PUSH_PARAMS, { maxRetries: 3 }));
    expect(error.name).toBe('DarajaUnknownOutcomeError');
    expect(pushes).toBe(1);
  });

  it.each([-1, 11, 1.5, '2'])('%j is refused before anything is sent', async (maxRetries) => {
    const seen = queries();
    const error = await rejection(makeClient().stk.query(ID, { maxRetries: maxRetries as number }));
    expect(error).toBeInstanceOf(DarajaValidationError);
    expect(error).toMatchObject({ field: 'maxRetries' });
    expect(error.message).toMatch(/0 to 10/);
    expect(seen).toHaveLength(0);
  });
});

describe('per-call headers', () => {
  it('reach the wire on every attempt, beside the SDK’s own', async () => {
    let n = 0;
    const seen = queries(() => (++n === 1 ? gatewayError() : HttpResponse.json({ ResultCode: '0' })));
    await makeClient().stk.query(ID, {
      headers: { 'X-Correlation-Id': 'order-42', traceparent: '00-abc-def-01' },
    });
    expect(seen).toHaveLength(2);
    for (const headers of seen) {
      expect(headers.get('x-correlation-id')).toBe('order-42');
      expect(headers.get('traceparent')).toBe('00-abc-def-01');
      expect(headers.get('authorization')).toMatch(/^Bearer /);
      expect(headers.get('content-type')).toMatch(/application\/json/);
    }
  });

  it.each([
    ['Authorization', 'Bearer x'],
    ['content-type', 'text/plain'],
    ['Host', 'evil.example.com'],
    ['Content-Length', '1'],
    ['User-Agent', 'mine'],
    ['Transfer-Encoding', 'chunked'],
  ])('%s is refused with a typed error naming it, before anything is sent', async (name, value) => {
    const seen = queries();
    const oauthBefore = mock.state.oauthCalls;
    const error = await rejection(makeClient().stk.query(ID, { headers: { [name]: value } }));
    expect(error).toBeInstanceOf(DarajaValidationError);
    expect(error).toMatchObject({ field: `headers.${name}` });
    expect(error.message).toMatch(/cannot be overridden/);
    expect(error.message).not.toContain(value);
    expect(seen).toHaveLength(0);
    expect(mock.state.oauthCalls).toBe(oauthBefore);
  });

  it('refuses a name that is not a header name, and a value with a line break or that is not a string', async () => {
    const seen = queries();
    const client = makeClient();
    for (const headers of [{ 'bad name': 'x' }, { 'x-a': 'one\r\nInjected: yes' }, { 'x-b': 3 }, ['x']]) {
      const error = await rejection(
        client.stk.query(ID, { headers: headers as unknown as Record<string, string> }),
      );
      expect(error, JSON.stringify(headers)).toBeInstanceOf(DarajaValidationError);
    }
    expect(seen).toHaveLength(0);
  });
});

describe('User-Agent', () => {
  it('is daraja-sdk/<version> node/<version> on the wire, the OAuth request included', async () => {
    const seen = queries();
    let oauthAgent: string | null = null;
    server.use(
      http.get(`${SANDBOX}/oauth/v1/generate`, ({ request }) => {
        oauthAgent = request.headers.get('user-agent');
        return HttpResponse.json({ access_token: 'ua-test-token', expires_in: 3599 });
      }),
    );
    mock.state.validTokens.add('ua-test-token');
    await makeClient().stk.query(ID);
    const expected = `daraja-sdk/${VERSION} node/${process.versions.node}`;
    expect(seen[0]!.get('user-agent')).toBe(expected);
    expect(oauthAgent).toBe(expected);
    expect(userAgent()).toBe(expected);
  });

  it('names bun, deno and workerd, and never throws where process is absent or hostile', () => {
    expect(runtimeName({ process: { versions: { node: '22.0.0', bun: '1.1.3' } } })).toBe('bun/1.1.3');
    expect(runtimeName({ Deno: { version: { deno: '2.0.6' } } })).toBe('deno/2.0.6');
    expect(runtimeName({ navigator: { userAgent: 'Cloudflare-Workers' } })).toBe('workerd');
    expect(runtimeName({ process: { versions: { node: '20.19.0' } } })).toBe('node/20.19.0');
    expect(runtimeName({})).toBe('unknown');
    const hostile = {
      get process(): never {
        throw new Error('no process here');
      },
    };
    expect(runtimeName(hostile)).toBe('unknown');
  });
});
