import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Log, redactSecrets } from './log.js';
import {
  errorEnvelope,
  pathMatcher,
  type RouteRequest,
  type RouteResponse,
  type SimulatorRoute,
} from './routes.js';

/** One request the simulator answered, as kept in {@link Simulator.requests}. */
export interface SimulatorRequest {
  /**
   * The Daraja operation, named as the SDK names it (`oauth`, `stk.push`, `stk.query`, `c2b.simulate`,
   * `b2c.pay`, `b2b.payBill`, `account.balance`, …), or `unknown` for a path it does not serve.
   */
  readonly operation: string;
  /** The HTTP method. */
  readonly method: string;
  /** The path and query string, e.g. `/oauth/v1/generate?grant_type=client_credentials`. */
  readonly path: string;
  /** When the request arrived. */
  readonly time: Date;
  /** The HTTP status of the answer. */
  readonly status: number;
  /** How long the simulator took to answer. */
  readonly durationMs: number;
  /**
   * The request body: parsed JSON with secret fields (`Password`, `SecurityCredential`, …) replaced by
   * `'[redacted]'`, the text (at most 2,000 characters) when it is not JSON, or `undefined` when empty.
   * Phone numbers are kept: they are your test data.
   */
  readonly body: unknown;
  /** The answer body, with `access_token` redacted; `undefined` when empty. */
  readonly response: unknown;
}

/** @internal Where and what the HTTP server serves. */
export interface ServerConfig {
  host: string;
  port: number;
  routes: readonly SimulatorRoute[];
  log: Log;
  /** Daraja requests are appended here. */
  requests: SimulatorRequest[];
  /**
   * Called once a Daraja request has been handled, before its answer is sent: a promise holds the
   * answer back until it settles (a slow or lost answer, {@link Simulator.delayResponses}).
   */
  holdAnswer?: (operation: string) => Promise<void> | undefined;
}

/** @internal A listening server. */
export interface RunningServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;
const MAX_LOGGED_TEXT = 2000;

/** A body for the request log: secrets redacted, whether it came as JSON, form fields or text. */
function loggedBody(text: string, json: unknown, contentType: string | undefined): unknown {
  const parsed = json ?? parseJson(text);
  if (parsed !== undefined) return redactSecrets(parsed);
  if (/^application\/x-www-form-urlencoded/i.test(contentType ?? '')) {
    return redactSecrets(Object.fromEntries(new URLSearchParams(text)));
  }
  return text.slice(0, MAX_LOGGED_TEXT);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, answer: RouteResponse): void {
  const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
  res.statusCode = answer.status;
  if (answer.statusMessage) res.statusMessage = answer.statusMessage;
  if (text !== '') res.setHeader('content-type', 'application/json;charset=UTF-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

type Table = ReadonlyArray<{
  route: SimulatorRoute;
  match: (pathname: string) => Record<string, string> | undefined;
}>;

/**
 * The route for the path and method, and its answer: Daraja's `404.002.01` for an unknown path,
 * `405.001` for a known path with the wrong method, 500 for a route that throws (logged). The
 * operation is `undefined` for the simulator's control API, `unknown` for a path it does not serve.
 */
async function dispatch(
  table: Table,
  request: Omit<RouteRequest, 'params'>,
  log: Log,
): Promise<{ operation: string | undefined; answer: RouteResponse }> {
  const candidates = table.flatMap(({ route, match }) => {
    const params = match(request.url.pathname);
    return params ? [{ route, params }] : [];
  });
  const found = candidates.find((c) => c.route.method === request.method);
  if (!found) {
    const answer =
      candidates.length > 0
        ? errorEnvelope(405, '405.001', 'Method Not Allowed')
        : errorEnvelope(404, '404.002.01', 'Resource not found');
    return { operation: 'unknown', answer };
  }
  const { operation } = found.route;
  try {
    return { operation, answer: await found.route.handle({ ...request, params: found.params }) };
  } catch (error) {
    log.error('sim: a route failed', { operation, path: request.url.pathname, error });
    return { operation, answer: errorEnvelope(500, '500.003.1001', 'Internal Server Error') };
  }
}

/**
 * @internal
 * A `node:http` server answering from a route table. Unknown paths get Daraja's `404.002.01`, a known
 * path with the wrong method `405.001`. A route that throws answers 500 and is logged; the server goes
 * on. Requests to Daraja routes (those with an `operation`) and to unknown paths go to the request log.
 */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const { log } = config;
  const table = config.routes.map((route) => ({ route, match: pathMatcher(route.path) }));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const time = new Date();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const text = await readBody(req);
    const isJson = /^application\/json\s*(?:;|$)/i.test(req.headers['content-type'] ?? '');
    const json = text && isJson ? parseJson(text) : undefined;
    const request = { method, url, headers: req.headers, text: text ?? '', isJson, json };
    let { operation, answer } =
      text === undefined
        ? { operation: 'unknown', answer: errorEnvelope(413, '400.002.05', 'Invalid Request Payload') }
        : await dispatch(table, request, log);
    if (operation !== undefined && answer.operation !== undefined) operation = answer.operation;
    const hold = operation === undefined ? undefined : config.holdAnswer?.(operation);
    if (hold) await hold;
    if (!res.destroyed) send(res, answer);
    if (operation === undefined) return; // the simulator's own control API is not Daraja traffic
    const durationMs = Math.round(performance.now() - started);
    const body = text ? loggedBody(text, json, req.headers['content-type']) : undefined;
    config.requests.push({
      operation,
      method,
      path: url.pathname + url.search,
      time,
      status: answer.status,
      durationMs,
      body,
      response: redactSecrets(answer.body),
    });
    const errorCode = (answer.body as { errorCode?: unknown } | undefined)?.errorCode;
    log.debug('sim: request', {
      operation,
      method,
      path: url.pathname,
      status: answer.status,
      ...(errorCode === undefined ? {} : { errorCode }),
      durationMs,
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error('sim: request failed', { error });
      if (!res.headersSent) send(res, errorEnvelope(500, '500.003.1001', 'Internal Server Error'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log.error('sim: server error', { error }));
  const { port } = server.address() as AddressInfo;
  const host = config.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
