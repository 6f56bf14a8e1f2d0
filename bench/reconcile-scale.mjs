// `npm run build && node bench/reconcile-scale.mjs` (add `--expose-gc` for a settled RSS baseline):
// reconcile at scale on the PostgreSQL server (issue 13, must-hold 5). Runs against the built package
// (dist/), as bench/run.mjs does, in a schema of its own that it drops at the end.
//
//  a. 1,000,000 payments (100,000 stale pending with CheckoutRequestIDs, 1,000 completed and not yet
//     fulfilled, 500 fresh pending, the rest completed and fulfilled or failed/cancelled over six months):
//     the two claim statements, exactly as PostgresPaymentStore sends them, under EXPLAIN (ANALYZE,
//     BUFFERS) in a transaction rolled back, against a primary-key lookup in the same run.
//  b0. The baseline of b's memory: a minimal hand-written reconciler (claim 100 by SQL, `fetch` each STK
//     query, 4 in flight) over the same 100,000 payments, in a fresh process of its own.
//  b. flow.reconcile over the 100,000 stale pending payments with a real flow, store (pg.Pool) and client,
//     in a fresh process of its own (RSS is per process),
//     against a local Daraja in a child process that answers every STK query as Daraja does while the
//     customer has not answered yet (HTTP 500, 500.001.1001 "The transaction is being processed"): peak
//     RSS growth, queries, statements, time. The stale payments are 2 minutes to 22 hours old, inside the
//     default 24-hour give-up horizon, so a still-processing answer leaves each one pending (never
//     failed): the run changes nothing but each payment's next check. Then a short run with the default
//     query budget: queries sent against what the budget allows in that window.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import pg from 'pg';

const STALE = 100_000;
const TOTAL = 1_000_000;
const UNFULFILLED = 1_000;
const FRESH = 500;
const SHORTCODE = '174379';
const PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';

if (process.argv[2] === '--daraja') runDaraja();
else if (process.argv[2] === '--measure') await measureRun(process.argv[3], process.argv[4], process.argv[5]);
else await main();

/** The child: OAuth and the STK query, answering "being processed"; counts the queries. */
function runDaraja() {
  let queries = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url.startsWith('/oauth/v1/generate')) {
        const text = '{"access_token":"bench-token-0000000000","expires_in":"3599"}';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
        return res.end(text);
      }
      if (req.url === '/mpesa/stkpushquery/v1/query') {
        queries += 1;
        const text = JSON.stringify({
          requestId: `bench-${queries}`,
          errorCode: '500.001.1001',
          errorMessage: 'The transaction is being processed',
        });
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        return res.end(text);
      }
      res.writeHead(404).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => {
    if (m === 'count') process.send({ queries });
    if (m === 'close') server.close(() => process.exit(0));
  });
}

