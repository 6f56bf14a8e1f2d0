import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One callback as the receiver got it. */
export interface ReceivedCallback {
  path: string;
  headers: IncomingHttpHeaders;
  text: string;
  body: unknown;
  time: number;
}

/**
 * A local `node:http` server standing in for the merchant's callback route: it records every POST and
 * answers `status` (200 by default) with the usual acknowledgement. `hang` makes it never answer.
 */
export async function startCallbackReceiver() {
  const received: ReceivedCallback[] = [];
  const waiters = new Set<() => void>();
  const control = { status: 200, hang: false };
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      received.push({ path: req.url ?? '/', headers: req.headers, text, body, time: Date.now() });
      for (const wake of waiters) wake();
      if (control.hang) return;
      res.writeHead(control.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ResultCode: 0, ResultDesc: 'Accepted' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    control,
    received,
    origin,
    /** The callback URL to give STK push. */
    url: `${origin}/mpesa/callback`,
    /** Callbacks about one CheckoutRequestID. */
    about(checkoutRequestId: string): ReceivedCallback[] {
      return received.filter(
        (c) =>
          (c.body as { Body?: { stkCallback?: { CheckoutRequestID?: string } } } | undefined)?.Body
            ?.stkCallback?.CheckoutRequestID === checkoutRequestId,
      );
    },
    /** Resolves once `count` callbacks have arrived in total; rejects after `timeoutMs`. */
    waitFor(count: number, timeoutMs = 5000): Promise<ReceivedCallback[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(received.slice(0, count));
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`expected ${count} callbacks within ${timeoutMs} ms, got ${received.length}`));
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port with nothing listening on it (reserved, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
