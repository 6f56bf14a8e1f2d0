import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmitter, httpEvent } from '../../../../src/core/http/hooks.js';
import { createLog } from '../../../../src/core/logger.js';
import {
  DARAJA_CHANNELS,
  Daraja,
  DarajaConfigError,
  type DarajaHooks,
  type DarajaHttpEvent,
} from '../../../../src/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET, SANDBOX } from '../../../fixtures/constants.js';
import { makeClient, rejection } from '../../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';
import { eventRendering, scanForLeaks } from '../../../helpers/leak-scan.js';
import { captured } from '../../../helpers/logger.js';
import { thrown } from '../../../helpers/thrown.js';
import { withoutEventCapture } from '../../../setup/log-capture.js';

// The client's hooks and the diagnostics channels: the same sanitized, frozen event at each step of a
// call. The setup file (test/setup/log-capture.ts) scans every event of the suite for leaks.

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const QUERY = `${SANDBOX}/mpesa/stkpushquery/v1/query`;
const ID = 'ws_CO_13012021093521236557';
const ALLOWED = [
  'operation',
  'method',
  'path',
  'attempt',
  'status',
  'durationMs',
  'requestId',
  'error',
  'delayMs',
];

const unsubscribers: Array<() => void> = [];
afterEach(() => {
  for (const off of unsubscribers.splice(0)) off();
});

/** Every message of every channel, in order, while the test runs. */
function listen() {
  const seen: Array<{ channel: string; event: DarajaHttpEvent }> = [];
  for (const channel of Object.values(DARAJA_CHANNELS)) {
    const fn = (message: unknown) => seen.push({ channel, event: message as DarajaHttpEvent });
    subscribe(channel, fn);
    unsubscribers.push(() => unsubscribe(channel, fn));
  }
  return seen;
}

/** Hooks recording every event with its hook's name. */
function recordingHooks() {
  const seen: Array<{ hook: string; event: DarajaHttpEvent }> = [];
  const hooks: DarajaHooks = {
    onRequest: (event) => seen.push({ hook: 'onRequest', event }),
    onResponse: (event) => seen.push({ hook: 'onResponse', event }),
    onRetry: (event) => seen.push({ hook: 'onRetry', event }),
  };
  return { hooks, seen };
}

function queryOnce502() {
  let calls = 0;
  server.use(
    http.post(QUERY, () =>
      ++calls === 1
        ? new HttpResponse('<html>502</html>', { status: 502 })
        : HttpResponse.json({ ResponseCode: '0', ResultCode: '0', MerchantRequestID: '22205-34066-1' }),
    ),
  );
}

