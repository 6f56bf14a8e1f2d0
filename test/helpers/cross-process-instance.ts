/**
 * One app instance of test/integration/cross-process.test.ts, in a Node process of its own (started with
 * `node --import tsx`, so SIGKILL hits this very process, not a wrapper): a payment flow on the shared
 * PostgreSQL schema, a `FileCallbackJournal` in its own folder, and an HTTP server with the routes an app
 * would have:
 *
 * - `POST <callback path>` → `flow.handleCallback` (answers `ack.status` / `ack.body`; the outcome goes in
 *   the `x-callback-outcome` header for the test's tallies);
 * - `POST /initiate` → `flow.initiate`;
 * - `GET /check?paymentId=…&ownerId=…` → `flow.checkStatus`;
 * - `POST /reconcile` → `flow.reconcile` (`{ olderThanMs, limit }`);
 * - `GET /clock` → this process's `Date.now()` (to show a skewed clock is in effect);
 * - `GET /stats` → the longest event-loop delay and database query this process saw.
 *
 * Its fulfilment (`onCompleted`) first performs the side effect, an insert into `cp_side_effects` (no
 * unique constraint: duplicates stay visible), then takes its time (`metadata.slowMs`, e.g. three
 * leases) and stamps the row's `done_at`. The store is wrapped so each `completeFulfilment` leaves a row
 * in `cp_completions` (recorded, or refused as stale).
 *
 * Prints `READY <port> <pid>` once it listens; warnings and errors the SDK logs go to stdout as
 * `LOG <json>` lines (the test feeds them to its capturing logger, so the leak scan reads them). Exits
 * when its stdin closes, so it never outlives the test process.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { inspect } from 'node:util';
import pg from 'pg';
import { createPaymentFlow, Daraja, type DarajaLogger } from '../../src/index.js';
import { FileCallbackJournal } from '../../src/journal/index.js';
import { PostgresPaymentStore } from '../../src/postgres/index.js';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`cross-process instance: ${name} is not set`);
  return value;
}

const instance = env('CP_INSTANCE');
const callbackUrl = env('CP_CALLBACK_URL');
const callbackPath = new URL(callbackUrl).pathname;

const pool = new pg.Pool({
  connectionString: env('CP_DATABASE_URL'),
  max: 8,
  options: `-c search_path=${env('CP_SCHEMA')}`,
});
pool.on('error', () => undefined); // an idle connection dropped: the next query reconnects

// How slow the database gets for this process (a loaded machine can stall queries for seconds): the
// test prints it, to tell a lease lost to a stalled database from one lost to a bug.
const queryLatency = { maxMs: 0, overOneSecond: 0 };
const rawQuery = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
(pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args) => {
  const started = Date.now();
  try {
    return await rawQuery(...args);
  } finally {
    const ms = Date.now() - started;
    queryLatency.maxMs = Math.max(queryLatency.maxMs, ms);
    if (ms > 1_000) queryLatency.overOneSecond += 1;
  }
};

/** Errors as plain fields (name, message, code), the way a log sink would keep them. */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      v instanceof Error
        ? { name: v.name, message: v.message, code: (v as { code?: unknown }).code }
        : typeof v === 'bigint'
          ? String(v)
          : v,
    ) ?? 'null',
  );
}

const forward =
  (level: 'warn' | 'error') =>
  (fields: Record<string, unknown>, message: string): void => {
    let line: string;
    try {
      line = JSON.stringify({ level, message, fields: plain(fields) });
    } catch {
      line = JSON.stringify({ level, message, fields: inspect(fields, { depth: 4 }) });
    }
    process.stdout.write(`LOG ${line}\n`);
  };

const logger: DarajaLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: forward('warn'),
  error: forward('error'),
};

/** The store, with a row in `cp_completions` for every `completeFulfilment` (recorded or refused). */
class RecordingStore extends PostgresPaymentStore {
  override async completeFulfilment(id: string, token: string): Promise<boolean> {
    const recorded = await super.completeFulfilment(id, token);
    await pool
      .query('INSERT INTO cp_completions (payment_id, instance, pid, recorded) VALUES ($1, $2, $3, $4)', [
        id,
        instance,
        process.pid,
        recorded,
      ])
      .catch((error: unknown) => logger.error?.({ error, paymentId: id }, 'cp_completions insert failed'));
    return recorded;
  }
}

