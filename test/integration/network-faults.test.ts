import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DarajaApiError,
  DarajaNetworkError,
  DarajaTimeoutError,
  DarajaUnknownOutcomeError,
} from '../../src/index.js';
import { makeClient } from '../helpers/client.js';
import { startLocalDaraja } from '../helpers/local-daraja.js';

// Faults on real sockets: the push must never be sent twice once it may have reached Daraja.
let daraja: Awaited<ReturnType<typeof startLocalDaraja>>;
beforeAll(async () => {
  daraja = await startLocalDaraja();
});
afterAll(() => daraja.close());
const params = { phoneNumber: '0712345678', amount: 10, accountReference: 'A1' };

async function pushWith(mode: 'hang' | 'reset-after-body' | 'html-500', timeoutMs = 200) {
  daraja.state.pushMode = mode;
  const before = daraja.state.pushCalls;
  const error = await makeClient({ baseUrl: daraja.baseUrl, timeoutMs, maxRetries: 5 })
    .stk.push(params)
    .catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  daraja.state.pushMode = 'ok';
  return { error, sent: daraja.state.pushCalls - before };
}

describe('STK push under network faults (real HTTP)', () => {
  it('a server that never answers: unknown outcome after the timeout, one request', async () => {
    const started = Date.now();
    const { error, sent } = await pushWith('hang', 200);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect((error as Error).cause).toBeInstanceOf(DarajaTimeoutError);
    expect(Date.now() - started).toBeLessThan(200 + 100 + 1000);
    expect(sent).toBe(1);
  });

  it('a connection reset after the request was written: unknown outcome, one request', async () => {
    const { error, sent } = await pushWith('reset-after-body', 5_000);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect((error as Error).cause).toBeInstanceOf(DarajaNetworkError);
    expect(sent).toBe(1);
  });

  it('a 500 with an HTML body: unknown outcome keeping the body, one request', async () => {
    const { error, sent } = await pushWith('html-500');
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    const cause = (error as Error).cause as DarajaApiError;
    expect(cause).toBeInstanceOf(DarajaApiError);
    expect(cause.body).toMatch(/500 Internal Server Error/);
    expect(sent).toBe(1);
  });

  it('connection refused proves nothing was sent: retried, then a network error (not "unknown")', async () => {
    // Reserve a port and close it so nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const error = await makeClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2 })
      .stk.push(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DarajaNetworkError);
    expect(error).not.toBeInstanceOf(DarajaUnknownOutcomeError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });
});
