import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { RESOURCE_NOT_FOUND } from '../fixtures/daraja-errors.js';
import { type FakeRoute, fakeDaraja } from './fake-daraja.js';

/**
 * The fake Daraja of test/helpers/fake-daraja.ts over real HTTP (node:http), for tests that need real
 * sockets: the same routes that its msw handlers call, with the same state, counters and push modes. A
 * dropped answer (`HttpResponse.error()`) destroys the socket after the request was read. (The full
 * simulator lives in `daraja-sdk/simulator`.)
 */
export async function startLocalDaraja(options: { oauthDelayMs?: number; expiresIn?: number } = {}) {
  const daraja = fakeDaraja({ anyCredentials: true }); // the packed-package tests bring their own
  daraja.state.oauthDelayMs = options.oauthDelayMs ?? 0;
  daraja.state.expiresIn = String(options.expiresIn ?? 3599);
  const server = await serveOverHttp(daraja.routes, daraja.base);
  return {
    state: daraja.state,
    baseUrl: server.baseUrl,
    close: () => {
      daraja.release();
      return server.close();
    },
  };
}

/**
 * Serve the fake's routes on a local port, each request as a fetch `Request` on `base`. (Not through
 * msw's handler matching: 1,000 concurrent pushes would pay about a millisecond each for it.)
 */
export async function serveOverHttp(routes: FakeRoute[], base: string) {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    answer(routes, base, req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.maxConnections = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function answer(routes: FakeRoute[], base: string, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'host' || name === 'connection') continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? 'GET';
  const request = new Request(new URL(req.url ?? '/', base), {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks),
  });
  const { pathname } = new URL(request.url);
  const route = routes.find((r) => r.method === method && r.path === pathname);
  const response = await route?.answer(request);
  if (res.destroyed) return;
  if (response === undefined) {
    const text = JSON.stringify(RESOURCE_NOT_FOUND);
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  if (response.type === 'error') {
    req.socket.destroy(); // the request was fully read; the connection dies before an answer
    return;
  }
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), 'content-length': body.length });
  res.end(body);
}
