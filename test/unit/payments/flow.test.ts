import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  CALLBACK_ACK,
  createPaymentFlow,
  DarajaConfigError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
  MemoryCallbackJournal,
  MemoryPaymentStore,
  type PaymentStore,
} from '../../../src/index.js';
import { buildStkPushResponse } from '../../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP, SANDBOX } from '../../fixtures/constants.js';
import { makeClient } from '../../helpers/client.js';
import { useMsw } from '../../helpers/fake-daraja.js';
import { callbackFor, initiateParams, makeFlow, scriptedDaraja } from '../../helpers/flow.js';
import { captured } from '../../helpers/logger.js';

const daraja = scriptedDaraja();
const server = useMsw(...daraja.handlers);

describe('createPaymentFlow options', () => {
  it('reports every problem at once', () => {
    let error: unknown;
    try {
      createPaymentFlow({
        daraja: {} as never,
        store: {} as never,
        callbackUrl: 'not a url',
        onCompleted: 'x' as never,
        allowedIps: 'all' as never,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DarajaConfigError);
    expect((error as DarajaConfigError).issues.map((i) => i.field).sort()).toEqual(
      ['allowedIps', 'callbackSecret', 'callbackUrl', 'daraja', 'onCompleted', 'store'].sort(),
    );
  });
  it('requires a callback secret of at least 32 characters unless tokens are off', () => {
    const base = {
      daraja: makeClient(),
      store: new MemoryPaymentStore(),
      callbackUrl: FLOW_CALLBACK_URL,
      onCompleted: () => {},
    };
    expect(() => createPaymentFlow({ ...base, callbackSecret: 'short' })).toThrow(/callbackSecret/);
    expect(() => createPaymentFlow({ ...base, verifyCallbackToken: false })).not.toThrow();
    expect(() =>
      createPaymentFlow({ ...base, callbackSecret: [CALLBACK_SECRET, 'x'.repeat(40)] }),
    ).not.toThrow();
  });
  it('requires an https callback URL in production', () => {
    expect(() =>
      createPaymentFlow({
        daraja: makeClient({
          environment: 'production',
          shortcode: '4012345',
          passkey: 'production-passkey-not-the-sandbox-one',
          callbackUrl: undefined,
        }),
        store: new MemoryPaymentStore(),
        callbackUrl: 'http://merchant.example.com/cb',
        callbackSecret: CALLBACK_SECRET,
        onCompleted: () => {},
      }),
    ).toThrow(/https/);
  });
});

describe('initiate', () => {
  it('writes the pending record before the push, then records the push answer', async () => {
    const { flow, store } = makeFlow();
    let storedWhenPushed: unknown;
    server.use(
      http.post(`${SANDBOX}/mpesa/stkpush/v1/processrequest`, async ({ request }) => {
        const body = (await request.json()) as { CallBackURL: string };
        const id = new URL(body.CallBackURL).searchParams.get('payment')!;
        storedWhenPushed = await store.get(id);
        return HttpResponse.json(buildStkPushResponse('ws_CO_ORDER0001', 'm-order'));
      }),
    );
    const result = await flow.initiate(initiateParams);
    expect(storedWhenPushed).toMatchObject({
      id: result.payment.id,
      status: 'pending',
      checkoutRequestId: null,
    });
    expect(result.outcome).toBe('sent');
    expect(result.customerMessage).toMatch(/accepted/);
    const p = result.payment;
    expect(p).toMatchObject({
      status: 'pending',
      ownerId: 'user-1',
      amount: 500,
      phoneNumber: '254712345678',
      metadata: { plan: 'pro' },
      checkoutRequestId: 'ws_CO_ORDER0001',
      merchantRequestId: 'm-order',
    });
    expect(p.id).toMatch(/^pay_[\w-]{22}$/);
    expect(await store.getByCheckoutRequestId('ws_CO_ORDER0001')).toMatchObject({ id: p.id });
  });

  it('sends a per-payment callback URL with an unguessable token', async () => {
    const { flow } = makeFlow();
    const { payment } = await flow.initiate(initiateParams);
    const url = new URL(String(daraja.state.pushBodies.at(-1)!['CallBackURL']));
    expect(url.origin + url.pathname).toBe(FLOW_CALLBACK_URL);
    expect(url.searchParams.get('payment')).toBe(payment.id);
    expect(url.searchParams.get('token')).toMatch(/^[\w-]{43}$/);
    expect(flow.callbackUrlFor(payment.id)).toBe(url.toString());
  });

  it('validates input before writing or sending anything', async () => {
    const { flow, store } = makeFlow();
    const before = daraja.state.pushBodies.length;
    for (const bad of [
      { amount: 10.5 },
      { phoneNumber: '0812345678' },
      { accountReference: 'THIRTEEN-CHAR' },
      { ownerId: '' },
      { metadata: [] },
      { metadata: { n: 1n } },
    ]) {
      await expect(flow.initiate({ ...initiateParams, ...bad } as never)).rejects.toBeInstanceOf(
        DarajaValidationError,
      );
    }
    expect(daraja.state.pushBodies.length).toBe(before);
    expect(
      (await store.claimDuePending({ olderThanMs: -1e9, limit: 10, recheckMs: 1, maxRecheckMs: 1 })).payments,
    ).toEqual([]);
  });

  it('makes a rejected push a failed payment with the reason, and reports it once', async () => {
    const { flow, failed } = makeFlow();
    daraja.state.pushMode = 'reject';
    try {
      const r = await flow.initiate(initiateParams);
      expect(r.outcome).toBe('rejected');
      expect(r.payment).toMatchObject({ status: 'failed', resultCode: '400.002.02', settledBy: 'push' });
      expect(r.payment.resultDesc).toMatch(/Invalid PhoneNumber/);
      expect(failed.map((p) => p.id)).toEqual([r.payment.id]);
    } finally {
      daraja.state.pushMode = 'ok';
    }
  });

  it.each(['html-500', 'drop'] as const)(
    'leaves an unknown outcome (%s) pending, never resent',
    async (mode) => {
      const { flow, failed } = makeFlow();
      daraja.state.pushMode = mode;
      const before = daraja.state.pushBodies.length;
      try {
        const r = await flow.initiate(initiateParams);
        expect(r.outcome).toBe('unknown');
        expect(r.error).toBeInstanceOf(DarajaUnknownOutcomeError);
        expect(r.payment).toMatchObject({ status: 'pending', checkoutRequestId: null });
        expect(daraja.state.pushBodies.length).toBe(before + 1);
        expect(failed).toEqual([]);
      } finally {
        daraja.state.pushMode = 'ok';
      }
    },
  );

  it('sends one prompt per idempotency key', async () => {
    const { flow } = makeFlow();
    const before = daraja.state.pushBodies.length;
    const [a, b] = await Promise.all([
      flow.initiate({ ...initiateParams, idempotencyKey: 'checkout-form-1' }),
      flow.initiate({ ...initiateParams, idempotencyKey: 'checkout-form-1' }),
    ]);
    expect([a.outcome, b.outcome].sort()).toEqual(['existing', 'sent']);
    expect(a.payment.id).toBe(b.payment.id);
    expect(daraja.state.pushBodies.length).toBe(before + 1);
  });
});

describe('handleCallback', () => {
  async function pending(f = makeFlow()) {
    const { payment } = await f.flow.initiate(initiateParams);
    return { ...f, payment };
  }

  it('settles a success once, fulfils once, stores the receipt and acks', async () => {
    const { flow, store, fulfilled, payment } = await pending();
    const request = callbackFor(flow, payment, { mpesaReceiptNumber: 'NLJ7RT61SV' });
    const ack = await flow.handleCallback(request);
    const { afterAck, ...answer } = ack;
    expect(answer).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { ResultCode: 0, ResultDesc: 'Accepted' },
      outcome: 'applied',
      reason: null,
      paymentId: payment.id,
    });
    expect(ack.body).toBe(CALLBACK_ACK);
    await afterAck; // fulfilment runs after the answer
    const p = await store.get(payment.id);
    expect(p).toMatchObject({
      status: 'completed',
      mpesaReceiptNumber: 'NLJ7RT61SV',
      resultCode: '0',
      settledBy: 'callback',
    });
    expect(p?.fulfilledAt).toBeInstanceOf(Date);
    expect(p?.callback).toEqual(request.body);
    expect(fulfilled.map((x) => x.id)).toEqual([payment.id]);
    expect(fulfilled[0]).toMatchObject({ status: 'completed', metadata: { plan: 'pro' } });

    const again = await flow.handleCallback(request);
    expect(again).toMatchObject({ status: 200, outcome: 'duplicate', reason: 'already_settled' });
    expect(fulfilled).toHaveLength(1);
    expect((await store.listCallbacks({ paymentId: payment.id })).map((e) => e.outcome)).toEqual([
      'applied',
      'duplicate',
    ]);
  });

  it.each([
    [1032, 'cancelled'],
    [1037, 'timeout'],
    [1, 'failed'],
    [2001, 'failed'],
    [1036, 'timeout'],
  ] as const)('maps result %j to %s and reports the failure once', async (code, status) => {
    const { flow, store, fulfilled, failed, payment } = await pending();
    await (await flow.handleCallback(callbackFor(flow, payment, { resultCode: code }))).afterAck;
    await (await flow.handleCallback(callbackFor(flow, payment, { resultCode: code }))).afterAck;
    expect((await store.get(payment.id))?.status).toBe(status);
    expect((await store.get(payment.id))?.resultCode).toBe(String(code));
    expect(failed).toHaveLength(1);
    expect(fulfilled).toHaveLength(0);
  });

  it.each(['4999', '4242', 9999_1])(
    'keeps a payment pending on a result code that is not final (%j): unknown is never failed',
    async (code) => {
      const { flow, store, fulfilled, failed, payment } = await pending();
      const ack = await flow.handleCallback(callbackFor(flow, payment, { resultCode: code }));
      await ack.afterAck;
      expect(ack).toMatchObject({
        status: 200,
        outcome: 'unconfirmed',
        reason: `not_final_result_code_${code}`,
      });
      expect(await store.get(payment.id)).toMatchObject({ status: 'pending', final: false });
      expect(failed).toHaveLength(0);
      expect(fulfilled).toHaveLength(0);
      // The genuine result still settles it.
      await (await flow.handleCallback(callbackFor(flow, payment))).afterAck;
      expect((await store.get(payment.id))?.status).toBe('completed');
      expect(fulfilled).toHaveLength(1);
    },
  );

  it('treats a ResultCode that is not an integer as invalid: kept, changes nothing', async () => {
    const { flow, store, failed, payment } = await pending();
    for (const code of ['abc', '1.5', '-1', '0x10']) {
      const ack = await flow.handleCallback(callbackFor(flow, payment, { resultCode: code }));
      expect(ack).toMatchObject({ status: 200, outcome: 'invalid' });
      expect(ack.reason).toMatch(/ResultCode/);
    }
    expect(await store.get(payment.id)).toMatchObject({ status: 'pending' });
    expect(failed).toHaveLength(0);
    expect((await store.listCallbacks({ paymentId: payment.id })).map((e) => e.outcome)).toEqual([
      'invalid',
      'invalid',
      'invalid',
      'invalid',
    ]);
  });

  it('never lets a late, contradicting callback overwrite a final status', async () => {
    const { flow, store, fulfilled, payment } = await pending();
    await flow.handleCallback(callbackFor(flow, payment, { resultCode: 1032 }));
    const late = await flow.handleCallback(callbackFor(flow, payment));
    expect(late).toMatchObject({ outcome: 'rejected', reason: 'conflicts_with_cancelled' });
    expect((await store.get(payment.id))?.status).toBe('cancelled');
    expect(fulfilled).toHaveLength(0);
  });

  it('links a callback whose push answer was lost, by its URL token', async () => {
    const { flow, store, fulfilled } = makeFlow();
    daraja.state.pushMode = 'drop';
    const { payment } = await flow.initiate(initiateParams).finally(() => {
      daraja.state.pushMode = 'ok';
    });
    expect(payment.checkoutRequestId).toBeNull();
    const ack = await flow.handleCallback(
      callbackFor(flow, payment, { checkoutRequestId: 'ws_CO_LOSTANSWER1' }),
    );
    expect(ack.outcome).toBe('applied');
    await ack.afterAck;
    expect(await store.get(payment.id)).toMatchObject({
      status: 'completed',
      checkoutRequestId: 'ws_CO_LOSTANSWER1',
    });
    expect(fulfilled).toHaveLength(1);
  });

  it('acknowledges and keeps invalid bodies, changing nothing', async () => {
    const { flow, store, payment } = await pending();
    const url = callbackFor(flow, payment).url;
    for (const body of [
      '{not json',
      '',
      null,
      42,
      [],
      { Body: {} },
      { Body: { stkCallback: { CheckoutRequestID: 'x' } } },
    ]) {
      const ack = await flow.handleCallback({ body, url, remoteAddress: SAFARICOM_IP });
      expect(ack.status).toBe(200);
      expect(ack.body).toEqual({ ResultCode: 0, ResultDesc: 'Accepted' });
      expect(ack.outcome).toBe('invalid');
    }
    expect((await store.get(payment.id))?.status).toBe('pending');
    const events = await store.listCallbacks();
    expect(events.filter((e) => e.outcome === 'invalid')).toHaveLength(7);
    expect(events.at(-1)?.reason).toMatch(/missing_field at Body.stkCallback.ResultCode/);
  });

  it('never throws, even when the store and the journal fail: 503 and a recovery log line', async () => {
    const broken = new Proxy(new MemoryPaymentStore(), {
      get: (target, key) =>
        typeof (target as never)[key] === 'function'
          ? () => Promise.reject(new Error('database unavailable'))
          : (target as never)[key],
    });
    const journal = {
      durable: true,
      append: () => Promise.reject(new Error('disk full')),
      read: async () => [],
      remove: async () => {},
    };
    const { flow } = makeFlow({ store: broken as PaymentStore, journal });
    const lines = captured.length;
    const ack = await flow.handleCallback(
      callbackFor(
        flow,
        { id: 'pay_x', checkoutRequestId: 'ws_CO_1', amount: 1, phoneNumber: '254712345678' } as never,
        { mpesaReceiptNumber: 'RECOVER001' },
      ),
    );
    expect(ack).toMatchObject({
      status: 503,
      outcome: 'deferred',
      reason: 'not_recorded',
      body: { ResultCode: 1, ResultDesc: 'Not recorded, retry later' },
    });
    const recovery = captured.slice(lines).find((l) => l.includes('RECOVER BY HAND'));
    expect(recovery).toMatch(/RECOVER001/);
    expect(recovery).toMatch(/ws_CO_1/);
    expect(recovery).toMatch(/pay_x/);
    expect(recovery).toMatch(/"amount":1/);
    await expect(flow.handleCallback(undefined as never)).resolves.toMatchObject({
      status: 200,
      outcome: 'rejected',
      reason: 'missing_token',
    });
  });

  it('confirms a success with an STK query when asked', async () => {
    const f = makeFlow({ confirmWithQuery: true });
    const { payment } = await f.flow.initiate(initiateParams);
    const id = payment.checkoutRequestId!;
    daraja.state.answers.set(id, 'pending');
    const first = await f.flow.handleCallback(callbackFor(f.flow, payment));
    expect(first).toMatchObject({
      status: 200,
      outcome: 'unconfirmed',
      reason: 'awaiting_query_confirmation',
    });
    await first.afterAck; // the query says "being processed": a non-final answer never overrules it
    expect((await f.store.get(payment.id))?.status).toBe('pending');
    daraja.state.answers.set(id, 1032);
    await (await f.flow.handleCallback(callbackFor(f.flow, payment))).afterAck;
    expect(await f.store.get(payment.id)).toMatchObject({
      status: 'cancelled',
      settledBy: 'query',
      final: true,
    });
    expect(f.fulfilled).toHaveLength(0);

    const second = (await f.flow.initiate(initiateParams)).payment;
    daraja.state.answers.set(second.checkoutRequestId!, 0);
    const ack = await f.flow.handleCallback(
      callbackFor(f.flow, second, { mpesaReceiptNumber: 'CONFIRMED1' }),
    );
    expect(ack.outcome).toBe('unconfirmed');
    await ack.afterAck;
    expect(await f.store.get(second.id)).toMatchObject({
      status: 'completed',
      mpesaReceiptNumber: 'CONFIRMED1',
      settledBy: 'callback',
    });
    expect(f.fulfilled.map((p) => p.id)).toEqual([second.id]);
  });
});

