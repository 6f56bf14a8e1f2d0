import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CALLBACK_ACK,
  CALLBACK_PROBE_PARAM,
  type CallbackProbeReport,
  callbackProbeBody,
  type Payment,
  type PaymentFlowOptions,
  VERSION,
} from '../../../src/index.js';
import { CALLBACK_SECRET, SAFARICOM_IP } from '../../fixtures/constants.js';
import { useMsw } from '../../helpers/fake-daraja.js';
import { callbackFor, initiateParams, makeFlow, scriptedDaraja } from '../../helpers/flow.js';
import { captured } from '../../helpers/logger.js';

const daraja = scriptedDaraja();
useMsw(...daraja.handlers);

afterEach(() => {
  vi.restoreAllMocks();
});

/** A flow as a first-time user builds it: no logger. */
function quietFlow(overrides: Partial<PaymentFlowOptions> = {}) {
  return makeFlow({ logger: undefined, ...overrides });
}

function spyWarn() {
  return vi.spyOn(console, 'warn').mockImplementation(() => {});
}

/** The warnings printed, as text. */
function printed(spy: ReturnType<typeof spyWarn>): string[] {
  return spy.mock.calls.map((args) => args.map(String).join(' '));
}

async function pendingPayment(flow: ReturnType<typeof makeFlow>['flow']): Promise<Payment> {
  const { payment } = await flow.initiate(initiateParams);
  return payment;
}

describe('loud misconfiguration (no logger passed)', () => {
  it('warns once when the body did not arrive parsed, naming the body parser', async () => {
    const warn = spyWarn();
    const { flow } = quietFlow();
    const payment = await pendingPayment(flow);
    const request = callbackFor(flow, payment);
    for (const body of [undefined, {}, '', Readable.from(['{}'])]) {
      const ack = await flow.handleCallback({ ...request, body });
      expect(ack.status).toBe(200);
      expect(ack.outcome).toBe('invalid');
    }
    const lines = printed(warn);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[daraja\] /);
    expect(lines[0]).toMatch(/express\.json\(\)/);
    expect(lines[0]).toMatch(/raw body text/);
    // No URL token, no secret, no full phone number.
    expect(lines[0]).not.toContain(new URL(request.url, 'http://x').searchParams.get('token')!);
    expect(lines[0]).not.toContain(CALLBACK_SECRET);
    expect(lines[0]).not.toMatch(/2547\d{8}/);
  });

  it('warns for an unread stream as well (first such callback)', async () => {
    const warn = spyWarn();
    const { flow } = quietFlow();
    const payment = await pendingPayment(flow);
    await flow.handleCallback({ ...callbackFor(flow, payment), body: Readable.from(['{}']) });
    expect(printed(warn)).toEqual([expect.stringMatching(/unread body \(a stream\)[\s\S]*express\.json/)]);
  });

  it('does not warn for raw JSON text or bytes, which the flow reads', async () => {
    const warn = spyWarn();
    const { flow } = quietFlow();
    const payment = await pendingPayment(flow);
    const request = callbackFor(flow, payment);
    const text = JSON.stringify(request.body);
    expect((await flow.handleCallback({ ...request, body: text })).outcome).toBe('applied');
    await flow.handleCallback({ ...request, body: Buffer.from(text) });
    expect(printed(warn)).toEqual([]);
  });

  it('warns once when remoteAddress is missing, naming req.socket.remoteAddress', async () => {
    const warn = spyWarn();
    const { flow } = quietFlow();
    const payment = await pendingPayment(flow);
    const { remoteAddress: _, ...request } = callbackFor(flow, payment);
    for (let i = 0; i < 3; i++) {
      const ack = await flow.handleCallback(request);
      expect(ack).toMatchObject({ outcome: 'rejected', reason: 'ip_unknown' });
    }
    const lines = printed(warn);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/remoteAddress/);
    expect(lines[0]).toMatch(/req\.socket\.remoteAddress/);
    expect(lines[0]).toMatch(/request\.ip/);
  });

  it('does not ask for remoteAddress when the allow-list is off', async () => {
    const warn = spyWarn();
    const { flow } = quietFlow({ allowedIps: false });
    const payment = await pendingPayment(flow);
    const { remoteAddress: _, ...request } = callbackFor(flow, payment);
    expect((await flow.handleCallback(request)).outcome).toBe('applied');
    expect(printed(warn)).toEqual([]);
  });

  it('warns once after three callbacks rejected by allowedIps with none accepted (a proxy)', async () => {
    const warn = spyWarn();
    const { flow } = quietFlow();
    const payments = [await pendingPayment(flow), await pendingPayment(flow), await pendingPayment(flow)];
    const proxy = '10.0.0.7';
    for (const [i, payment] of payments.entries()) {
      const ack = await flow.handleCallback({ ...callbackFor(flow, payment), remoteAddress: proxy });
      expect(ack).toMatchObject({ outcome: 'rejected', reason: 'ip_not_allowed' });
      expect(printed(warn)).toHaveLength(i < 2 ? 0 : 1);
    }
    await flow.handleCallback({ ...callbackFor(flow, payments[0]!), remoteAddress: proxy });
    const lines = printed(warn);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/trustedProxies/);
    expect(lines[0]).toMatch(/allowedIps/);
    expect(lines[0]).toContain(proxy);
    expect(lines[0]).toMatch(/proxy/);
  });

  it('counts address rejections without tokens too', async () => {
    const warn = spyWarn();
    const { flow } = quietFlow({ verifyCallbackToken: false, callbackSecret: undefined });
    const payment = await pendingPayment(flow);
    for (let i = 0; i < 3; i++)
      await flow.handleCallback({ ...callbackFor(flow, payment), remoteAddress: '127.0.0.1' });
    expect(printed(warn)).toEqual([expect.stringMatching(/127\.0\.0\.1, a loopback address/)]);
  });

  it('never warns on a healthy route: one accepted callback, then rejected spoofs', async () => {
    const warn = spyWarn();
    const { flow } = quietFlow({ verifyCallbackToken: false, callbackSecret: undefined });
    const payment = await pendingPayment(flow);
    expect((await flow.handleCallback(callbackFor(flow, payment))).outcome).toBe('applied');
    for (let i = 0; i < 5; i++) {
      const spoof = await flow.handleCallback({
        ...callbackFor(flow, payment),
        remoteAddress: `203.0.113.${i + 1}`,
      });
      expect(spoof).toMatchObject({ outcome: 'rejected', reason: 'ip_not_allowed' });
    }
    expect(printed(warn)).toEqual([]);
  });

  it('never warns on a healthy route with tokens (spoofs without a token do not count)', async () => {
    const warn = spyWarn();
    const { flow } = quietFlow();
    const payment = await pendingPayment(flow);
    expect((await flow.handleCallback(callbackFor(flow, payment))).outcome).toBe('applied');
    for (let i = 0; i < 5; i++) {
      await flow.handleCallback({ ...callbackFor(flow, payment), url: '/cb', remoteAddress: '198.51.100.9' });
    }
    expect(printed(warn)).toEqual([]);
  });

  it('goes to the logger when one is passed, and logger: null silences it', async () => {
    const warn = spyWarn();
    const withLogger = makeFlow();
    const payment = await pendingPayment(withLogger.flow);
    const before = captured.length;
    await withLogger.flow.handleCallback({ ...callbackFor(withLogger.flow, payment), body: undefined });
    expect(captured.slice(before).filter((l) => /^warn .*misconfigured.*express\.json/.test(l))).toHaveLength(
      1,
    );
    const silenced = quietFlow({ logger: null });
    const other = await pendingPayment(silenced.flow);
    await silenced.flow.handleCallback({ ...callbackFor(silenced.flow, other), body: undefined });
    expect(printed(warn)).toEqual([]);
  });
});

