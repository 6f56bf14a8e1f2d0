import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { CallbackResponse, PaymentFlow } from '../../src/index.js';
import { PostgresPaymentStore } from '../../src/postgres/index.js';
import { TcpProxy } from './tcp-proxy.js';

// Helpers of test/integration/store-outage.test.ts: a PostgreSQL store reached through a TCP proxy the
// test can cut or freeze, a real HTTP callback route in front of the flow, and the app's reconcile timer.

/**
 * The pool's timeouts: what an app should set so an outage is an error within seconds, never a hang. A
 * connection (a new one, or a wait for a free one) gives up after 2 s (a frozen server accepts TCP but
 * never answers the start-up; a SCRAM log-in takes ~50 ms of CPU, so a burst of them needs some room), a
 * query after 3 s on the client (`query_timeout`, what ends a query on a connection the server stopped
 * answering), and the server cancels a statement after 2 s (`statement_timeout`).
 */
export const POOL_TIMEOUTS = {
  connectionTimeoutMillis: 2_000,
  query_timeout: 3_000,
  statement_timeout: 2_000,
} as const;

/** A migrated PostgresPaymentStore in a fresh schema, whose pool connects through a TcpProxy. */
export interface ProxiedDatabase {
  proxy: TcpProxy;
  pool: pg.Pool;
  store: PostgresPaymentStore;
  schema: string;
  /** Errors the pool emitted for idle connections that died (the cut drops them). */
  poolErrors: Error[];
  /** A query straight to the server (not through the proxy), in this schema: the test's own view. */
  direct<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function proxiedDatabase(databaseUrl: string): Promise<ProxiedDatabase> {
  const schema = `outage_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`SET search_path TO ${schema}`);
  const proxy = await TcpProxy.forUrl(databaseUrl).start();
  const pool = new pg.Pool({
    connectionString: proxy.urlFor(databaseUrl),
    max: 10,
    idleTimeoutMillis: 30_000,
    options: `-c search_path=${schema}`,
    ...POOL_TIMEOUTS,
  });
  const poolErrors: Error[] = [];
  // A connection that dies while idle in the pool is an `error` event: without a listener, a crash.
  pool.on('error', (error) => poolErrors.push(error));
  const store = new PostgresPaymentStore(pool);
  await store.migrate();
  return {
    proxy,
    pool,
    store,
    schema,
    poolErrors,
    direct: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
      (await admin.query(text, params)).rows as T[],
    close: async () => {
      if (proxy.state !== 'closed') await proxy.restore();
      await pool.end();
      await proxy.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** One callback as Daraja saw it over HTTP, with what the flow did (from the route's side). */
export interface DeliveredCallback {
  /** HTTP status Daraja got. */
  status: number;
  /** The JSON body Daraja got. */
  body: unknown;
  /** From sending the request to reading the whole answer, in ms (what Daraja waits). */
  ms: number;
  /** What handleCallback returned. */
  response: CallbackResponse;
}

/**
 * The merchant's callback route over real HTTP: a `node:http` server that parses the JSON body, calls
 * `flow.handleCallback` with the URL and socket address, and answers with its status and body.
 */
export async function startCallbackRoute(flow: PaymentFlow) {
  const responses = new Map<string, CallbackResponse>();
  const afterAcks: Promise<void>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // handed over as text: the flow records it as invalid
      }
      const response = await flow.handleCallback({
        body,
        url: req.url ?? '/',
        remoteAddress: req.socket.remoteAddress,
        headers: req.headers,
      });
      responses.set(String(req.headers['x-test-delivery']), response);
      afterAcks.push(response.afterAck);
      res.writeHead(response.status, response.headers);
      res.end(JSON.stringify(response.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let sequence = 0;
  return {
    origin,
    /** POST a callback body to `pathAndQuery`, as Daraja does, and time the answer. */
    async deliver(pathAndQuery: string, body: unknown): Promise<DeliveredCallback> {
      const delivery = String(++sequence);
      const started = performance.now();
      const answer = await fetch(`${origin}${pathAndQuery}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-delivery': delivery },
        body: JSON.stringify(body),
      });
      const text = await answer.text();
      const ms = performance.now() - started;
      const response = responses.get(delivery);
      if (!response) throw new Error(`no handleCallback result for delivery ${delivery}`);
      return { status: answer.status, body: JSON.parse(text), ms, response };
    },
    /** Wait for the work every handled callback left for after its answer. */
    settled: () => Promise.all(afterAcks).then(() => undefined),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What an app runs on its own: `flow.reconcile()` on a timer (a run at a time, `everyMs` apart), its
 * failures caught and counted as the app's logger would.
 */
export function reconcileEvery(flow: PaymentFlow, everyMs: number) {
  const state = { runs: 0, failures: 0, replayed: 0, longestRunMs: 0, stopped: false };
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!state.stopped) {
      const started = performance.now();
      try {
        state.replayed += (await flow.reconcile()).replayed;
        state.runs += 1;
      } catch {
        state.failures += 1; // the store is down: the next run tries again
      }
      state.longestRunMs = Math.max(state.longestRunMs, performance.now() - started);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, everyMs);
      });
    }
  })();
  return {
    state,
    /** Stop the timer and wait for a run in progress to end. */
    stop: async () => {
      state.stopped = true;
      wake?.();
      await loop;
    },
  };
}

/** Poll `check` every 50 ms until it is true; fails after `timeoutMs`. Resolves to the time it took. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Max and median of a list of durations, rounded to 0.1 ms. */
export function latencySummary(ms: readonly number[]): { max: number; p50: number; n: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    max: round(sorted.at(-1) ?? 0),
    p50: round(sorted[Math.floor((sorted.length - 1) / 2)] ?? 0),
    n: ms.length,
  };
}
