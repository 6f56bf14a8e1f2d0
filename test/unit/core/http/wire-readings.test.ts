import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DarajaApiError,
  DarajaDuplicateError,
  DarajaProductNotEnabledError,
  isDarajaDuplicateError,
} from '../../../../src/core/errors.js';
import { darajaProductFor, readErrorEnvelope, toApiError } from '../../../../src/core/http/api-errors.js';
import { type AttemptFailure, type RetryPolicy, shouldRetry } from '../../../../src/core/http/retry.js';
import { SANDBOX } from '../../../fixtures/constants.js';
import { NO_API_PRODUCT } from '../../../fixtures/daraja-errors.js';
import { makeClient, makeInitiatorClient, rejection } from '../../../helpers/client.js';
import { ACCEPTED, type Answer, fakeDaraja, routeOn, useMsw } from '../../../helpers/fake-daraja.js';

// What real Daraja was observed to send, read the way the traffic means it.

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
afterEach(() => {
  mock.state.oauthCalls = 0;
});

const route = routeOn(server);

const B2C = '/mpesa/b2c/v3/paymentrequest';
const answer500 = (errorMessage: string): Answer => ({
  status: 500,
  json: { requestId: 'r-5002', errorCode: '500.002.1001', errorMessage },
});
const DUPLICATE = answer500('Duplicate OriginatorConversationID.');
const INTERNAL = answer500('System internal error.');
const MAINTENANCE = answer500('Service is currently under maintenance. Please try again later');
const pay = (key: string) => ({ phoneNumber: '0712345678', amount: 100, originatorConversationId: key });

