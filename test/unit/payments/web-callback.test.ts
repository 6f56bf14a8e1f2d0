import { describe, expect, it, vi } from 'vitest';
import {
  CALLBACK_PROBE_PARAM,
  type CallbackResponse,
  createWebCallbackHandler,
  DarajaConfigError,
  type Payment,
  type PaymentFlow,
  type WebCallbackHandlerOptions,
} from '../../../src/index.js';
import { SAFARICOM_IP } from '../../fixtures/constants.js';
import { useMsw } from '../../helpers/fake-daraja.js';
import { callbackFor, initiateParams, makeFlow, scriptedDaraja } from '../../helpers/flow.js';
import { captured, testLogger } from '../../helpers/logger.js';

// createWebCallbackHandler with real Request/Response objects, no framework: the body read once and
// bounded, the client address by each source, and the work after the answer (waitUntil, awaitAfterAck).

const daraja = scriptedDaraja();
useMsw(...daraja.handlers);

const ORIGIN = 'https://merchant.example.com';

/** A flow whose onCompleted waits until the test releases it. */
async function gatedFlow(overrides: Parameters<typeof makeFlow>[0] = {}) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const started: Payment[] = [];
  const done: Payment[] = [];
  const f = makeFlow({
    onCompleted: async (p) => {
      started.push(p);
      await gate;
      done.push(p);
    },
    ...overrides,
  });
  const { payment } = await f.flow.initiate(initiateParams);
  const cb = callbackFor(f.flow, payment);
  const request = () =>
    new Request(ORIGIN + cb.url, { method: 'POST', body: JSON.stringify(cb.body), headers: cb.headers });
  return { ...f, payment, request, release, started, done };
}

function probeRequest(headers: Record<string, string> = {}) {
  return new Request(`${ORIGIN}/api/subscription/mpesa-callback?${CALLBACK_PROBE_PARAM}=web-test`, {
    method: 'POST',
    body: '{}',
    headers,
  });
}

/** The address the flow resolved for a probe sent through the web handler. */
async function seenAddress(
  options: WebCallbackHandlerOptions,
  headers: Record<string, string>,
  remoteAddress?: string,
  trustedProxies: string[] = [],
) {
  const { flow } = makeFlow({ trustedProxies });
  const handle = createWebCallbackHandler(flow, options);
  const response = await handle(probeRequest(headers), remoteAddress === undefined ? {} : { remoteAddress });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { probe: { clientAddress?: string } };
  return body.probe.clientAddress;
}

describe('createWebCallbackHandler: the work after the answer', () => {
  it('gives afterAck to waitUntil and answers before fulfilment finishes', async () => {
    const f = await gatedFlow();
    const kept: Promise<unknown>[] = [];
    const handle = createWebCallbackHandler(f.flow);
    const response = await handle(f.request(), {
      remoteAddress: SAFARICOM_IP,
      waitUntil: (p) => kept.push(p),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ ResultCode: 0, ResultDesc: 'Accepted' });
    expect(kept).toHaveLength(1);
    expect(f.done).toEqual([]);
    expect((await f.store.get(f.payment.id))?.status).toBe('completed');
    f.release();
    await kept[0];
    expect(f.done.map((p) => p.id)).toEqual([f.payment.id]);
  });

  it('without waitUntil, answers at once and the work runs on', async () => {
    const f = await gatedFlow();
    const response = await createWebCallbackHandler(f.flow)(f.request(), { remoteAddress: SAFARICOM_IP });
    expect(response.status).toBe(200);
    expect(f.done).toEqual([]);
    f.release();
    await vi.waitFor(() => expect(f.done).toHaveLength(1));
  });

  it('awaitAfterAck waits for the work before returning the Response', async () => {
    const f = await gatedFlow();
    const handle = createWebCallbackHandler(f.flow, { awaitAfterAck: true });
    let answered = false;
    const pending = handle(f.request(), { remoteAddress: SAFARICOM_IP }).then((r) => {
      answered = true;
      return r;
    });
    await vi.waitFor(() => expect(f.started).toHaveLength(1));
    expect(answered).toBe(false);
    f.release();
    expect((await pending).status).toBe(200);
    expect(f.done).toHaveLength(1);
  });

  it('a rejected afterAck is logged, never an unhandled rejection', async () => {
    const ack = (): CallbackResponse => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { ResultCode: 0, ResultDesc: 'Accepted' },
      outcome: 'applied',
      reason: null,
      paymentId: null,
      afterAck: Promise.reject(new Error('after-ack-boom')),
    });
    const flow = { handleCallback: async () => ack() } as unknown as PaymentFlow;
    const kept: Promise<unknown>[] = [];
    const handle = createWebCallbackHandler(flow, { logger: testLogger });
    expect((await handle(probeRequest(), { waitUntil: (p) => kept.push(p) })).status).toBe(200);
    await expect(kept[0]).resolves.toBeUndefined();
    expect(
      (await createWebCallbackHandler(flow, { awaitAfterAck: true, logger: testLogger })(probeRequest()))
        .status,
    ).toBe(200);
    expect(captured.filter((l) => l.includes('after-ack-boom'))).toHaveLength(2);
  });
});

