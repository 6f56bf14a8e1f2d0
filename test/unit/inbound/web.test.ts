import { describe, expect, it } from 'vitest';
import { DarajaCallbackError, DarajaConfigError } from '../../../src/core/errors.js';
import {
  type BillPayment,
  C2B_VALIDATION_ERROR_CODE,
  type C2bPayload,
  createBillPaymentHandler,
  createC2bHandler,
  createResultHandler,
  createWebBillPaymentHandler,
  createWebC2bHandler,
  createWebResultHandler,
  type DarajaResult,
  type ResultHandler,
} from '../../../src/inbound/index.js';
import { c2bPayload } from '../../../src/wire/c2b.js';
import { resultBody } from '../../../src/wire/result.js';
import { captured, testLogger } from '../../helpers/logger.js';

// The daraja-sdk/results handlers as web handlers (real Request/Response, no framework), and the
// framework-agnostic C2B handler they wrap.

const ORIGIN = 'https://merchant.example.com';

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Request(ORIGIN + path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const RESULT = resultBody({
  shape: 'b2c',
  originatorConversationId: 'web-test-oc-1',
  conversationId: 'AG_20260101_web',
  transactionId: 'UAB1WEB001',
  code: '0',
  desc: 'The service request is processed successfully.',
});

const C2B = c2bPayload({
  transactionType: 'Pay Bill',
  transId: 'UAB2WEB002',
  transTime: '20261130120000',
  amount: 150,
  shortcode: '600984',
  billRefNumber: 'INV-7',
  orgAccountBalance: 5000,
  thirdPartyTransId: undefined,
  msisdn: '2547 ***** 126',
  firstName: 'JANE',
  middleName: '',
  lastName: '',
});

const BILL = {
  transactionId: 'RJB53MYR1N',
  paidAmount: '5000',
  msisdn: '254722000000',
  dateCreated: '2021-10-01',
  accountReference: 'BC001',
  shortCode: '456545',
};

describe('createWebResultHandler', () => {
  it('passes body text, url, headers and the client address to the hooks and answers the ack', async () => {
    const seen: { result: DarajaResult; request: Record<string, unknown> }[] = [];
    const handler = createResultHandler({
      onResult: (result, request) => void seen.push({ result, request }),
    });
    const handle = createWebResultHandler(handler, { clientAddress: 'x-real-ip' });
    const response = await handle(post('/b2c/result?k=1', RESULT, { 'x-real-ip': '196.201.214.200' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ResultCode: 0, ResultDesc: 'Accepted' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.result.originatorConversationId).toBe('web-test-oc-1');
    expect(seen[0]?.request).toMatchObject({
      body: JSON.stringify(RESULT),
      url: `${ORIGIN}/b2c/result?k=1`,
      headers: { 'content-type': 'application/json', 'x-real-ip': '196.201.214.200' },
      remoteAddress: '196.201.214.200',
    });
  });

  it("'context' gives the context's address; a malformed body is acknowledged and reported", async () => {
    const errors: unknown[] = [];
    const requests: Record<string, unknown>[] = [];
    const handler = createResultHandler({
      onResult: () => undefined,
      onError: (error, request) => {
        errors.push(error);
        requests.push(request);
      },
    });
    const response = await createWebResultHandler(handler)(
      post('/r', 'not json', { 'x-forwarded-for': '1.2.3.4' }),
      {
        remoteAddress: '203.0.113.5',
      },
    );
    expect(response.status).toBe(200);
    expect(errors[0]).toBeInstanceOf(DarajaCallbackError);
    expect(requests[0]?.['remoteAddress']).toBe('203.0.113.5');
  });

  it('answers 413 to a body over 64 KiB without calling the hooks', async () => {
    let calls = 0;
    const handler = createResultHandler({ onResult: () => calls++, onError: () => calls++ });
    const response = await createWebResultHandler(handler, { logger: testLogger })(
      post('/r', 'x'.repeat(64 * 1024 + 1)),
    );
    expect(response.status).toBe(413);
    expect(calls).toBe(0);
    expect(captured.some((l) => l.includes('over the limit'))).toBe(true);
  });

  it('refuses a handler that is not one, or a bad clientAddress', () => {
    expect(() => createWebResultHandler({} as ResultHandler)).toThrow(DarajaConfigError);
    const handler = createResultHandler({ onResult: () => undefined });
    expect(() => createWebResultHandler(handler, { clientAddress: 42 as never })).toThrow(/clientAddress/);
  });
});

describe('createWebBillPaymentHandler', () => {
  it('answers 200 once onPayment stored the push, 500 when it failed', async () => {
    const stored: BillPayment[] = [];
    let fail = true;
    const handler = createBillPaymentHandler({
      onPayment: (payment) => {
        if (fail) throw new Error('db down');
        stored.push(payment);
      },
    });
    const handle = createWebBillPaymentHandler(handler);
    const failed = await handle(post('/bill', BILL));
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ resmsg: 'Failed', rescode: '500' });
    fail = false;
    const ok = await handle(post('/bill', BILL));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ resmsg: 'Success', rescode: '200' });
    expect(stored.map((p) => p.transactionId)).toEqual(['RJB53MYR1N']);
  });
});