describe('500.002.1001 is a duplicate only when the message says so', () => {
  it.each([
    ['System internal error.', INTERNAL],
    ['maintenance', MAINTENANCE],
  ])(
    '%s, with retries off: a plain DarajaApiError saying it was not accepted and a same-id retry is safe',
    async (_n, answer) => {
      const e = route(B2C, answer);
      const error = await rejection(makeInitiatorClient({ maxRetries: 0 }).b2c.pay(pay('k-1')));
      expect(error).toBeInstanceOf(DarajaApiError);
      expect(error).not.toBeInstanceOf(DarajaDuplicateError);
      expect(isDarajaDuplicateError(error)).toBe(false);
      expect(error).toMatchObject({
        name: 'DarajaApiError',
        operation: 'b2c.pay',
        status: 500,
        errorCode: '500.002.1001',
        requestId: 'r-5002',
      });
      expect(error.message).toMatch(
        /Daraja did not accept the request[\s\S]*not a duplicate[\s\S]*safe to retry later with the same originatorConversationId "k-1"/,
      );
      expect(error.message).not.toMatch(/was accepted/);
      expect(e.bodies).toHaveLength(1);
      expect(mock.state.oauthCalls).toBe(1);
    },
  );

  it('"Duplicate OriginatorConversationID." is still a DarajaDuplicateError, not retried', async () => {
    const e = route(B2C, DUPLICATE);
    const error = await rejection(makeInitiatorClient({ maxRetries: 3 }).b2c.pay(pay('k-2')));
    expect(error).toBeInstanceOf(DarajaDuplicateError);
    expect(error).toMatchObject({ idempotencyKey: 'k-2', errorCode: '500.002.1001' });
    expect(e.bodies).toHaveLength(1);
  });

  it('B2C retries an internal error with the same OriginatorConversationID, and succeeds', async () => {
    const e = route(B2C, INTERNAL, { json: ACCEPTED });
    const response = await makeInitiatorClient({ maxRetries: 2 }).b2c.pay(pay('k-3'));
    expect(response.responseCode).toBe('0');
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-3', 'k-3']);
    expect(e.bodies[1]).toEqual(e.bodies[0]);
    expect(mock.state.oauthCalls).toBe(1);
  });

  it('an internal error then "Duplicate": the first attempt went through after all, reported as a duplicate', async () => {
    const e = route(B2C, INTERNAL, DUPLICATE);
    const error = await rejection(makeInitiatorClient({ maxRetries: 2 }).b2c.pay(pay('k-4')));
    expect(error).toBeInstanceOf(DarajaDuplicateError);
    expect(error.message).toMatch(/"k-4"[\s\S]*was accepted/);
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-4', 'k-4']);
  });

  it('maintenance that outlasts the retries: 1 + maxRetries calls with one id, then the retry-later error', async () => {
    const e = route(B2C, MAINTENANCE);
    const error = await rejection(makeInitiatorClient({ maxRetries: 2 }).b2c.pay(pay('k-5')));
    expect(error).toMatchObject({ name: 'DarajaApiError', errorCode: '500.002.1001' });
    expect(error.message).toMatch(
      /under maintenance[\s\S]*retry later with the same originatorConversationId "k-5"/,
    );
    expect(e.bodies.map((b) => b['OriginatorConversationID'])).toEqual(['k-5', 'k-5', 'k-5']);
    expect(mock.state.oauthCalls).toBe(1);
  });

  it('an unrecognised 500.002.1001 message: not a duplicate, not resent', async () => {
    const e = route(B2C, answer500('Something unexpected'));
    const error = await rejection(makeInitiatorClient({ maxRetries: 2 }).b2c.pay(pay('k-6')));
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error).not.toBeInstanceOf(DarajaDuplicateError);
    expect(error.message).toMatch(
      /did not say this is a duplicate[\s\S]*same originatorConversationId "k-6"[\s\S]*Duplicate OriginatorConversationID/,
    );
    expect(e.bodies).toHaveLength(1);
  });

  it('B2B (no idempotency key) is never resent after an internal error', async () => {
    const e = route('/mpesa/b2b/v1/paymentrequest', INTERNAL);
    const error = await rejection(
      makeInitiatorClient({ maxRetries: 3 }).b2b.payBill({
        payBillNumber: '000000',
        accountReference: '353353',
        amount: 239,
      }),
    );
    expect(error).toMatchObject({ name: 'DarajaApiError', errorCode: '500.002.1001' });
    expect(error.message).toMatch(/did not accept the request[\s\S]*Try again later\./);
    expect(e.bodies).toHaveLength(1);
  });

  it('account balance (safe to repeat) is retried after an internal error', async () => {
    const e = route('/mpesa/accountbalance/v1/query', INTERNAL, { json: ACCEPTED });
    const response = await makeInitiatorClient({ maxRetries: 2 }).account.balance();
    expect(response.responseCode).toBe('0');
    expect(e.bodies).toHaveLength(2);
  });

  describe('the retry ladder', () => {
    const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 };
    const failure = (errorMessage?: string): AttemptFailure => ({
      kind: 'http',
      status: 500,
      errorCode: '500.002.1001',
      errorMessage,
    });
    it.each([
      // message, idempotent money-moving (B2C), money-moving without a key (B2B), not money-moving (balance)
      ['Duplicate OriginatorConversationID.', false, false, false],
      ['System internal error.', true, false, true],
      ['Service is currently under maintenance. Please try again later', true, false, true],
      ['Something unexpected', false, false, false],
      [undefined, false, false, false],
    ])('%j → B2C %s, B2B %s, balance %s', (message, b2c, b2b, balance) => {
      expect(shouldRetry(failure(message), 0, policy, true, true)).toBe(b2c);
      expect(shouldRetry(failure(message), 0, policy, true, false)).toBe(b2b);
      expect(shouldRetry(failure(message), 0, policy, false)).toBe(balance);
      expect(shouldRetry(failure(message), 3, policy, true, true)).toBe(false);
    });
  });
});

describe('a JSON-ified SOAP fault keeps its text', () => {
  const fault = {
    faultcode: 'soap:Server',
    faultstring:
      'Execution of ServiceCallout SCO-AddURLVault failed. Reason: ResponseCode 409 is treated as error',
    detail: { source: { errorcode: 'steps.servicecallout.ExecutionFailed' } },
  };

  it('readErrorEnvelope reads Envelope.Body.Fault (with or without a namespace prefix)', () => {
    const expected = {
      requestId: undefined,
      errorCode: 'steps.servicecallout.ExecutionFailed',
      errorMessage: fault.faultstring,
    };
    expect(readErrorEnvelope({ Envelope: { Body: { Fault: fault } } })).toEqual(expected);
    expect(readErrorEnvelope({ 'soap:Envelope': { 'soap:Body': { 'soap:Fault': fault } } })).toEqual(
      expected,
    );
    expect(
      readErrorEnvelope({ Envelope: { Body: { Fault: { faultcode: 'soap:Server', faultstring: 'x' } } } }),
    ).toEqual({ requestId: undefined, errorCode: 'soap:Server', errorMessage: 'x' });
  });

  it('an error built from it carries the fault string in its message', () => {
    const error = toApiError('c2b.registerUrls', 500, { Envelope: { Body: { Fault: fault } } });
    expect(error.message).toContain(
      'HTTP 500 steps.servicecallout.ExecutionFailed: Execution of ServiceCallout SCO-AddURLVault failed',
    );
  });
});