describe('createWebCallbackHandler: the body', () => {
  it('acknowledges a non-JSON body and changes nothing', async () => {
    const f = await gatedFlow();
    const url = new URL(f.flow.callbackUrlFor(f.payment.id));
    const response = await createWebCallbackHandler(f.flow)(
      new Request(url, { method: 'POST', body: 'not json at all' }),
      { remoteAddress: SAFARICOM_IP },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ResultCode: 0, ResultDesc: 'Accepted' });
    expect((await f.store.get(f.payment.id))?.status).toBe('pending');
    expect((await f.store.listCallbacks()).at(-1)).toMatchObject({ outcome: 'invalid' });
  });

  it('answers 413 to a body over 64 KiB, declared or streamed, and records nothing', async () => {
    const f = await gatedFlow();
    const url = new URL(f.flow.callbackUrlFor(f.payment.id));
    const big = 'x'.repeat(64 * 1024 + 1);
    const handle = createWebCallbackHandler(f.flow);
    const declared = await handle(new Request(url, { method: 'POST', body: big }), {
      remoteAddress: SAFARICOM_IP,
    });
    expect(declared.status).toBe(413);
    const chunk = new TextEncoder().encode('y'.repeat(16 * 1024));
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(chunk); // endless: the reader must stop at the limit
      },
    });
    const streamed = await handle(
      new Request(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit),
      {
        remoteAddress: SAFARICOM_IP,
      },
    );
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({ error: 'body_too_large', maxBytes: 65536 });
    expect(pulled).toBeLessThan(10);
    expect(await f.store.listCallbacks()).toEqual([]);
    expect((await f.store.get(f.payment.id))?.status).toBe('pending');
  });
});