describe('hooks and diagnostics channels', () => {
  it('see each request, answer and retry of a call, with only the sanitized fields', async () => {
    queryOnce502();
    const { hooks, seen } = recordingHooks();
    const channels = listen();
    await makeClient({ hooks }).stk.query(ID);
    expect(
      seen.map((s) => `${s.hook} ${s.event.operation} ${s.event.attempt} ${s.event.status ?? ''}`),
    ).toEqual([
      'onRequest oauth 1 ',
      'onResponse oauth 1 200',
      'onRequest stk.query 1 ',
      'onResponse stk.query 1 502',
      'onRetry stk.query 1 502',
      'onRequest stk.query 2 ',
      'onResponse stk.query 2 200',
    ]);
    const oauth = seen[0]!.event;
    expect(oauth).toEqual({ operation: 'oauth', method: 'GET', path: '/oauth/v1/generate', attempt: 1 });
    expect(seen[4]!.event.delayMs).toBeGreaterThanOrEqual(0);
    expect(seen[6]!.event).toMatchObject({ requestId: '22205-34066-1', method: 'POST' });
    expect(seen[6]!.event.durationMs).toBeGreaterThanOrEqual(0);
    for (const { event } of seen) {
      expect(
        Object.keys(event).every((k) => ALLOWED.includes(k)),
        JSON.stringify(event),
      ).toBe(true);
      expect(Object.isFrozen(event)).toBe(true);
    }
    // The channels publish the very same objects, on their own channel, and nothing on error.
    expect(channels.map((c) => c.event)).toEqual(seen.map((s) => s.event));
    for (const [i, c] of channels.entries()) expect(c.event).toBe(seen[i]!.event);
    expect(channels.map((c) => c.channel)).toEqual([
      'daraja-sdk:request',
      'daraja-sdk:response',
      'daraja-sdk:request',
      'daraja-sdk:response',
      'daraja-sdk:retry',
      'daraja-sdk:request',
      'daraja-sdk:response',
    ]);
  });

  it('publish the error once, by name, when a call fails', async () => {
    mock.state.pushMode = 'html-500';
    const channels = listen();
    try {
      const error = await rejection(
        makeClient().stk.push({ phoneNumber: '0712345678', amount: 1, accountReference: 'A1' }),
      );
      expect(error.name).toBe('DarajaUnknownOutcomeError');
    } finally {
      mock.state.pushMode = 'ok';
    }
    const errors = channels.filter((c) => c.channel === DARAJA_CHANNELS.error);
    expect(errors.map((c) => c.event)).toEqual([
      {
        operation: 'stk.push',
        method: 'POST',
        path: '/mpesa/stkpush/v1/processrequest',
        attempt: 1,
        error: 'DarajaUnknownOutcomeError',
      },
    ]);
    // Never a body, a header value, a token or the phone number, in any event.
    const text = channels.map((c) => eventRendering(c.channel, c.event)).join('\n');
    expect(text).not.toMatch(/712345678|Bearer|Basic|<html>|PhoneNumber|Password/);
  });

  it('a hook that throws or rejects never breaks the call, and is logged once', async () => {
    const start = captured.length;
    const daraja = makeClient({
      hooks: {
        onRequest: () => {
          throw new TypeError('broken hook 0712345678');
        },
        onResponse: () => Promise.reject(new RangeError('async hook')),
      },
    });
    expect((await daraja.stk.query(ID)).status).toBe('completed');
    expect((await daraja.stk.query(ID)).status).toBe('completed');
    await new Promise((resolve) => setImmediate(resolve));
    const failures = captured.slice(start).filter((line) => line.includes('a hook failed'));
    expect(failures).toHaveLength(2);
    expect(failures.find((l) => l.includes('"hook":"onRequest"'))).toMatch(/"error":"TypeError"/);
    expect(failures.find((l) => l.includes('"hook":"onResponse"'))).toMatch(/"error":"RangeError"/);
    expect(failures.join('\n')).not.toContain('712345678');
  });

  it('builds an event only for a step a hook or a subscriber will see: nobody observing costs nothing', async () => {
    const built: string[] = [];
    const build = (step: string) => () => {
      built.push(step);
      return httpEvent({ operation: 'stk.query', method: 'POST', path: '/q', attempt: 1 });
    };
    const steps = ['request', 'response', 'retry', 'error'] as const;
    const log = createLog(undefined);
    await withoutEventCapture(() => {
      const silent = createEmitter(undefined, log);
      for (const step of steps) silent(step, build(step));
      expect(built).toEqual([]);
      const seen: DarajaHttpEvent[] = [];
      const hooked = createEmitter({ onResponse: (e) => seen.push(e) }, log);
      for (const step of steps) hooked(step, build(step));
      expect(built).toEqual(['response']);
      expect(seen).toHaveLength(1);
      const subscriber = () => {};
      subscribe(DARAJA_CHANNELS.retry, subscriber);
      try {
        for (const step of steps) silent(step, build(step));
      } finally {
        unsubscribe(DARAJA_CHANNELS.retry, subscriber);
      }
      expect(built).toEqual(['response', 'retry']);
    });
  });

  it('refuses hooks that are not functions', () => {
    const error = thrown(
      DarajaConfigError,
      () =>
        new Daraja({
          consumerKey: CONSUMER_KEY,
          consumerSecret: CONSUMER_SECRET,
          hooks: { onRequest: 'log' } as never,
        }),
    );
    expect(error.issues).toEqual([
      { field: 'hooks', message: expect.stringMatching(/onRequest\?, onResponse\?, onRetry\?/) },
    ]);
  });

  it('the leak scan reads events: a full phone number in one would be found', () => {
    const leaky = { operation: 'stk.push', requestId: 'ws_CO_191220191020363712345678' };
    expect(scanForLeaks([eventRendering(DARAJA_CHANNELS.response, leaky)]).map((l) => l.kind)).toContain(
      'phone number in a CheckoutRequestID',
    );
  });
});