describe('401.003.01 "no apiproduct match found" names the product each operation needs', () => {
  // Every operation name the SDK sends, read from the source, so a new operation cannot miss the map.
  function operationsInSource(): string[] {
    const names = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'simulator') walk(path);
        } else if (entry.name.endsWith('.ts')) {
          const text = readFileSync(path, 'utf8');
          for (const m of text.matchAll(/operation: '([a-z0-9]+(?:\.[a-zA-Z]+)?)'/g)) names.add(m[1]!);
          for (const m of text.matchAll(/sendB2b\(\s*[^,]+,\s*'([a-z0-9]+\.[a-zA-Z]+)'/g)) names.add(m[1]!);
        }
      }
    };
    walk(join(process.cwd(), 'src'));
    return [...names].sort();
  }

  it('maps every operation in src/ to a Daraja API product in plain words', () => {
    const operations = operationsInSource();
    expect(operations).toEqual(
      expect.arrayContaining([
        'stk.push',
        'b2c.pay',
        'b2b.payBill',
        'b2b.buyGoods',
        'tax.remit',
        'c2b.simulate',
      ]),
    );
    const table = Object.fromEntries(operations.map((op) => [op, darajaProductFor(op)]));
    expect(table).toEqual({
      'account.balance': 'Account Balance',
      'b2b.buyGoods': 'Business To Business',
      'b2b.payBill': 'Business To Business',
      'b2c.pay': 'Business To Customer',
      'b2c.payToPochi': 'Business To Pochi',
      'c2b.registerUrls': 'Customer To Business',
      'c2b.simulate': 'Customer To Business',
      oauth: 'Authorization',
      'pull.query': 'Pull Transactions',
      'pull.register': 'Pull Transactions',
      'qr.generate': 'Dynamic QR',
      'reversal.reverse': 'Reversals',
      'stk.push': 'M-Pesa Express',
      'stk.query': 'M-Pesa Express',
      'tax.remit': 'Tax Remittance',
      'transactions.status': 'Transaction Status',
    });
  });

  it.each([
    [
      'b2c.pay',
      B2C,
      'Business To Customer',
      (d: ReturnType<typeof makeInitiatorClient>) => d.b2c.pay(pay('p-1')),
    ],
    [
      'account.balance',
      '/mpesa/accountbalance/v1/query',
      'Account Balance',
      (d: ReturnType<typeof makeInitiatorClient>) => d.account.balance(),
    ],
  ])('%s at %s: one call, no OAuth refresh, product %j', async (_op, path, product, call) => {
    const e = route(path, {
      status: 401,
      json: NO_API_PRODUCT,
    });
    const error = await rejection(call(makeInitiatorClient({ maxRetries: 3 })));
    expect(error).toBeInstanceOf(DarajaProductNotEnabledError);
    expect(error).toMatchObject({ product });
    expect(error.message).toContain(`not subscribed to the Daraja API product "${product}"`);
    expect(e.bodies).toHaveLength(1);
    expect(mock.state.oauthCalls).toBe(1); // the first token only: no refresh
  });

  it('an OAuth answer with that code stays an authentication error', async () => {
    server.use(
      http.get(`${SANDBOX}/oauth/v1/generate`, () => HttpResponse.json(NO_API_PRODUCT, { status: 401 })),
    );
    const error = await rejection(makeClient({ maxRetries: 0 }).verifyCredentials());
    expect(error).toMatchObject({ name: 'DarajaAuthError', operation: 'oauth' });
  });
});