describe('checkStatus', () => {
  it('answers only the owner', async () => {
    const { flow } = makeFlow();
    const { payment } = await flow.initiate(initiateParams);
    expect(await flow.checkStatus(payment.id, { ownerId: 'user-2' })).toBeUndefined();
    expect(await flow.checkStatus('pay_does_not_exist', { ownerId: 'user-1' })).toBeUndefined();
    expect((await flow.checkStatus(payment.id, { ownerId: 'user-1' }))?.id).toBe(payment.id);
  });

  it('queries Daraja while pending and settles and fulfils a missed callback', async () => {
    const { flow, fulfilled } = makeFlow();
    const { payment } = await flow.initiate(initiateParams);
    daraja.state.answers.set(payment.checkoutRequestId!, 'pending');
    expect((await flow.checkStatus(payment.id, { ownerId: 'user-1' }))?.status).toBe('pending');
    daraja.state.answers.set(payment.checkoutRequestId!, 0);
    const settled = await flow.checkStatus(payment.id, { ownerId: 'user-1' });
    expect(settled).toMatchObject({ status: 'completed', settledBy: 'query', resultCode: '0' });
    expect(settled?.fulfilledAt).toBeInstanceOf(Date);
    expect(fulfilled).toHaveLength(1);
    const queries = daraja.state.queryBodies.length;
    await flow.checkStatus(payment.id, { ownerId: 'user-1' });
    expect(daraja.state.queryBodies.length).toBe(queries); // final: no more queries
  });

  it('queries at most once per interval per payment', async () => {
    const { flow } = makeFlow({ statusQueryIntervalMs: 60_000 });
    const { payment } = await flow.initiate(initiateParams);
    const before = daraja.state.queryBodies.length;
    await Promise.all([1, 2, 3].map(() => flow.checkStatus(payment.id, { ownerId: 'user-1' })));
    await flow.checkStatus(payment.id, { ownerId: 'user-1' });
    expect(daraja.state.queryBodies.length - before).toBe(1);
  });

  it('keeps a payment pending when the query fails', async () => {
    const { flow } = makeFlow();
    const { payment } = await flow.initiate(initiateParams);
    daraja.state.answers.set(payment.checkoutRequestId!, 'error');
    expect((await flow.checkStatus(payment.id, { ownerId: 'user-1' }))?.status).toBe('pending');
  });
});

