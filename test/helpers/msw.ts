import { HttpResponse, http, type RequestHandler } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { CONSUMER_KEY, CONSUMER_SECRET, SANDBOX, TOKEN_PREFIX } from '../fixtures/constants.js';

/** Start an msw server for this test file; any request without a handler fails the test. */
export function useMsw(...handlers: RequestHandler[]) {
  const server = setupServer(...handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** A stateful fake of Daraja's OAuth, STK push and STK query endpoints, for msw. */
export function darajaMock(base = SANDBOX) {
  const state = {
    oauthCalls: 0,
    pushCalls: 0,
    queryCalls: 0,
    pushBodies: [] as Record<string, unknown>[],
    queryBodies: [] as Record<string, unknown>[],
    authHeaders: [] as string[],
    /** Tokens the fake accepts; clear it to make every current token invalid. */
    validTokens: new Set<string>(),
    expiresIn: 3599 as number | string,
  };
  const expectedBasic = `Basic ${Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64')}`;
  const invalidToken = () =>
    HttpResponse.json(
      { requestId: '10219-2484793-1', errorCode: '404.001.03', errorMessage: 'Invalid Access Token' },
      { status: 404 },
    );
  const bearerOk = (request: Request) => {
    const auth = request.headers.get('authorization') ?? '';
    state.authHeaders.push(auth);
    return auth.startsWith('Bearer ') && state.validTokens.has(auth.slice(7));
  };

  const oauth = http.get(`${base}/oauth/v1/generate`, ({ request }) => {
    state.oauthCalls += 1;
    const url = new URL(request.url);
    if (url.searchParams.get('grant_type') !== 'client_credentials') {
      return HttpResponse.json(
        { requestId: 'x', errorCode: '400.008.02', errorMessage: 'Invalid grant type passed' },
        { status: 400 },
      );
    }
    if (request.headers.get('authorization') !== expectedBasic)
      return new HttpResponse(null, { status: 400 });
    const token = `${TOKEN_PREFIX}${state.oauthCalls}`;
    state.validTokens.add(token);
    return HttpResponse.json({ access_token: token, expires_in: state.expiresIn });
  });

  const push = http.post(`${base}/mpesa/stkpush/v1/processrequest`, async ({ request }) => {
    state.pushCalls += 1;
    if (!bearerOk(request)) return invalidToken();
    const body = (await request.json()) as Record<string, unknown>;
    state.pushBodies.push(body);
    return HttpResponse.json({
      MerchantRequestID: `29115-34620561-${state.pushCalls}`,
      CheckoutRequestID: `ws_CO_19122019102036392${state.pushCalls}`,
      ResponseCode: '0',
      ResponseDescription: 'Success. Request accepted for processing',
      CustomerMessage: 'Success. Request accepted for processing',
    });
  });

  const query = http.post(`${base}/mpesa/stkpushquery/v1/query`, async ({ request }) => {
    state.queryCalls += 1;
    if (!bearerOk(request)) return invalidToken();
    const body = (await request.json()) as Record<string, unknown>;
    state.queryBodies.push(body);
    return HttpResponse.json({
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successsfully',
      MerchantRequestID: '22205-34066-1',
      CheckoutRequestID: body['CheckoutRequestID'],
      ResultCode: '0',
      ResultDesc: 'The service request is processed successfully.',
    });
  });

  return { state, handlers: [oauth, push, query], oauth, push, query };
}
