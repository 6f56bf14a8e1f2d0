import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type C2bPayload,
  c2bAccept,
  c2bConfirmationAck,
  createResultHandler,
  parseC2bPayload,
  type ResultKind,
  type ResultKinds,
} from '../../src/inbound/index.js';

/** One POST as the receiver got it. */
export interface ReceivedPost {
  path: string;
  body: unknown;
  time: number;
}

/** An answer to a POST: JSON with a status (200 by default). */
export interface ReceiverAnswer {
  status?: number;
  body: unknown;
}

type PostHandler = (body: unknown) => ReceiverAnswer | Promise<ReceiverAnswer>;

/** The receiver's request listener: record each POST, then answer it with its path's handler. */
function recordAndAnswer(
  received: ReceivedPost[],
  handlers: Map<string, PostHandler>,
  handlerErrors: unknown[],
) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', async () => {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      const path = req.url ?? '/';
      received.push({ path, body, time: Date.now() });
      const handler = handlers.get(path);
      let answer: ReceiverAnswer = { body: { ResultCode: 0, ResultDesc: 'Accepted' } };
      try {
        if (handler) answer = await handler(body);
      } catch (error) {
        handlerErrors.push(error);
        answer = { status: 500, body: { error: String(error) } };
      }
      if (answer.status === 0) return res.destroy(); // no answer at all
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  };
}

/**
 * A merchant's server standing in for the URLs Daraja calls: every POST is recorded, then answered by the
 * route's handler. `results(kind)` mounts the SDK's `createResultHandler` on `/<kind>/result`, and `c2b()`
 * mounts C2B validation and confirmation routes built on `parseC2bPayload`, as an app would.
 */
export async function startResultReceiver() {
  const received: ReceivedPost[] = [];
  const handlers = new Map<string, PostHandler>();
  const handlerErrors: unknown[] = [];
  const server = createServer(recordAndAnswer(received, handlers, handlerErrors));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    received,
    /** Errors thrown by handlers and every `onError` of the result handlers: a test expects none. */
    handlerErrors,
    url: (path: string) => `${origin}${path}`,
    /** Answer POSTs to `path` with `handler`. */
    on(path: string, handler: PostHandler) {
      handlers.set(path, handler);
    },
    /**
     * Mount `createResultHandler({ kind })` on `/<kind>/result` (and `/<kind>/timeout` for queue
     * timeouts) and collect what it parses.
     */
    results<K extends ResultKind>(kind: K, path = `/${kind}/result`): ResultKinds[K][] {
      const parsed: ResultKinds[K][] = [];
      const handler = createResultHandler({
        kind,
        onResult: (result) => {
          parsed.push(result);
        },
        onError: (error) => {
          handlerErrors.push(error);
        },
      });
      handlers.set(path, (body) => handler.handle({ body }));
      return parsed;
    },
    /**
     * Mount C2B routes on `/c2b/validation` and `/c2b/confirmation`: validation answers `decide(payload)`
     * (accept by default), confirmation stores the payload and acknowledges.
     */
    c2b(decide: (payment: C2bPayload) => ReceiverAnswer['body'] = () => c2bAccept()) {
      const validations: C2bPayload[] = [];
      const confirmations: C2bPayload[] = [];
      handlers.set('/c2b/validation', (body) => {
        const payment = parseC2bPayload(body);
        validations.push(payment);
        return { body: decide(payment) };
      });
      handlers.set('/c2b/confirmation', (body) => {
        confirmations.push(parseC2bPayload(body));
        return { body: c2bConfirmationAck() };
      });
      return { validations, confirmations };
    },
    reset() {
      received.length = 0;
      handlers.clear();
      handlerErrors.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type ResultReceiver = Awaited<ReturnType<typeof startResultReceiver>>;