describe('reconcile', () => {
  it('settles, keeps "being processed" pending, and gives up after the horizons', async () => {
    let now = new Date('2026-05-01T08:00:00Z');
    const { flow, store, fulfilled, failed } = makeFlow({
      now: () => now,
      giveUpAfterMs: 3_600_000,
      unknownOutcomeGiveUpAfterMs: 900_000,
    });
    const paid = (await flow.initiate(initiateParams)).payment;
    const processing = (await flow.initiate(initiateParams)).payment;
    daraja.state.pushMode = 'html-500';
    const unknown = (await flow.initiate(initiateParams).finally(() => (daraja.state.pushMode = 'ok')))
      .payment;
    daraja.state.answers.set(paid.checkoutRequestId!, 0);
    daraja.state.answers.set(processing.checkoutRequestId!, 'pending');

    expect((await flow.reconcile({ olderThanMs: 60_000 })).checked).toBe(0); // too young
    now = new Date(now.getTime() + 120_000);
    const first = await flow.reconcile({ olderThanMs: 60_000 });
    expect(first).toMatchObject({ checked: 3, stillPending: 2, fulfilled: 1, gaveUp: 0 });
    expect(first.settled.completed).toBe(1);
    expect(fulfilled.map((p) => p.id)).toEqual([paid.id]);
    expect((await store.get(paid.id))?.settledBy).toBe('reconcile');

    now = new Date(now.getTime() + 15 * 60_000);
    const second = await flow.reconcile({ olderThanMs: 60_000 });
    expect(second).toMatchObject({ checked: 2, gaveUp: 1, stillPending: 1 });
    expect(await store.get(unknown.id)).toMatchObject({
      status: 'timeout',
      settledBy: 'give-up',
      final: false,
      resultCode: null,
    });
    expect((await store.get(processing.id))?.status).toBe('pending');

    now = new Date(now.getTime() + 3_600_000);
    const third = await flow.reconcile({ olderThanMs: 60_000 });
    expect(third).toMatchObject({ gaveUp: 1 });
    expect((await store.get(processing.id))?.status).toBe('timeout');
    expect(failed.map((p) => p.id).sort()).toEqual([unknown.id, processing.id].sort());
  });

  it('does not start fulfilment again while a slow one is running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const { flow, store } = makeFlow({
      onCompleted: async () => {
        started += 1;
        await gate;
      },
    });
    const { payment } = await flow.initiate(initiateParams);
    daraja.state.answers.set(payment.checkoutRequestId!, 0);
    const first = flow.handleCallback(callbackFor(flow, payment));
    await new Promise((r) => setTimeout(r, 20)); // the winner is now inside onCompleted
    expect(started).toBe(1);
    expect((await store.get(payment.id))?.fulfilledAt).toBeNull();
    await Promise.all([
      flow.checkStatus(payment.id, { ownerId: 'user-1' }),
      flow.reconcile({ olderThanMs: 0 }),
      flow.handleCallback(callbackFor(flow, payment)),
    ]);
    expect(started).toBe(1);
    expect((await first).outcome).toBe('applied'); // answered before onCompleted finished
    release();
    await (await first).afterAck;
    expect((await store.get(payment.id))?.fulfilledAt).toBeInstanceOf(Date);
    await flow.checkStatus(payment.id, { ownerId: 'user-1' });
    expect(started).toBe(1);
  });

  it('retries a throwing onCompleted until it succeeds, then never again', async () => {
    let now = new Date('2026-05-01T08:00:00Z');
    let calls = 0;
    let successes = 0;
    const { flow, store } = makeFlow({
      now: () => now,
      fulfilmentRetryDelayMs: 30_000,
      onCompleted: () => {
        calls += 1;
        if (calls < 3) throw new Error(`subscription service down (${calls})`);
        successes += 1;
      },
    });
    const { payment } = await flow.initiate(initiateParams);
    await (await flow.handleCallback(callbackFor(flow, payment))).afterAck;
    expect(await store.get(payment.id)).toMatchObject({
      status: 'completed',
      fulfilledAt: null,
      lastFulfilmentError: 'subscription service down (1)',
    });
    expect((await flow.reconcile()).fulfilled).toBe(0); // not before the retry delay
    now = new Date(now.getTime() + 30_000);
    expect(await flow.reconcile()).toMatchObject({ fulfilled: 0, fulfilmentFailures: 1 });
    now = new Date(now.getTime() + 30_000);
    expect((await flow.reconcile()).fulfilled).toBe(0); // the second retry waits twice as long
    now = new Date(now.getTime() + 30_000);
    expect(await flow.reconcile()).toMatchObject({ fulfilled: 1 });
    for (let i = 0; i < 3; i++) {
      now = new Date(now.getTime() + 600_000);
      await flow.reconcile();
      await (await flow.handleCallback(callbackFor(flow, payment))).afterAck;
      await flow.checkStatus(payment.id, { ownerId: 'user-1' });
    }
    expect(calls).toBe(3);
    expect(successes).toBe(1);
    expect(await store.get(payment.id)).toMatchObject({ fulfilmentAttempts: 3, lastFulfilmentError: null });
  });
});

