import type { IncomingHttpHeaders } from 'node:http';
import { errorBody } from '../wire/stk.js';
import { requestId } from './ids.js';

/**
 * @internal
 * A request as a route sees it: the body already read, and parsed when it is JSON.
 */
export interface RouteRequest {
  method: string;
  url: URL;
  /** Values of `:name` segments of the route's path. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The raw body text ('' when there is none). */
  text: string;
  /** True when the `Content-Type` is JSON (`application/json`, any parameters). */
  isJson: boolean;
  /** The parsed body: `undefined` when the body is empty, not JSON, or JSON that does not parse. */
  json: unknown;
}

/** @internal A route's answer: JSON (or an empty body) with a status and, rarely, a reason phrase. */
export interface RouteResponse {
  status: number;
  /** Serialised as JSON; `undefined` sends an empty body. */
  body?: unknown;
  /** A custom reason phrase, e.g. Daraja's "Bad Request: Invalid Credentials". */
  statusMessage?: string;
  /**
   * The operation for the request log, when the body tells it more precisely than the route (one B2B
   * path serves `b2b.payBill` and `b2b.buyGoods`).
   */
  operation?: string;
}

/**
 * @internal
 * One endpoint of the simulator. The server matches `method` and `path` (with `:name` segments) and
 * calls `handle`. Daraja endpoints set `operation` and are written to the request log; control
 * endpoints (the simulator's own test API) leave it out and are not logged.
 *
 * To add an API (C2B, B2C, …), write a function that returns its routes from the pieces it needs
 * (tokens, scheduler, callback sender, log), like `stkRoutes`, and add them to the table in
 * `simulator.ts`.
 */
export interface SimulatorRoute {
  method: 'GET' | 'POST';
  path: string;
  /** The operation name used in logs and the request log, e.g. `stk.push`. */
  operation?: string;
  handle(request: RouteRequest): RouteResponse | Promise<RouteResponse>;
}

/** @internal A POST endpoint of a Daraja API (every one but OAuth is a POST). */
export function post(path: string, operation: string, handle: SimulatorRoute['handle']): SimulatorRoute {
  return { method: 'POST', path, operation, handle };
}

/** @internal Daraja's error envelope `{ requestId, errorCode, errorMessage }` with the given status. */
export function errorEnvelope(
  status: number,
  errorCode: string,
  errorMessage: string,
  id: string = requestId(),
): RouteResponse {
  return { status, body: errorBody(id, errorCode, errorMessage) };
}

/** @internal `400.002.02 Bad Request - Invalid <Field>`, Daraja's answer to a bad field. */
export function invalidField(field: string): RouteResponse {
  return errorEnvelope(400, '400.002.02', `Bad Request - Invalid ${field}`);
}

/** @internal `400.002.05 Invalid Request Payload`: a JSON body that does not parse or is not an object. */
export function invalidPayload(): RouteResponse {
  return errorEnvelope(400, '400.002.05', 'Invalid Request Payload');
}

/** @internal A 200 JSON answer. */
export function ok(body: unknown): RouteResponse {
  return { status: 200, body };
}

/** @internal Compile a path with `:name` segments into a matcher returning the segment values. */
export function pathMatcher(path: string): (pathname: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  const pattern = new RegExp(`^${source}/?$`);
  return (pathname) => {
    const m = pattern.exec(pathname);
    if (!m) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(m[i + 1]!)]));
  };
}