describe('callback probe', () => {
  const probeUrl = (nonce = 'n0nce_ABC-123') =>
    `/api/subscription/mpesa-callback?${CALLBACK_PROBE_PARAM}=${nonce}`;

  async function probe(
    flow: ReturnType<typeof makeFlow>['flow'],
    request: { body?: unknown; remoteAddress?: string | undefined; headers?: Record<string, string> } = {},
  ) {
    const ack = await flow.handleCallback({
      body: 'body' in request ? request.body : callbackProbeBody(),
      url: probeUrl(),
      remoteAddress: 'remoteAddress' in request ? request.remoteAddress : '203.0.113.50',
      ...(request.headers ? { headers: request.headers } : {}),
    });
    expect(ack.status).toBe(200);
    expect(ack.outcome).toBe('probe');
    const body = ack.body as typeof CALLBACK_ACK & { probe: CallbackProbeReport };
    expect(body).toMatchObject(CALLBACK_ACK);
    expect(body.probe).toEqual(ack.probe);
    return body.probe;
  }

  it('reports ok for a healthy route, echoing the nonce and the SDK version', async () => {
    const { flow } = makeFlow();
    expect(await probe(flow)).toEqual({
      nonce: 'n0nce_ABC-123',
      sdkVersion: VERSION,
      body: 'parsed',
      remoteAddress: 'present',
      clientAddress: '203.0.113.50',
      allowedIps: 'rejected',
      verdict: 'ok',
      problems: [],
    });
    expect((await probe(flow, { remoteAddress: SAFARICOM_IP })).allowedIps).toBe('allowed');
    expect((await probe(makeFlow({ allowedIps: false }).flow)).allowedIps).toBe('off');
  });

  it('reports invalid_body when the body did not arrive parsed', async () => {
    const { flow } = makeFlow();
    for (const body of [undefined, Readable.from(['x'])]) {
      const report = await probe(flow, { body });
      expect(report.verdict).toBe('misconfigured');
      expect(report.problems).toEqual([
        { reason: 'invalid_body', fix: expect.stringMatching(/express\.json\(\)/) },
      ]);
    }
    expect((await probe(flow, { body: undefined })).body).toBe('missing');
    expect((await probe(flow, { body: Readable.from(['x']) })).body).toBe('unparsed');
    // Raw JSON text is read by the flow: not a problem.
    const raw = await probe(flow, { body: JSON.stringify(callbackProbeBody()) });
    expect(raw).toMatchObject({ body: 'unparsed', verdict: 'ok' });
  });

  it('reports ip_unknown when remoteAddress is missing', async () => {
    const { flow } = makeFlow();
    const report = await probe(flow, { remoteAddress: undefined });
    expect(report).toMatchObject({ remoteAddress: 'missing', verdict: 'misconfigured' });
    expect(report.problems).toEqual([
      { reason: 'ip_unknown', fix: expect.stringMatching(/req\.socket\.remoteAddress/) },
    ]);
    expect(await probe(makeFlow({ allowedIps: false }).flow, { remoteAddress: undefined })).toMatchObject({
      verdict: 'ok',
    });
  });

  it.each([
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.10',
    '127.0.0.1',
    '::1',
    '::ffff:127.0.0.1',
    'fd12:3456::1',
    'fe80::1',
    '100.64.0.1',
  ])('reports ip_not_allowed when the allow-list is on and the address is %s (a proxy)', async (address) => {
    const { flow } = makeFlow();
    const report = await probe(flow, { remoteAddress: address });
    expect(report.verdict).toBe('misconfigured');
    expect(report.problems).toEqual([
      { reason: 'ip_not_allowed', fix: expect.stringMatching(/trustedProxies/) },
    ]);
  });

  it('is ok behind a proxy listed in trustedProxies, or with the address on allowedIps', async () => {
    const behind = makeFlow({ trustedProxies: ['10.0.0.0/8'] }).flow;
    const report = await probe(behind, {
      remoteAddress: '10.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.50' },
    });
    expect(report).toMatchObject({ clientAddress: '203.0.113.50', verdict: 'ok' });
    const simulator = makeFlow({ allowedIps: ['127.0.0.1'] }).flow;
    expect(await probe(simulator, { remoteAddress: '127.0.0.1' })).toMatchObject({ verdict: 'ok' });
  });

  it('changes nothing: no store write, no audit row, no journal entry, no warning', async () => {
    const warn = spyWarn();
    const { flow, store } = quietFlow();
    const payment = await pendingPayment(flow);
    const writes = [
      'recordCallback',
      'transition',
      'attachReceipt',
      'create',
      'claimFulfilment',
      'settleCallback',
    ] as const;
    const spies = writes.map((m) => vi.spyOn(store, m));
    for (let i = 0; i < 5; i++) {
      await probe(flow, { body: undefined, remoteAddress: undefined });
      await probe(flow, { remoteAddress: '10.0.0.1' });
    }
    // A probe URL that also carries a payment's token is still only a probe.
    const real = callbackFor(flow, payment);
    const ack = await flow.handleCallback({ ...real, url: `${real.url}&${CALLBACK_PROBE_PARAM}=x` });
    expect(ack.outcome).toBe('probe');
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    expect(await store.listCallbacks()).toEqual([]);
    expect((await store.get(payment.id))?.status).toBe('pending');
    expect(printed(warn)).toEqual([]);
    // Probes did not count toward the address warning: a real healthy callback now applies, silently.
    expect((await flow.handleCallback(real)).outcome).toBe('applied');
    expect(printed(warn)).toEqual([]);
  });

  it('keeps only a safe nonce', async () => {
    const { flow } = makeFlow();
    const ack = await flow.handleCallback({
      body: callbackProbeBody(),
      url: `/cb?${CALLBACK_PROBE_PARAM}=${encodeURIComponent('<script>x</script>')}`,
      remoteAddress: SAFARICOM_IP,
    });
    expect(ack.probe?.nonce).toBe('scriptxscript');
  });
});

describe('reconcile log level', () => {
  it('logs an idle run at debug and a run that did something at info', async () => {
    const { flow } = makeFlow({ now: () => new Date(Date.now() + 10 * 60_000) });
    let before = captured.length;
    await flow.reconcile();
    const idle = captured.slice(before).filter((l) => l.includes('reconcile finished'));
    expect(idle).toEqual([expect.stringMatching(/^debug /)]);

    const { flow: busy, store } = makeFlow();
    const { payment } = await busy.initiate(initiateParams);
    daraja.state.answers.set(payment.checkoutRequestId!, 0);
    // Make it due: pending for longer than olderThanMs.
    before = captured.length;
    const summary = await busy.reconcile({ olderThanMs: 0 });
    expect(summary.settled.completed).toBe(1);
    expect((await store.get(payment.id))?.status).toBe('completed');
    const busyLines = captured.slice(before).filter((l) => l.includes('reconcile finished'));
    expect(busyLines).toEqual([expect.stringMatching(/^info /)]);
  });
});