describe('late success (chain 2 of the money-safety issue)', () => {
  it('push accepted, answer not stored, callback lost, give-up done; then the genuine callback: completed, fulfilled once, reported', async () => {
    let now = new Date('2026-05-01T08:00:00Z');
    const clock = () => now;
    const memory = new MemoryPaymentStore({ now: clock });
    // The push answer cannot be recorded: the store fails attachCheckout and the journal fails too (a
    // crash right after the push would leave the same state).
    const store = new Proxy(memory, {
      get: (target, key, receiver) =>
        key === 'attachCheckout'
          ? () => Promise.reject(new Error('connection terminated'))
          : Reflect.get(target, key, receiver).bind(target),
    }) as PaymentStore;
    const journal = {
      durable: true,
      append: () => Promise.reject(new Error('disk full')),
      read: async () => [],
      remove: async () => {},
    };
    const late: string[] = [];
    const { flow, fulfilled, failed } = makeFlow({
      store,
      journal,
      now: clock,
      unknownOutcomeGiveUpAfterMs: 15 * 60_000,
      onLateSuccess: (p) => void late.push(p.id),
    });
    const sent = await flow.initiate(initiateParams);
    expect(sent.outcome).toBe('sent'); // Daraja accepted the push
    const checkoutRequestId = daraja.state.checkoutIds.at(-1)!; // Daraja's answer
    expect((await memory.get(sent.payment.id))?.checkoutRequestId).toBeNull(); // its answer was not stored

    // The callback is lost. Fifteen minutes later reconcile gives up: a timeout the flow reached on its own.
    now = new Date(now.getTime() + 16 * 60_000);
    const summary = await flow.reconcile({ olderThanMs: 60_000 });
    expect(summary.gaveUp).toBe(1);
    expect(await memory.get(sent.payment.id)).toMatchObject({
      status: 'timeout',
      settledBy: 'give-up',
      final: false,
    });
    expect(failed.map((p) => p.id)).toEqual([sent.payment.id]); // the app was told it failed

    // Then the genuine callback arrives (linked by its URL token): Daraja's word wins.
    now = new Date(now.getTime() + 60_000);
    const ack = await flow.handleCallback(
      callbackFor(flow, { ...sent.payment, checkoutRequestId }, { mpesaReceiptNumber: 'LATE000001' }),
    );
    expect(ack).toMatchObject({ status: 200, outcome: 'late_success', reason: 'was_timeout' });
    await ack.afterAck;
    expect(await memory.get(sent.payment.id)).toMatchObject({
      status: 'completed',
      final: true,
      correctedFrom: 'timeout',
      mpesaReceiptNumber: 'LATE000001',
      checkoutRequestId,
      settledBy: 'callback',
    });
    expect(fulfilled.map((p) => p.id)).toEqual([sent.payment.id]);
    expect(fulfilled[0]?.correctedFrom).toBe('timeout'); // onCompleted can tell it is a late success
    expect(late).toEqual([sent.payment.id]);
    // A duplicate of it changes nothing more.
    await (await flow.handleCallback(callbackFor(flow, { ...sent.payment, checkoutRequestId }))).afterAck;
    await flow.reconcile();
    expect(fulfilled).toHaveLength(1);
    expect(late).toHaveLength(1);
  });

  it('a give-up after the horizon is corrected by an STK query answering 0 (checkStatus)', async () => {
    let now = new Date('2026-05-01T08:00:00Z');
    const clock = () => now;
    const { flow, store, fulfilled } = makeFlow({ now: clock, giveUpAfterMs: 3_600_000 });
    const { payment } = await flow.initiate(initiateParams);
    daraja.state.answers.set(payment.checkoutRequestId!, 'pending');
    now = new Date(now.getTime() + 2 * 3_600_000);
    await flow.reconcile({ olderThanMs: 60_000 });
    expect(await store.get(payment.id)).toMatchObject({ status: 'timeout', final: false });
    daraja.state.answers.set(payment.checkoutRequestId!, 0);
    const checked = await flow.checkStatus(payment.id, { ownerId: 'user-1' });
    expect(checked).toMatchObject({ status: 'completed', correctedFrom: 'timeout', settledBy: 'query' });
    expect(fulfilled).toHaveLength(1);
  });

  it('a final failure never corrects a give-up, and a final status is never corrected', async () => {
    let now = new Date('2026-05-01T08:00:00Z');
    const clock = () => now;
    const { flow, store, fulfilled } = makeFlow({ now: clock, giveUpAfterMs: 3_600_000 });
    const { payment } = await flow.initiate(initiateParams);
    now = new Date(now.getTime() + 2 * 3_600_000);
    daraja.state.answers.set(payment.checkoutRequestId!, 'pending');
    await flow.reconcile({ olderThanMs: 60_000 });
    const cancelled = await flow.handleCallback(callbackFor(flow, payment, { resultCode: 1032 }));
    expect(cancelled).toMatchObject({ outcome: 'duplicate', reason: 'already_given_up' });
    expect(await store.get(payment.id)).toMatchObject({ status: 'timeout', final: false });

    const other = (await flow.initiate(initiateParams)).payment;
    await (await flow.handleCallback(callbackFor(flow, other, { resultCode: 1037 }))).afterAck;
    const success = await flow.handleCallback(callbackFor(flow, other));
    expect(success).toMatchObject({ outcome: 'rejected', reason: 'conflicts_with_timeout' });
    expect(await store.get(other.id)).toMatchObject({ status: 'timeout', final: true });
    expect(fulfilled).toEqual([]);
  });
});