describe('createWebCallbackHandler: the client address', () => {
  const xff = { 'x-forwarded-for': `${SAFARICOM_IP}` };

  it("'context' (default): the connection address; a spoofed X-Forwarded-For is ignored", async () => {
    expect(await seenAddress({}, xff, '203.0.113.5')).toBe('203.0.113.5');
    expect(await seenAddress({ clientAddress: 'context' }, xff, '203.0.113.5')).toBe('203.0.113.5');
    expect(await seenAddress({}, xff)).toBeUndefined();
  });

  it("'context' behind a trusted proxy reads X-Forwarded-For from the right, as handleCallback does", async () => {
    const headers = { 'x-forwarded-for': `198.51.100.7, ${SAFARICOM_IP}` };
    expect(await seenAddress({}, headers, '10.0.0.1', ['10.0.0.1'])).toBe(SAFARICOM_IP);
  });

  it("'x-forwarded-for': the rightmost hop not in trustedProxies; the client's leftmost hops are never read", async () => {
    const spoofed = { 'x-forwarded-for': `198.51.100.7, ${SAFARICOM_IP}` };
    expect(await seenAddress({ clientAddress: 'x-forwarded-for' }, spoofed)).toBe(SAFARICOM_IP);
    const viaProxy = { 'x-forwarded-for': `198.51.100.7, ${SAFARICOM_IP}, 10.0.0.2` };
    expect(await seenAddress({ clientAddress: 'x-forwarded-for' }, viaProxy, undefined, ['10.0.0.2'])).toBe(
      SAFARICOM_IP,
    );
    expect(await seenAddress({ clientAddress: 'x-forwarded-for' }, viaProxy)).toBe('10.0.0.2');
    expect(await seenAddress({ clientAddress: 'x-forwarded-for' }, {}, '203.0.113.5')).toBeUndefined();
  });

  it('header sources read only their header, never X-Forwarded-For', async () => {
    const headers = {
      'cf-connecting-ip': '196.201.214.201',
      'x-real-ip': '196.201.214.202',
      'fly-client-ip': '196.201.214.203',
      'x-forwarded-for': '10.9.9.9',
    };
    expect(await seenAddress({ clientAddress: 'cf-connecting-ip' }, headers, '10.0.0.1', ['10.0.0.1'])).toBe(
      '196.201.214.201',
    );
    expect(await seenAddress({ clientAddress: 'x-real-ip' }, headers)).toBe('196.201.214.202');
    expect(await seenAddress({ clientAddress: { header: 'Fly-Client-IP' } }, headers)).toBe(
      '196.201.214.203',
    );
    expect(await seenAddress({ clientAddress: 'cf-connecting-ip' }, {}, '203.0.113.5')).toBeUndefined();
  });

  it('a function source gets the request and the context; one that throws gives no address', async () => {
    const seen: unknown[] = [];
    const source = (request: Request, context: { remoteAddress?: string | undefined }) => {
      seen.push(request.headers.get('x-client'), context.remoteAddress);
      return request.headers.get('x-client') ?? undefined;
    };
    expect(await seenAddress({ clientAddress: source }, { 'x-client': SAFARICOM_IP }, '203.0.113.5')).toBe(
      SAFARICOM_IP,
    );
    expect(seen).toEqual([SAFARICOM_IP, '203.0.113.5']);
    const throwing = () => {
      throw new Error('no');
    };
    expect(await seenAddress({ clientAddress: throwing }, {})).toBeUndefined();
  });

  it('a real callback from a Safaricom address by cf-connecting-ip settles the payment', async () => {
    // Without URL tokens the address is what authenticates a callback.
    const f = await gatedFlow({ verifyCallbackToken: false });
    f.release();
    const handle = createWebCallbackHandler(f.flow, {
      clientAddress: 'cf-connecting-ip',
      awaitAfterAck: true,
    });
    const stranger = f.request();
    stranger.headers.set('cf-connecting-ip', '203.0.113.9');
    expect((await handle(stranger, { remoteAddress: SAFARICOM_IP })).status).toBe(200);
    expect((await f.store.get(f.payment.id))?.status).toBe('pending');
    const request = f.request();
    request.headers.set('cf-connecting-ip', SAFARICOM_IP);
    const response = await handle(request);
    expect(response.status).toBe(200);
    expect((await f.store.get(f.payment.id))?.status).toBe('completed');
    expect(f.done).toHaveLength(1);
  });

  it('refuses invalid options with a DarajaConfigError naming the field', () => {
    const { flow } = makeFlow();
    const bad = (options: unknown) => () =>
      createWebCallbackHandler(flow, options as WebCallbackHandlerOptions);
    expect(bad({ clientAddress: 'forwarded' })).toThrow(DarajaConfigError);
    expect(bad({ clientAddress: 'forwarded' })).toThrow(/clientAddress/);
    expect(bad({ clientAddress: { header: 'bad header' } })).toThrow(/clientAddress: must name a header/);
    expect(bad({ awaitAfterAck: 'yes' })).toThrow(/awaitAfterAck/);
    expect(() => createWebCallbackHandler({} as PaymentFlow)).toThrow(/flow: must be the payment flow/);
  });
});