async function main() {
  const url = process.env.DATABASE_URL;
  console.log('Reconcile at scale on the PostgreSQL server (issue 13, must-hold 5)');
  if (!url) {
    console.log('  SKIPPED: DATABASE_URL is not set (e.g. postgres://user:password@127.0.0.1:5432/db)');
    return;
  }
  const { PostgresPaymentStore } = await import('../dist/postgres.js');
  const schema = `scale_${process.pid}_${Date.now()}`;
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 8, options: `-c search_path=${schema}` });
  const started = performance.now();
  try {
    const version = (await pool.query('SHOW server_version')).rows[0].server_version;
    console.log(`  PostgreSQL ${version}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
    await new PostgresPaymentStore(pool).migrate();
    await fill(pool);
    await claimPlans(pool, PostgresPaymentStore);
    await reconcileRuns(pool, PostgresPaymentStore, schema);
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
  console.log(`\n  whole bench: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** 1,000,000 payments by SQL, then VACUUM ANALYZE (as autovacuum leaves a long-lived table). */
async function fill(pool) {
  const t = performance.now();
  const common = `'u' || (i % 5000), 100 + i % 900, '2547' || lpad((i % 100000000)::text, 8, '0'), 'INV' || i, 'Payment'`;
  // Stale pending: created 2 minutes to about 22 hours ago, each with its CheckoutRequestID.
  await pool.query(`INSERT INTO daraja_payments (id, owner_id, amount, phone_number, account_reference,
        transaction_desc, status, merchant_request_id, checkout_request_id, created_at, updated_at)
      SELECT 'pay_s' || i, ${common}, 'pending', 'm' || i, 'ws_CO_s' || i,
             now() - interval '2 minutes' - i * interval '800 milliseconds',
             now() - interval '2 minutes' - i * interval '800 milliseconds'
        FROM generate_series(1, ${STALE}) AS i`);
  // Fresh pending (under a minute old: not yet due) and completed, not yet fulfilled (due fulfilments).
  await pool.query(`INSERT INTO daraja_payments (id, owner_id, amount, phone_number, account_reference,
        transaction_desc, status, merchant_request_id, checkout_request_id, created_at, updated_at)
      SELECT 'pay_f' || i, ${common}, 'pending', 'm' || i, 'ws_CO_f' || i,
             now() - i * interval '50 milliseconds', now() - i * interval '50 milliseconds'
        FROM generate_series(1, ${FRESH}) AS i`);
  await pool.query(`INSERT INTO daraja_payments (id, owner_id, amount, phone_number, account_reference,
        transaction_desc, status, merchant_request_id, checkout_request_id, mpesa_receipt_number, result_code,
        result_desc, settled_by, final, created_at, updated_at, completed_at)
      SELECT 'pay_u' || i, ${common}, 'completed', 'm' || i, 'ws_CO_u' || i, 'U' || lpad(i::text, 9, '0'),
             '0', 'The service request is processed successfully.', 'callback', true,
             now() - i * interval '3 seconds', now() - i * interval '3 seconds', now() - i * interval '3 seconds'
        FROM generate_series(1, ${UNFULFILLED}) AS i`);
  // The rest, over six months: 85% completed and fulfilled, the others failed or cancelled.
  const rest = TOTAL - STALE - FRESH - UNFULFILLED;
  for (let from = 1; from <= rest; from += 200_000) {
    const to = Math.min(rest, from + 199_999);
    await pool.query(`INSERT INTO daraja_payments (id, owner_id, amount, phone_number, account_reference,
        transaction_desc, status, merchant_request_id, checkout_request_id, mpesa_receipt_number, result_code,
        result_desc, settled_by, final, created_at, updated_at, completed_at, fulfilled_at, fulfilment_attempts,
        fulfilment_claim)
      SELECT 'pay_h' || i, ${common}, s.status, 'm' || i, 'ws_CO_h' || i,
             CASE WHEN s.status = 'completed' THEN 'H' || lpad(i::text, 9, '0') END,
             CASE s.status WHEN 'completed' THEN '0' WHEN 'cancelled' THEN '1032' ELSE '1' END, 'desc',
             'callback', true, c.at, c.at + interval '40 seconds', c.at + interval '40 seconds',
             CASE WHEN s.status = 'completed' THEN c.at + interval '41 seconds' END,
             CASE WHEN s.status = 'completed' THEN 1 ELSE 0 END, CASE WHEN s.status = 'completed' THEN 1 ELSE 0 END
        FROM generate_series(${from}, ${to}) AS i,
             LATERAL (SELECT CASE WHEN i % 20 < 17 THEN 'completed' WHEN i % 20 < 19 THEN 'cancelled'
                                  ELSE 'failed' END AS status) s,
             LATERAL (SELECT now() - interval '1 day' - (i::bigint * 7919 % 15552000) * interval '1 second' AS at) c`);
  }
  await pool.query('VACUUM ANALYZE daraja_payments');
  const { rows } = await pool.query(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'pending')::int AS pending,
            pg_size_pretty(pg_total_relation_size('daraja_payments')) AS size FROM daraja_payments`,
  );
  console.log(
    `\n  filled: ${fmt(rows[0].total)} payments (${fmt(rows[0].pending)} pending, ${fmt(STALE)} of them stale), ${rows[0].size} with indexes, in ${((performance.now() - t) / 1000).toFixed(0)} s; VACUUM ANALYZE done`,
  );
}

/** The statement and parameters a store method sends, captured without running it. */
async function captureStatement(PostgresPaymentStore, call) {
  let captured;
  const stop = new Error('captured');
  const client = {
    query: async (text, params) => {
      captured ??= { text, params };
      throw stop;
    },
  };
  await call(new PostgresPaymentStore(client)).catch((e) => {
    if (e !== stop && captured === undefined) throw e;
  });
  return captured;
}

/** EXPLAIN (ANALYZE, BUFFERS) in a transaction rolled back: the plan's text and its times. */
async function explain(pool, { text, params }) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params);
    const lines = rows.map((r) => r['QUERY PLAN']);
    const time = (label) => Number(lines.find((l) => l.startsWith(label))?.match(/([\d.]+) ms/)?.[1]);
    return { lines, execution: time('Execution Time'), planning: time('Planning Time') };
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

async function claimPlans(pool, PostgresPaymentStore) {
  const pending = await captureStatement(PostgresPaymentStore, (s) =>
    s.claimDuePending({ olderThanMs: 60_000, limit: 100, recheckMs: 30_000, maxRecheckMs: 3_600_000 }),
  );
  const fulfilments = await captureStatement(PostgresPaymentStore, (s) =>
    s.claimDueFulfilments({ leaseMs: 300_000, limit: 100, maxAttempts: 10 }),
  );
  const byId = await captureStatement(PostgresPaymentStore, (s) => s.get('pay_h123457'));
  const runs = 7;
  const contenders = { byId, pending, fulfilments };
  const samples = { byId: [], pending: [], fulfilments: [] };
  const plans = {};
  for (let r = 0; r < runs; r++) {
    for (const [name, statement] of Object.entries(contenders)) {
      const result = await explain(pool, statement);
      samples[name].push(result);
      plans[name] = result.lines;
    }
  }
  const median = (xs, key) => [...xs.map((x) => x[key])].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(samples.byId, 'execution');
  console.log(
    `\n  a. claim statements at ${fmt(TOTAL)} rows, limit 100, EXPLAIN (ANALYZE, BUFFERS) rolled back; median of ${runs}`,
  );
  console.log(
    `     primary-key lookup (SELECT … WHERE id = $1)  execution ${base.toFixed(3)} ms (baseline)   planning ${median(samples.byId, 'planning').toFixed(3)} ms`,
  );
  for (const name of ['pending', 'fulfilments']) {
    const ms = median(samples[name], 'execution');
    const label = name === 'pending' ? 'CLAIM_DUE_PENDING     ' : 'CLAIM_DUE_FULFILMENTS ';
    console.log(
      `     ${label}                        execution ${ms.toFixed(3)} ms  ${(ms / base).toFixed(1)}x baseline   planning ${median(samples[name], 'planning').toFixed(3)} ms   target < 50 ms: ${ms < 50 ? 'met' : 'NOT met'}`,
    );
  }
  for (const name of ['pending', 'fulfilments']) {
    console.log(
      `\n     plan of ${name === 'pending' ? 'CLAIM_DUE_PENDING' : 'CLAIM_DUE_FULFILMENTS'} (top lines):`,
    );
    for (const line of plans[name].filter((l) => !/^\s*(Buffers|Planning|I\/O)/.test(l.trim())).slice(0, 14))
      console.log(`       ${line}`);
  }
}

/** Start the local Daraja in a child process (its memory is not this process's). */
async function startDaraja() {
  const child = fork(new URL(import.meta.url).pathname, ['--daraja'], { stdio: 'inherit' });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    queries: async () => {
      child.send('count');
      return (await new Promise((resolve) => child.once('message', resolve))).queries;
    },
    close: () => new Promise((resolve) => child.once('exit', resolve).send('close')),
  };
}

/** A client for the store that counts statements (claims apart). */
function counting(pool, claimText) {
  const counts = { statements: 0, claims: 0 };
  return {
    counts,
    client: {
      query: (text, params) => {
        counts.statements += 1;
        if (text === claimText) counts.claims += 1;
        return pool.query(text, params);
      },
    },
  };
}

/** A real flow on `store` against the local Daraja at `darajaUrl`, logging nothing. */
async function makeFlow(store, darajaUrl, queryBudget) {
  const { createPaymentFlow, Daraja } = await import('../dist/index.js');
  return createPaymentFlow({
    daraja: new Daraja({
      consumerKey: 'bench-key',
      consumerSecret: 'bench-secret',
      shortcode: SHORTCODE,
      passkey: PASSKEY,
      baseUrl: darajaUrl,
    }),
    store,
    callbackUrl: 'https://merchant.example.com/mpesa/callback',
    callbackSecret: 'bench-callback-secret-0123456789abcdef',
    onCompleted: () => {},
    logger: null,
    ...(queryBudget === undefined ? {} : { queryBudget }),
  });
}

async function reconcileRuns(pool, PostgresPaymentStore, schema) {
  const daraja = await startDaraja();
  const claimText = (
    await captureStatement(PostgresPaymentStore, (s) =>
      s.claimDuePending({ olderThanMs: 0, limit: 1, recheckMs: 1, maxRecheckMs: 1 }),
    )
  ).text;
  try {
    // Run 0, the baseline: the same 100,000 queries by a minimal hand-written reconciler; run 1 the flow's
    // reconcile. Each in a fresh process of its own (RSS is per process), every stale payment due again
    // before each.
    const growth = {};
    for (const kind of ['baseline', 'flow']) {
      await pool.query(
        `UPDATE daraja_payments SET next_check_at = NULL, status_checks = 0 WHERE status = 'pending'`,
      );
      const from = await daraja.queries();
      const child = fork(new URL(import.meta.url).pathname, ['--measure', kind, schema, daraja.url], {
        execArgv: ['--expose-gc'],
        stdio: 'inherit',
      });
      const result = await new Promise((resolve) => child.once('message', resolve));
      await new Promise((resolve) => child.once('exit', resolve));
      growth[kind] = result.growth;
      const queries = (await daraja.queries()) - from;
      console.log(
        `     STK queries received ${fmt(queries)} in ${result.seconds.toFixed(1)} s (${fmt(queries / result.seconds)} a second)${kind === 'flow' ? `; RSS growth ${(growth.flow / growth.baseline).toFixed(2)}x the baseline's` : ''}`,
      );
    }

    // Right after: 100,000 claimed rows left dead versions in the due index, before autovacuum has run.
    const claim = await captureStatement(PostgresPaymentStore, (s) =>
      s.claimDuePending({ olderThanMs: 60_000, limit: 100, recheckMs: 30_000, maxRecheckMs: 3_600_000 }),
    );
    const after = [];
    for (let r = 0; r < 7; r++) after.push((await explain(pool, claim)).execution);
    console.log(
      `     CLAIM_DUE_PENDING right after the run (nothing due, dead versions not yet vacuumed): ${after.sort((a, b) => a - b)[3].toFixed(3)} ms (median of 7)`,
    );

    // Run 2: the default budget, up to 20 s. Every stale payment due again first.
    await pool.query(
      `UPDATE daraja_payments SET next_check_at = NULL, status_checks = 0 WHERE status = 'pending'`,
    );
    const two = counting(pool, claimText);
    const budgeted = await makeFlow(new PostgresPaymentStore(two.client), daraja.url, undefined);
    const from = await daraja.queries();
    const run2 = await measured(() =>
      budgeted.reconcile({ limit: STALE, olderThanMs: 60_000, maxWaitMs: 20_000 }),
    );
    const s2 = run2.result;
    const elapsed = run2.seconds;
    const sent = (await daraja.queries()) - from;
    const allowed = Math.floor(10 + 5 * elapsed);
    console.log(
      `\n     default budget (5 per second, burst 10), maxWaitMs 20_000: ${fmt(sent)} queries in ${elapsed.toFixed(1)} s; the budget allows ${allowed} (10 + 5/s x ${elapsed.toFixed(1)} s): ${sent <= allowed ? 'within it' : 'OVER IT'}; deferred by budget ${fmt(s2.deferredByBudget)}, statements ${fmt(two.counts.statements)} (${two.counts.claims} claims)`,
    );
  } finally {
    await daraja.close();
  }
}

/**
 * In a fresh process (`--measure <kind> <schema> <daraja url>`, run with `--expose-gc`): one measured run,
 * its lines printed, `{ growth, seconds }` sent to the parent.
 *
 * - `baseline`: what a minimal reconciler does for the same payments, with nothing the flow adds. It
 *   claims 100 due pending payments by SQL (pushing back each one's next check in the same statement),
 *   sends each its STK query with `fetch` (4 in flight, one token fetched first) and reads the answer's
 *   JSON; no validation, no budget, no audit, no client library.
 * - `flow`: `flow.reconcile({ limit: 100_000, olderThanMs: 60_000 })` with `queryBudget: false`, on a
 *   `PostgresPaymentStore` over a `pg.Pool`, counting its statements.
 */
async function measureRun(kind, schema, darajaUrl) {
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: 8,
    options: `-c search_path=${schema}`,
  });
  try {
    const { memory, seconds, lines } =
      kind === 'baseline' ? await baselineRun(pool, darajaUrl) : await flowRun(pool, darajaUrl);
    const growth = memory.peak - memory.before;
    console.log(
      kind === 'baseline'
        ? '\n  b0. baseline: a minimal reconciler (claim 100 by SQL, fetch each STK query, 4 in flight, read the JSON)'
        : '\n  b. flow.reconcile({ limit: 100_000, olderThanMs: 60_000 }), queryBudget: false; every query answered "being processed"',
    );
    console.log(
      `     RSS before ${mb(memory.before)}, peak ${mb(memory.peak)}: growth ${mb(growth)}${kind === 'flow' ? `   target < 50 MB: ${growth < 50 * 1024 * 1024 ? 'met' : 'NOT met'}` : ''}`,
    );
    console.log(
      `     heap used before ${mb(memory.heapBefore)}, after the run and a full GC ${mb(memory.heapAfter)} (what the run keeps)`,
    );
    for (const line of lines) console.log(`     ${line}`);
    process.send({ growth, seconds });
  } finally {
    await pool.end();
  }
}

async function flowRun(pool, darajaUrl) {
  const { PostgresPaymentStore } = await import('../dist/postgres.js');
  const claimText = (
    await captureStatement(PostgresPaymentStore, (s) =>
      s.claimDuePending({ olderThanMs: 0, limit: 1, recheckMs: 1, maxRecheckMs: 1 }),
    )
  ).text;
  const one = counting(pool, claimText);
  const flow = await makeFlow(new PostgresPaymentStore(one.client), darajaUrl, false);
  const {
    result: summary,
    seconds,
    memory,
  } = await measured(() => flow.reconcile({ limit: STALE, olderThanMs: 60_000 }));
  return {
    memory,
    seconds,
    lines: [
      `checked ${fmt(summary.checked)}, still pending ${fmt(summary.stillPending)}, settled ${JSON.stringify(summary.settled)}, gave up ${summary.gaveUp}, query errors ${summary.queryErrors}; fulfilled ${fmt(summary.fulfilled)}`,
      `statements ${fmt(one.counts.statements)} (${fmt(one.counts.claims)} pending claims)`,
    ],
  };
}

async function baselineRun(pool, darajaUrl) {
  const tokenAnswer = await fetch(`${darajaUrl}/oauth/v1/generate?grant_type=client_credentials`, {
    headers: { authorization: `Basic ${Buffer.from('bench-key:bench-secret').toString('base64')}` },
  });
  const { access_token: token } = await tokenAnswer.json();
  const query = async (checkoutRequestId) => {
    const timestamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const res = await fetch(`${darajaUrl}/mpesa/stkpushquery/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        BusinessShortCode: SHORTCODE,
        Password: Buffer.from(`${SHORTCODE}${PASSKEY}${timestamp}`).toString('base64'),
        Timestamp: timestamp,
        CheckoutRequestID: checkoutRequestId,
      }),
    });
    return res.json();
  };
  const { seconds, memory } = await measured(async () => {
    for (let claimed = 0; claimed < STALE; ) {
      const { rows } = await pool.query(
        `UPDATE daraja_payments SET next_check_at = now() + interval '1 hour', status_checks = status_checks + 1
          WHERE id IN (SELECT id FROM daraja_payments
                        WHERE status = 'pending' AND created_at <= now() - interval '60 seconds'
                          AND COALESCE(next_check_at, created_at) <= now()
                        ORDER BY COALESCE(next_check_at, created_at) LIMIT 100 FOR UPDATE SKIP LOCKED)
          RETURNING checkout_request_id`,
      );
      if (rows.length === 0) return;
      claimed += rows.length;
      let next = 0;
      const worker = async () => {
        while (next < rows.length) await query(rows[next++].checkout_request_id);
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    }
  });
  return { memory, seconds, lines: [] };
}

/** Run `fn`, sampling this process's RSS every 100 ms: its result, seconds, RSS before and peak, heap. */
async function measured(fn) {
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 200));
  const before = process.memoryUsage();
  let peak = before.rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 100);
  const t = performance.now();
  const result = await fn();
  const seconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  globalThis.gc?.();
  const heapAfter = globalThis.gc ? process.memoryUsage().heapUsed : undefined;
  return { result, seconds, memory: { before: before.rss, peak, heapBefore: before.heapUsed, heapAfter } };
}

function mb(n) {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}
