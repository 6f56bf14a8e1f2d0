// The merchant side of the operation examples: a small node:http server for the URLs Daraja calls
// (result URLs, C2B validation and confirmation, STK callbacks), and an inbox to wait for what arrives.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/** A route: gets the parsed JSON body, returns the JSON answer (sent with HTTP 200). */
export type Route = (body: unknown) => unknown | Promise<unknown>;

/** Serve POST routes on a free local port. Anything else is a 404. */
export async function listen(
  routes: Record<string, Route>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', async () => {
      const route = req.method === 'POST' ? routes[req.url ?? ''] : undefined;
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text; // the SDK's parsers accept text too, and report what is wrong with it
      }
      const answer = await route(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * What arrived, by id (an `OriginatorConversationID`, a receipt…): `next(id)` resolves with the first value
 * put under that id, whether it came before or after the call.
 */
export class Inbox<T> {
  readonly #arrived = new Map<string, T[]>();
  readonly #waiting = new Map<string, Array<(value: T) => void>>();

  put(id: string, value: T): void {
    const waiter = this.#waiting.get(id)?.shift();
    if (waiter) waiter(value);
    else this.#arrived.set(id, [...(this.#arrived.get(id) ?? []), value]);
  }

  next(id: string, timeoutMs = 15_000): Promise<T> {
    const ready = this.#arrived.get(id)?.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`nothing arrived for ${id} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const waiters = this.#waiting.get(id) ?? [];
      waiters.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
      this.#waiting.set(id, waiters);
    });
  }
}

/** True when this module is the script node (or tsx) was started with, rather than an import. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && moduleUrl === pathToFileURL(script).href;
}
