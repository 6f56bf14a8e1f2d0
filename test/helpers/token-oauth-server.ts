/**
 * A Daraja OAuth endpoint over real HTTP (node:http) that counts its requests, for the shared token cache
 * tests (test/integration/token-cache-processes.test.ts): `GET /oauth/v1/generate` answers a fresh token
 * after `delayMs` (so concurrent callers really race), or `500` while `failing` is set. Nothing else is
 * served.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingOAuth {
  url: string;
  /** OAuth requests received. */
  calls: number;
  failing: boolean;
  delayMs: number;
  close(): Promise<void>;
}

export async function startCountingOAuth(): Promise<CountingOAuth> {
  const state = { calls: 0, failing: false, delayMs: 50 };
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/oauth/v1/generate')) {
      res.writeHead(404).end();
      return;
    }
    state.calls += 1;
    setTimeout(() => {
      if (state.failing) {
        res.writeHead(500, { 'content-type': 'text/html' }).end('<html>Internal Server Error</html>');
        return;
      }
      const token = `tok_TEST_${randomBytes(12).toString('hex')}`;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: token, expires_in: '3599' }));
    }, state.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as CountingOAuth;
}
