import { delay, HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { DarajaNetworkError, DarajaTimeoutError, DarajaUnknownOutcomeError } from '../../../src/index.js';
import { SANDBOX } from '../../fixtures/constants.js';
import { useMsw } from '../../helpers/fake-daraja.js';
import { initiateParams, makeFlow, scriptedDaraja } from '../../helpers/flow.js';

// Per-call options (timeoutMs, signal) given to the flow reach the STK push and query it sends. The
// client's own timeout is the default (seconds), so each slow answer below would hold the test for 2 s
// if the options were dropped on the way.
const daraja = scriptedDaraja();
const server = useMsw(...daraja.handlers);
const PUSH = `${SANDBOX}/mpesa/stkpush/v1/processrequest`;
const QUERY = `${SANDBOX}/mpesa/stkpushquery/v1/query`;

/** A handler that answers after 2 s, resolving `reached` when the request arrives. */
function slowAnswer() {
  let reached!: () => void;
  const arrived = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let calls = 0;
  const resolver = async () => {
    calls += 1;
    reached();
    await delay(2_000);
    return HttpResponse.json({});
  };
  return { arrived, resolver, calls: () => calls };
}

describe('per-call request options on the flow', () => {
  it('initiate passes the signal to the push: aborted after sending, the outcome is unknown, never resent', async () => {
    const { flow, store } = makeFlow();
    const slow = slowAnswer();
    server.use(http.post(PUSH, slow.resolver));
    const controller = new AbortController();
    const started = Date.now();
    const pending = flow.initiate(initiateParams, { signal: controller.signal });
    await slow.arrived;
    controller.abort();
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result.outcome).toBe('unknown');
    const error = result.error;
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect((error as DarajaUnknownOutcomeError).cause).toBeInstanceOf(DarajaNetworkError);
    expect(String((error as DarajaUnknownOutcomeError).cause)).toMatch(/aborted by the caller/);
    expect((await store.get(result.payment.id))?.status).toBe('pending');
    await delay(50);
    expect(slow.calls()).toBe(1);
  });

  it('initiate passes timeoutMs to the push', async () => {
    const { flow } = makeFlow();
    const slow = slowAnswer();
    server.use(http.post(PUSH, slow.resolver));
    const started = Date.now();
    const result = await flow.initiate(initiateParams, { timeoutMs: 50 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result.outcome).toBe('unknown');
    const cause = (result.error as DarajaUnknownOutcomeError).cause;
    expect(cause).toBeInstanceOf(DarajaTimeoutError);
    expect((cause as DarajaTimeoutError).timeoutMs).toBe(50);
    expect(slow.calls()).toBe(1);
  });

  it('initiate with a signal aborted before sending sends nothing and fails the payment', async () => {
    const { flow, store } = makeFlow();
    const pushesBefore = daraja.state.pushBodies.length;
    const result = await flow.initiate(initiateParams, { signal: AbortSignal.abort() });
    expect(result.outcome).toBe('rejected');
    expect((await store.get(result.payment.id))?.status).toBe('failed');
    expect(daraja.state.pushBodies.length).toBe(pushesBefore);
  });

  it('checkStatus and reconcile pass timeoutMs to the STK query', async () => {
    const { flow } = makeFlow();
    const { payment } = await flow.initiate(initiateParams);
    const slow = slowAnswer();
    server.use(http.post(QUERY, slow.resolver));
    let started = Date.now();
    const checked = await flow.checkStatus(payment.id, { ownerId: payment.ownerId }, { timeoutMs: 50 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(checked?.status).toBe('pending');
    expect(slow.calls()).toBe(1);
    started = Date.now();
    const summary = await flow.reconcile({ olderThanMs: 0 }, { timeoutMs: 50 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(summary.checked).toBe(1);
    expect(summary.queryErrors).toBe(1);
    expect(slow.calls()).toBe(2);
  });
});
