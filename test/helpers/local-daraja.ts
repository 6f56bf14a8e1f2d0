import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TOKEN_PREFIX } from '../fixtures/constants.js';

/** How the local server answers STK push: normally, never, or by dropping the connection. */
export type PushMode = 'ok' | 'hang' | 'reset-after-body' | 'html-500';

/**
 * A minimal Daraja over real HTTP (node:http), for tests that need real sockets: OAuth and STK push
 * with counters. (The full simulator lives in `daraja-sdk/simulator`.)
 */
export async function startLocalDaraja(options: { oauthDelayMs?: number; expiresIn?: number } = {}) {
  const state = { oauthCalls: 0, pushCalls: 0, pushMode: 'ok' as PushMode, validTokens: new Set<string>() };
  const sockets = new Set<import('node:net').Socket>();
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => {
        data += c;
      });
      req.on('end', () => resolve(data));
    });
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/oauth/v1/generate') {
      state.oauthCalls += 1;
      const n = state.oauthCalls;
      if (options.oauthDelayMs) await new Promise((r) => setTimeout(r, options.oauthDelayMs));
      const token = `${TOKEN_PREFIX}${n}`;
      state.validTokens.add(token);
      return json(res, 200, { access_token: token, expires_in: String(options.expiresIn ?? 3599) });
    }
    if (req.method === 'POST' && url.pathname === '/mpesa/stkpush/v1/processrequest') {
      const body = await readBody(req);
      state.pushCalls += 1;
      const auth = req.headers.authorization ?? '';
      if (!state.validTokens.has(auth.replace(/^Bearer /, ''))) {
        return json(res, 404, {
          requestId: 'x',
          errorCode: '404.001.03',
          errorMessage: 'Invalid Access Token',
        });
      }
      if (state.pushMode === 'hang') return; // never answer
      if (state.pushMode === 'reset-after-body') {
        req.socket.destroy(); // the request was fully written; the connection dies before an answer
        return;
      }
      if (state.pushMode === 'html-500') {
        res.writeHead(500, { 'content-type': 'text/html' });
        return res.end('<html><body><h1>500 Internal Server Error</h1></body></html>');
      }
      const parsed = JSON.parse(body) as { PhoneNumber: string };
      return json(res, 200, {
        MerchantRequestID: `m-${state.pushCalls}`,
        CheckoutRequestID: `ws_CO_${state.pushCalls}_${parsed.PhoneNumber.slice(-3)}`,
        ResponseCode: '0',
        ResponseDescription: 'Success. Request accepted for processing',
        CustomerMessage: 'Success. Request accepted for processing',
      });
    }
    json(res, 404, { errorCode: '404.002.01', errorMessage: 'Resource not found' });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.maxConnections = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    state,
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
