import { delay, HttpResponse, http, type RequestHandler } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { buildStkQueryPendingError, buildStkQueryResponse } from '../../src/testing/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET, SANDBOX, TOKEN_PREFIX } from '../fixtures/constants.js';
import {
  HTML_500,
  INVALID_ACCESS_TOKEN,
  INVALID_GRANT_TYPE,
  INVALID_PHONE_NUMBER,
  TRANSACTION_NOT_EXIST,
} from '../fixtures/daraja-errors.js';

// The one fake Daraja of the unit tests: msw handlers for OAuth, STK push and STK query with counters,
// modes and the bodies they saw, and `endpoint()` for any other endpoint with scripted answers. Tests
// that need real sockets serve the same routes over node:http (test/helpers/local-daraja.ts). The
// full simulator (src/simulator) is the real-HTTP Daraja of the integration tests.

/** Start an msw server for this test file; any request without a handler fails the test. */
export function useMsw(...handlers: RequestHandler[]) {
  const server = setupServer(...handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/**
 * How the fake answers STK push: accepted; refused (400, invalid phone number); an HTML 500; the
 * connection dropped after the request arrived (`drop`, also named `reset-after-body`); or no answer
 * until `release()`.
 */
export type PushMode = 'ok' | 'reject' | 'html-500' | 'drop' | 'reset-after-body' | 'hang';

/**
 * What the fake answers an STK query with: a final ResultCode, the in-flight error (`pending`), "does
 * not exist" (`missing`) or an HTML 502 (`error`).
 */
export type QueryAnswer = number | 'pending' | 'missing' | 'error';

/** Options of {@link fakeDaraja}. */
export interface FakeDarajaOptions {
  /** Where the fake answers; the sandbox by default. */
  base?: string;
  /** The answer to a query for a CheckoutRequestID with no answer in `state.answers`: success (0) by default. */
  unknownCheckout?: QueryAnswer;
  /** If set, each accepted push's CheckoutRequestID starts with this answer in `state.answers`. */
  newCheckout?: QueryAnswer;
  /** Issue tokens for any consumer key and secret, not only those of test/fixtures/constants.ts. */
  anyCredentials?: boolean;
}

/** One endpoint of the fake: its method, its path and how it answers a request. */
export interface FakeRoute {
  method: 'GET' | 'POST';
  path: string;
  answer: (request: Request) => Promise<Response>;
}

/** What the fake knows: its counters, the bodies it saw, its modes and its scripted answers. */
function newState() {
  return {
    oauthCalls: 0,
    pushCalls: 0,
    queryCalls: 0,
    /** The bodies of the pushes and queries that carried a valid token. */
    pushBodies: [] as Record<string, unknown>[],
    queryBodies: [] as Record<string, unknown>[],
    /** The CheckoutRequestIDs of the accepted pushes, in order. */
    checkoutIds: [] as string[],
    authHeaders: [] as string[],
    /** Tokens the fake accepts; clear it to make every current token invalid. */
    validTokens: new Set<string>(),
    expiresIn: 3599 as number | string,
    oauthDelayMs: 0,
    pushMode: 'ok' as PushMode,
    /** The answer to the STK query of each CheckoutRequestID. */
    answers: new Map<string, QueryAnswer>(),
    /** The pushes `hang` holds, each ended by `release()`. */
    hanging: new Set<() => void>(),
  };
}
type FakeState = ReturnType<typeof newState>;

const EXPECTED_BASIC = `Basic ${Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64')}`;
const invalidToken = () => HttpResponse.json(INVALID_ACCESS_TOKEN, { status: 404 });

function bearerOk(state: FakeState, request: Request) {
  const auth = request.headers.get('authorization') ?? '';
  state.authHeaders.push(auth);
  return auth.startsWith('Bearer ') && state.validTokens.has(auth.slice(7));
}

function oauthRoute(state: FakeState, options: FakeDarajaOptions) {
  return async (request: Request) => {
    state.oauthCalls += 1;
    const token = `${TOKEN_PREFIX}${state.oauthCalls}`;
    if (state.oauthDelayMs > 0) await delay(state.oauthDelayMs);
    if (new URL(request.url).searchParams.get('grant_type') !== 'client_credentials')
      return HttpResponse.json(INVALID_GRANT_TYPE, { status: 400 });
    if (!options.anyCredentials && request.headers.get('authorization') !== EXPECTED_BASIC)
      return new HttpResponse(null, { status: 400 });
    state.validTokens.add(token);
    return HttpResponse.json({ access_token: token, expires_in: state.expiresIn });
  };
}

function pushRoute(state: FakeState, options: FakeDarajaOptions) {
  return async (request: Request) => {
    state.pushCalls += 1;
    const n = state.pushCalls;
    if (!bearerOk(state, request)) return invalidToken();
    state.pushBodies.push((await request.json()) as Record<string, unknown>);
    switch (state.pushMode) {
      case 'reject':
        return HttpResponse.json(INVALID_PHONE_NUMBER, { status: 400 });
      case 'html-500':
        return new HttpResponse(HTML_500, { status: 500, headers: { 'content-type': 'text/html' } });
      case 'hang':
        await new Promise<void>((resolve) => state.hanging.add(resolve));
        return HttpResponse.error();
      case 'drop':
      case 'reset-after-body':
        return HttpResponse.error(); // Daraja has the request; its answer never arrives
    }
    const id = `ws_CO_19122019102036392${n}`;
    state.checkoutIds.push(id);
    if (options.newCheckout !== undefined && !state.answers.has(id))
      state.answers.set(id, options.newCheckout);
    return HttpResponse.json({
      MerchantRequestID: `29115-34620561-${n}`,
      CheckoutRequestID: id,
      ResponseCode: '0',
      ResponseDescription: 'Success. Request accepted for processing',
      CustomerMessage: 'Success. Request accepted for processing',
    });
  };
}

function queryRoute(state: FakeState, options: FakeDarajaOptions) {
  return async (request: Request) => {
    state.queryCalls += 1;
    if (!bearerOk(state, request)) return invalidToken();
    const body = (await request.json()) as Record<string, unknown>;
    state.queryBodies.push(body);
    const id = body['CheckoutRequestID'] as string;
    const answer = state.answers.get(id) ?? options.unknownCheckout ?? 0;
    if (answer === 'pending') return HttpResponse.json(buildStkQueryPendingError(id), { status: 500 });
    if (answer === 'missing')
      return HttpResponse.json({ ...TRANSACTION_NOT_EXIST, requestId: id }, { status: 500 });
    if (answer === 'error') return new HttpResponse('<html>bad gateway</html>', { status: 502 });
    return HttpResponse.json({ ...buildStkQueryResponse(id, answer), MerchantRequestID: '22205-34066-1' });
  };
}

/** A stateful fake of Daraja's OAuth, STK push and STK query endpoints: routes, and msw handlers of them. */
export function fakeDaraja(options: FakeDarajaOptions = {}) {
  const base = options.base ?? SANDBOX;
  const state = newState();
  /** The fake's routes: msw serves them in-process, test/helpers/local-daraja.ts over node:http. */
  const routes: FakeRoute[] = [
    { method: 'GET', path: '/oauth/v1/generate', answer: oauthRoute(state, options) },
    { method: 'POST', path: '/mpesa/stkpush/v1/processrequest', answer: pushRoute(state, options) },
    { method: 'POST', path: '/mpesa/stkpushquery/v1/query', answer: queryRoute(state, options) },
  ];
  const handlers = routes.map(({ method, path, answer }) =>
    (method === 'GET' ? http.get : http.post)(`${base}${path}`, ({ request }) => answer(request)),
  );
  return {
    base,
    state,
    routes,
    handlers,
    oauth: handlers[0]!,
    push: handlers[1]!,
    query: handlers[2]!,
    /** Let every push held by `hang` end (as a dropped connection). */
    release() {
      for (const resolve of state.hanging) resolve();
      state.hanging.clear();
    },
  };
}

/** The fake Daraja of {@link fakeDaraja}. */
export type FakeDaraja = ReturnType<typeof fakeDaraja>;

/** How a scripted endpoint answers one request. */
export type Answer =
  | { json: unknown; status?: number }
  | { text: string; status: number }
  | { hang: number }
  | { error: true };

/**
 * An msw handler for one Daraja endpoint that records every request body (parsed JSON) and answers from
 * a script: `answers[i]` for the i-th request, the last one repeated. Needs the OAuth handler of
 * `fakeDaraja()` beside it.
 */
export function endpoint(path: string, ...answers: Answer[]) {
  const bodies: Record<string, unknown>[] = [];
  const handler = http.post(`${SANDBOX}${path}`, async ({ request }) => {
    bodies.push((await request.json()) as Record<string, unknown>);
    const answer = answers[Math.min(bodies.length - 1, answers.length - 1)] ?? { json: {} };
    if ('hang' in answer) {
      await delay(answer.hang);
      return HttpResponse.json({ ResponseCode: '0' });
    }
    if ('error' in answer) return HttpResponse.error();
    if ('text' in answer) return new HttpResponse(answer.text, { status: answer.status });
    return HttpResponse.json(answer.json as Record<string, unknown>, { status: answer.status ?? 200 });
  });
  return { handler, bodies };
}

/** `route(path, ...answers)`: an {@link endpoint} added to `server` for the current test. */
export function routeOn(server: { use: (...handlers: RequestHandler[]) => void }) {
  return (path: string, ...answers: Answer[]) => {
    const e = endpoint(path, ...answers);
    server.use(e.handler);
    return e;
  };
}

/** Daraja's usual acceptance of an initiator request. */
export const ACCEPTED = {
  OriginatorConversationID: '515-5258779-3',
  ConversationID: 'AG_20200123_0000417fed8ed666e976',
  ResponseCode: '0',
  ResponseDescription: 'Accept the service request successfully',
};
