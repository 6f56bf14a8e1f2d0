import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
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

/**
 * A server that answers OAuth, then answers STK push and query with headers and the first bytes of a body
 * that never ends (a proxy or a Daraja node that stalls mid-answer). Counts each path's requests.
 */
async function stallingServer() {
  const calls = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      calls.set(path, (calls.get(path) ?? 0) + 1);
      if (path === '/oauth/v1/generate') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"access_token":"stall-token-0000000000","expires_in":"3599"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
      res.write('{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":'); // and nothing more
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    calls: (path: string) => calls.get(path) ?? 0,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('an answer whose body stalls after its headers (real sockets)', () => {
  it('STK push: an unknown outcome after timeoutMs, sent once', async () => {
    const stalling = await stallingServer();
    try {
      const started = Date.now();
      const error = await makeClient({ baseUrl: stalling.baseUrl, timeoutMs: 300, maxRetries: 5 })
        .stk.push(params)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
      expect((error as Error).cause).toBeInstanceOf(DarajaTimeoutError);
      expect(Date.now() - started).toBeLessThan(300 + 2_000); // not the OS's socket timeout
      expect(stalling.calls('/mpesa/stkpush/v1/processrequest')).toBe(1);
    } finally {
      await stalling.close();
    }
  });

  it('STK query: a timeout, resent (a query moves no money) up to maxRetries', async () => {
    const stalling = await stallingServer();
    try {
      const error = await makeClient({ baseUrl: stalling.baseUrl, timeoutMs: 200, maxRetries: 2 })
        .stk.query('ws_CO_191220191020363925')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DarajaTimeoutError);
      expect(stalling.calls('/mpesa/stkpushquery/v1/query')).toBe(3);
    } finally {
      await stalling.close();
    }
  });
});