const store = new RecordingStore(pool);
await store.migrate();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const flow = createPaymentFlow({
  daraja: new Daraja({
    baseUrl: env('CP_SIM_URL'),
    consumerKey: env('CP_CONSUMER_KEY'),
    consumerSecret: env('CP_CONSUMER_SECRET'),
    shortcode: env('CP_SHORTCODE'),
    passkey: env('CP_PASSKEY'),
    maxRetries: 0,
    timeoutMs: 10_000,
    logger,
  }),
  store,
  callbackUrl,
  callbackSecret: env('CP_CALLBACK_SECRET'),
  // The test plays the load balancer in front of the instances: connections come from 127.0.0.1, and it
  // tells the client's address (one per delivery, in 198.18.0.0/15) in X-Forwarded-For.
  allowedIps: ['127.0.0.1', '198.18.0.0/15'],
  trustedProxies: ['127.0.0.1'],
  journal: new FileCallbackJournal(env('CP_JOURNAL_DIR')),
  fulfilmentLeaseMs: Number(env('CP_LEASE_MS')),
  queryBudget: false,
  statusQueryIntervalMs: 200,
  recheckIntervalMs: 300,
  maxRecheckIntervalMs: 2_000,
  // The process's own clock: skewed in the instance started with the clock preload.
  now: () => new Date(),
  logger,
  onCompleted: async (payment) => {
    // The side effect first, then the rest of the work: a crash in between leaves the side effect done
    // and unrecorded, the case the flow's docs ask onCompleted to be idempotent for.
    const { rows } = await pool.query<{ seq: string }>(
      'INSERT INTO cp_side_effects (payment_id, instance, pid, attempt) VALUES ($1, $2, $3, $4) RETURNING seq',
      [payment.id, instance, process.pid, payment.fulfilmentAttempts],
    );
    const slowMs = payment.metadata['slowMs'];
    await sleep(typeof slowMs === 'number' && slowMs > 0 ? slowMs : 10 + Math.floor(Math.random() * 40));
    await pool.query('UPDATE cp_side_effects SET done_at = clock_timestamp() WHERE seq = $1', [rows[0]!.seq]);
  },
});

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://instance.invalid');
  if (req.method === 'POST' && url.pathname === callbackPath) {
    const body = parse(await readBody(req));
    const ack = await flow.handleCallback({
      body,
      url: req.url ?? '',
      remoteAddress: req.socket.remoteAddress,
      headers: req.headers,
    });
    // Fulfilment goes on in ack.afterAck (it never rejects); the answer does not wait for it.
    send(res, ack.status, ack.body, { 'x-callback-outcome': ack.outcome });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/initiate') {
    const params = parse(await readBody(req)) as Parameters<typeof flow.initiate>[0];
    try {
      const result = await flow.initiate(params);
      send(res, 200, {
        outcome: result.outcome,
        paymentId: result.payment.id,
        checkoutRequestId: result.payment.checkoutRequestId,
        status: result.payment.status,
        error: result.error?.name ?? null,
      });
    } catch (error) {
      send(res, 500, { error: (error as Error).name ?? 'Error' });
    }
    return;
  }
  if (req.method === 'GET' && url.pathname === '/check') {
    const payment = await flow.checkStatus(url.searchParams.get('paymentId') ?? '', {
      ownerId: url.searchParams.get('ownerId') ?? '',
    });
    if (!payment) return send(res, 404, { error: 'not found' });
    send(res, 200, {
      status: payment.status,
      settledBy: payment.settledBy,
      hasReceipt: payment.mpesaReceiptNumber !== null,
      fulfilled: payment.fulfilledAt !== null,
    });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/reconcile') {
    const options = parse(await readBody(req)) as { olderThanMs?: number; limit?: number };
    send(
      res,
      200,
      await flow.reconcile({
        olderThanMs: options?.olderThanMs ?? 0,
        maxWaitMs: 0,
        ...(typeof options?.limit === 'number' ? { limit: options.limit } : {}),
      }),
    );
    return;
  }
  if (req.method === 'GET' && url.pathname === '/clock') {
    send(res, 200, { now: Date.now(), pid: process.pid });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/stats') {
    send(res, 200, {
      pid: process.pid,
      maxEventLoopDelayMs: Math.round(loopDelay.max / 1e6),
      maxQueryMs: queryLatency.maxMs,
      queriesOverOneSecond: queryLatency.overOneSecond,
    });
    return;
  }
  send(res, 404, { error: 'no such route' });
}

const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    logger.error?.({ error, path: new URL(req.url ?? '/', 'http://x').pathname }, 'request failed');
    if (!res.headersSent) send(res, 500, { error: 'internal' });
    else res.destroy();
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env['CP_PORT'] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`READY ${port} ${process.pid}\n`);
});
server.on('error', (error) => {
  process.stdout.write(`FAILED ${(error as { code?: string }).code ?? error.name}\n`);
  process.exit(1);
});

// Never outlive the test: it holds our stdin open.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