describe('receipts are never lost', () => {
  it('a callback arriving after a status query completed the payment attaches its receipt', async () => {
    const { flow, store, fulfilled } = makeFlow();
    const { payment } = await flow.initiate(initiateParams);
    daraja.state.answers.set(payment.checkoutRequestId!, 0);
    expect(await flow.checkStatus(payment.id, { ownerId: 'user-1' })).toMatchObject({
      status: 'completed',
      mpesaReceiptNumber: null,
    });
    const ack = await flow.handleCallback(callbackFor(flow, payment, { mpesaReceiptNumber: 'ENRICHED01' }));
    expect(ack).toMatchObject({ status: 200, outcome: 'enriched', reason: 'receipt_attached' });
    expect(await store.get(payment.id)).toMatchObject({
      status: 'completed',
      settledBy: 'query',
      mpesaReceiptNumber: 'ENRICHED01',
    });
    expect((await store.get(payment.id))?.callback).toMatchObject({
      Body: { stkCallback: { CheckoutRequestID: payment.checkoutRequestId } },
    });
    const dup = await flow.handleCallback(callbackFor(flow, payment, { mpesaReceiptNumber: 'ENRICHED01' }));
    expect(dup).toMatchObject({ outcome: 'duplicate' });
    const other = await flow.handleCallback(callbackFor(flow, payment, { mpesaReceiptNumber: 'OTHERRCPT1' }));
    expect(other).toMatchObject({ outcome: 'rejected', reason: 'receipt_mismatch' });
    expect(fulfilled).toHaveLength(1);
    expect((await store.listCallbacks({ paymentId: payment.id })).map((e) => e.outcome)).toEqual([
      'enriched',
      'duplicate',
      'rejected',
    ]);
  });
});