describe('createC2bHandler and createWebC2bHandler', () => {
  it('validation: no onValidation accepts; each decision form gives its answer', async () => {
    const plain = createWebC2bHandler(createC2bHandler({ onConfirmation: () => undefined }));
    expect(await (await plain.validation(post('/v', C2B))).json()).toEqual({
      ResultCode: '0',
      ResultDesc: 'Accepted',
    });
    const cases: [unknown, unknown][] = [
      [true, { ResultCode: '0', ResultDesc: 'Accepted' }],
      [false, { ResultCode: 'C2B00016', ResultDesc: 'Rejected' }],
      ['C2B00012', { ResultCode: 'C2B00012', ResultDesc: 'Rejected' }],
      [
        { ResultCode: '0', ResultDesc: 'Accepted', ThirdPartyTransID: 'mine-1' },
        { ThirdPartyTransID: 'mine-1' },
      ],
    ];
    for (const [decision, expected] of cases) {
      const c2b = createC2bHandler({
        onValidation: () => decision as never,
        onConfirmation: () => undefined,
      });
      const answer = await c2b.validation({ body: C2B });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject(expected as object);
    }
  });

  it('validation: a thrown error, a malformed body or no decision rejects with C2B00016 and tells onError', async () => {
    const errors: [unknown, string][] = [];
    const onError = (error: unknown, stage: string) => void errors.push([error, stage]);
    const throwing = createC2bHandler({
      onValidation: () => {
        throw new Error('lookup failed');
      },
      onConfirmation: () => undefined,
      onError,
    });
    const rejected = { ResultCode: C2B_VALIDATION_ERROR_CODE, ResultDesc: 'Rejected' };
    expect((await throwing.validation({ body: C2B })).body).toEqual(rejected);
    expect((await throwing.validation({ body: '{oops' })).body).toEqual(rejected);
    const undecided = createC2bHandler({
      onValidation: () => 'maybe' as never,
      onConfirmation: () => undefined,
      onError,
    });
    expect((await undecided.validation({ body: C2B })).body).toEqual(rejected);
    expect(errors.map(([, stage]) => stage)).toEqual(['validation', 'validation', 'validation']);
    expect(errors[1]?.[0]).toBeInstanceOf(DarajaCallbackError);
  });

  it('confirmation: awaits onConfirmation, then always acknowledges; failures go to onError', async () => {
    const stored: C2bPayload[] = [];
    const errors: string[] = [];
    let fail = false;
    const c2b = createWebC2bHandler(
      createC2bHandler({
        onConfirmation: async (payload, request) => {
          expect(request['remoteAddress']).toBe('196.201.214.200');
          if (fail) throw new Error('db down');
          stored.push(payload);
        },
        onError: (_error, stage) => void errors.push(stage),
      }),
      { clientAddress: 'cf-connecting-ip' },
    );
    const headers = { 'cf-connecting-ip': '196.201.214.200' };
    const ok = await c2b.confirmation(post('/c', C2B, headers));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ResultCode: '0', ResultDesc: 'Success' });
    expect(stored.map((p) => [p.transactionId, p.amount])).toEqual([['UAB2WEB002', 150]]);
    fail = true;
    const failed = await c2b.confirmation(post('/c', C2B, headers));
    expect(failed.status).toBe(200);
    expect(await failed.json()).toEqual({ ResultCode: '0', ResultDesc: 'Success' });
    const malformed = await c2b.confirmation(post('/c', '[]', headers));
    expect(malformed.status).toBe(200);
    expect(errors).toEqual(['confirmation', 'confirmation']);
    expect(stored).toHaveLength(1);
  });

  it('an onError that throws is logged and ignored', async () => {
    const c2b = createC2bHandler({
      onConfirmation: () => {
        throw new Error('first');
      },
      onError: () => {
        throw new Error('onError-broke-TEST');
      },
      logger: testLogger,
    });
    expect((await c2b.confirmation({ body: C2B })).body).toEqual({ ResultCode: '0', ResultDesc: 'Success' });
    expect(captured.some((l) => l.includes('onError-broke-TEST'))).toBe(true);
  });

  it('refuses missing or invalid hooks with a DarajaConfigError naming them', () => {
    expect(() => createC2bHandler({} as never)).toThrow(/onConfirmation/);
    expect(() => createC2bHandler({ onConfirmation: () => undefined, onValidation: 'yes' as never })).toThrow(
      /onValidation: must be a function/,
    );
    expect(() => createWebC2bHandler({ validation: () => undefined } as never)).toThrow(/handler/);
  });
});