describe('the callback journal', () => {
  /** A store that fails every call while `down`. */
  function switchable() {
    const memory = new MemoryPaymentStore();
    const state = { down: false, calls: 0 };
    const store = new Proxy(memory, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (!state.down) return value.apply(target, args);
          state.calls += 1;
          return Promise.reject(new Error('connect ECONNREFUSED'));
        };
      },
    }) as PaymentStore;
    return { store, memory, state };
  }

  it('answers 200 for a callback kept in a durable journal, 503 for one kept only in memory; both are applied later', async () => {
    for (const durable of [true, false]) {
      const { store, memory, state } = switchable();
      const journal = new MemoryCallbackJournal();
      Object.defineProperty(journal, 'durable', { value: durable });
      const { flow, fulfilled } = makeFlow({ store, journal });
      const { payment } = await flow.initiate(initiateParams);
      state.down = true;
      const ack = await flow.handleCallback(callbackFor(flow, payment, { mpesaReceiptNumber: 'JOURNAL001' }));
      expect(ack).toMatchObject({ status: durable ? 200 : 503, outcome: 'deferred' });
      expect(journal.size).toBe(1);
      state.down = false;
      const summary = await flow.reconcile({ olderThanMs: 60_000 });
      expect(summary.replayed).toBe(1);
      expect(await memory.get(payment.id)).toMatchObject({
        status: 'completed',
        mpesaReceiptNumber: 'JOURNAL001',
      });
      expect(fulfilled).toHaveLength(1);
      expect(journal.size).toBe(0);
    }
  });

  it('stops replaying after three failures in a row while the store is down', async () => {
    const { store, state } = switchable();
    const journal = new MemoryCallbackJournal();
    const { flow } = makeFlow({ store, journal });
    const payments = [];
    for (let i = 0; i < 10; i++) payments.push((await flow.initiate(initiateParams)).payment);
    state.down = true;
    for (const p of payments) await flow.handleCallback(callbackFor(flow, p));
    expect(journal.size).toBe(10);
    state.calls = 0;
    await flow.reconcile({ olderThanMs: 60_000 }).catch(() => undefined);
    expect(state.calls).toBeLessThanOrEqual(4); // three replay attempts (and the claim that fails after)
    expect(journal.size).toBe(10);
  });

  it('sets aside an entry that keeps failing while the others apply, and keeps it', async () => {
    const { store, memory } = switchable();
    const journal = new MemoryCallbackJournal();
    const { flow, fulfilled } = makeFlow({ store, journal });
    const a = (await flow.initiate(initiateParams)).payment;
    daraja.state.pushMode = 'drop'; // b's push answer was lost: it has no CheckoutRequestID
    const b = (await flow.initiate(initiateParams).finally(() => (daraja.state.pushMode = 'ok'))).payment;
    // A push answer whose CheckoutRequestID belongs to another payment: attaching it always fails.
    await journal.append({
      kind: 'checkout',
      id: 'jrn_poison',
      receivedAt: new Date(0).toISOString(),
      paymentId: b.id,
      merchantRequestId: 'm',
      checkoutRequestId: a.checkoutRequestId!,
    });
    const lines = captured.length;
    for (let round = 0; round < 4; round++) {
      await journal.append({
        kind: 'callback',
        id: `jrn_ok_${round}`,
        eventId: `cbe_ok_${round}`,
        receivedAt: new Date().toISOString(),
        body: callbackFor(flow, a).body,
        url: callbackFor(flow, a).url,
        remoteAddress: SAFARICOM_IP,
      });
      const summary = await flow.reconcile({ olderThanMs: 60_000 });
      expect(summary.replayed).toBe(1); // the good entry behind the poisoned one is applied every time
    }
    expect((await memory.get(a.id))?.status).toBe('completed');
    expect(fulfilled).toHaveLength(1);
    expect((await journal.read(10)).map((e) => e.id)).toEqual(['jrn_poison']); // kept for a human
    expect(captured.slice(lines).filter((l) => l.includes('set aside')).length).toBe(1);
  });
});
