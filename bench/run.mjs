// `npm run bench`: speed and size, each as a ratio to a baseline measured in the same run.
// Runs against the built package (dist/), as users get it.
import { gzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { build } from 'esbuild';
import ky from 'ky';
import pg from 'pg';
import {
  createPaymentFlow,
  Daraja,
  darajaTimestamp,
  MemoryPaymentStore,
  parseStkCallback,
  stkPassword,
} from '../dist/index.js';
import { PostgresPaymentStore } from '../dist/postgres.js';
import { buildStkCallback } from '../dist/testing.js';
import { importCostBench } from './import-cost.mjs';
import { compare, compareWithCpu, fmt, startServer } from './lib.mjs';
import { memoryStoreBench } from './memory-store.mjs';

const SHORTCODE = '174379';
const PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
const CALLBACK = 'https://merchant.example.com/mpesa/callback';
const options = { total: Number(process.env.BENCH_TOTAL ?? 4000), concurrency: 16, rounds: 5, warmup: 1000 };

async function stkPushBench() {
  const server = await startServer();
  const client = new Daraja({
    consumerKey: 'bench-key',
    consumerSecret: 'bench-secret',
    shortcode: SHORTCODE,
    passkey: PASSKEY,
    callbackUrl: CALLBACK,
    baseUrl: server.url,
  });
  await client.verifyCredentials(); // token cached, as in a running app
  const token = 'bench-token-0000000000';

  const wireBody = (i) => {
    const timestamp = darajaTimestamp();
    return {
      BusinessShortCode: 174379,
      Password: stkPassword(SHORTCODE, PASSKEY, timestamp),
      Timestamp: timestamp,
      TransactionType: 'CustomerPayBillOnline',
      Amount: String(1 + (i % 100)),
      PartyA: '254712345678',
      PartyB: SHORTCODE,
      PhoneNumber: '254712345678',
      CallBackURL: CALLBACK,
      AccountReference: 'BENCH',
      TransactionDesc: 'Payment',
    };
  };
  const url = `${server.url}/mpesa/stkpush/v1/processrequest`;
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  // The baseline: what a careful developer would write by hand with fetch for the same request.
  const rawFetch = async (i) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(wireBody(i)),
    });
    const json = await res.json();
    if (!json.CheckoutRequestID) throw new Error('bad answer');
  };
  // The same request through ky alone (the HTTP library the SDK is built on), to show its share.
  const kyAlone = async (i) => {
    const res = await ky(url, {
      method: 'POST',
      headers,
      json: wireBody(i),
      timeout: 30_000,
      retry: 0,
      throwHttpErrors: false,
    });
    const json = JSON.parse(await res.text());
    if (!json.CheckoutRequestID) throw new Error('bad answer');
  };
  const sdk = async (i) => {
    const r = await client.stk.push({
      phoneNumber: '0712345678',
      amount: 1 + (i % 100),
      accountReference: 'BENCH',
    });
    if (!r.checkoutRequestId) throw new Error('bad answer');
  };

  const result = await compare({ raw: rawFetch, ky: kyAlone, sdk }, options);
  await server.close();
  const ratio = result.sdk / result.raw;
  console.log(`\nSTK push against a local HTTP server (Node ${process.version})`);
  console.log(
    `  (${options.rounds} alternating rounds of ${options.total} requests, ${options.concurrency} in flight; medians)`,
  );
  console.log(`  hand-written fetch          ${fmt(result.raw).padStart(8)} req/s   (baseline)`);
  console.log(
    `  ky alone, same request      ${fmt(result.ky).padStart(8)} req/s   ${(result.ky / result.raw).toFixed(2)}x baseline`,
  );
  console.log(
    `  daraja-sdk stk.push         ${fmt(result.sdk).padStart(8)} req/s   ${ratio.toFixed(2)}x baseline, ${(result.sdk / result.ky).toFixed(2)}x ky alone`,
  );
  console.log(`  target: stk.push >= 0.80x baseline: ${ratio >= 0.8 ? 'met' : 'NOT met'}`);
  return { vsFetch: ratio, vsKy: result.sdk / result.ky };
}

/** Bundle an entry (minified, tree-shaken) and return gzip size plus minified bytes per package. */
export async function bundleSize(entry) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const gzip = gzipSync(out.outputFiles[0].contents, { level: 9 }).length;
  const byPackage = {};
  for (const [file, info] of Object.entries(Object.values(out.metafile.outputs)[0].inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? 'daraja-sdk';
    byPackage[pkg] = (byPackage[pkg] ?? 0) + info.bytesInOutput;
  }
  return { gzip, minified: out.outputFiles[0].contents.length, byPackage };
}

async function sizeBench() {
  const main = await bundleSize(new URL('../dist/index.js', import.meta.url).pathname);
  // Baseline: ky alone, the smallest thing that could send the request.
  const kyOnly = await bundleSize(new URL('./ky-entry.mjs', import.meta.url).pathname);
  const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
  console.log('\nSize of the main entry with its dependencies (ESM, minified, tree-shaken, gzip -9)');
  console.log(
    `  daraja-sdk (everything exported)  ${kb(main.gzip).padStart(8)} gzip   issue 13's target 25 kB: ${main.gzip <= 25 * 1024 ? 'met' : 'NOT met'} (size-limit holds the budget in package.json)`,
  );
  console.log(
    `  ky alone                          ${kb(kyOnly.gzip).padStart(8)} gzip   (baseline; ratio ${(main.gzip / kyOnly.gzip).toFixed(1)}x)`,
  );
  const parts = Object.entries(main.byPackage).map(
    ([k, v]) => `${k} ${Math.round((v / main.minified) * 100)}%`,
  );
  console.log(`  minified bytes by package: ${parts.join(', ')}`);
}

/** Operations per second of a synchronous function, alternating contenders over rounds (medians). */
function compareSync(contenders, { iterations, rounds }) {
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (const fn of Object.values(contenders)) for (let i = 0; i < iterations / 10; i++) fn(i); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) fn(i);
      samples[name].push(iterations / (Number(process.hrtime.bigint() - t) / 1e9));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

function parseBench() {
  const text = JSON.stringify(
    buildStkCallback({
      checkoutRequestId: 'ws_CO_191220191020363925',
      amount: 1,
      mpesaReceiptNumber: 'NLJ7RT61SV',
      phoneNumber: 254708374149,
      withBalanceItem: true,
    }),
  );
  // The baseline: the extraction most integrations write by hand (no validation at all).
  const handWritten = () => {
    const cb = JSON.parse(text).Body.stkCallback;
    const items = {};
    for (const item of cb.CallbackMetadata?.Item ?? []) items[item.Name] = item.Value;
    return {
      code: cb.ResultCode,
      id: cb.CheckoutRequestID,
      amount: items.Amount,
      receipt: items.MpesaReceiptNumber,
      date: items.TransactionDate,
      phone: items.PhoneNumber,
    };
  };
  const sdk = () => parseStkCallback(text);
  const r = compareSync({ handWritten, sdk }, { iterations: 100_000, rounds: 5 });
  console.log('\nparseStkCallback on a success callback given as JSON text (5 rounds of 100,000; medians)');
  console.log(`  hand-written JSON.parse + extraction   ${fmt(r.handWritten).padStart(10)} /s   (baseline)`);
  console.log(
    `  parseStkCallback (validating)          ${fmt(r.sdk).padStart(10)} /s   ${(r.sdk / r.handWritten).toFixed(2)}x baseline`,
  );
}

const IP = '196.201.214.200';
const SECRET = 'bench-callback-secret-0123456789abcdef';

/** Callbacks handled per second by the flow, against a minimal handler on the same storage. */
async function handleCallbackBench(label, makeStore, minimal, count) {
  const store = await makeStore();
  const daraja = new Daraja({ consumerKey: 'k', consumerSecret: 's', baseUrl: 'http://127.0.0.1:9' });
  const flow = createPaymentFlow({
    daraja,
    store,
    callbackUrl: 'https://example.com/cb',
    callbackSecret: SECRET,
    onCompleted: () => {},
  });
  const requests = [];
  for (let i = 0; i < count; i++) {
    const id = `pay_bench_${label.length}_${i}`;
    await store.create({
      id,
      ownerId: 'u',
      amount: 100,
      phoneNumber: '254708374149',
      accountReference: 'B',
      transactionDesc: 'Payment',
      metadata: {},
      idempotencyKey: null,
    });
    await store.attachCheckout(id, {
      merchantRequestId: 'm',
      checkoutRequestId: `ws_CO_${label.length}_${i}`,
    });
    const url = new URL(flow.callbackUrlFor(id));
    requests.push({
      id,
      request: {
        body: buildStkCallback({
          checkoutRequestId: `ws_CO_${label.length}_${i}`,
          amount: 100,
          phoneNumber: 254708374149,
          mpesaReceiptNumber: `R${label.length}X${i}`.padEnd(10, 'Z'),
        }),
        url: url.pathname + url.search,
        remoteAddress: IP,
      },
    });
  }
  const half = Math.floor(count / 2);
  // Alternate: minimal handler on the first half, the flow on the second, then swap roles on fresh data is
  // not possible (callbacks settle payments), so each side gets its own payments, measured back to back.
  let t = process.hrtime.bigint();
  for (const { id, request } of requests.slice(0, half)) await minimal(store, id, request.body);
  const minimalRate = half / (Number(process.hrtime.bigint() - t) / 1e9);
  t = process.hrtime.bigint();
  for (const { request } of requests.slice(half)) {
    const ack = await flow.handleCallback(request);
    if (ack.outcome !== 'applied') throw new Error(`unexpected outcome ${ack.outcome} ${ack.reason}`);
    await ack.afterAck; // the fulfilment runs after the answer: count it, as before
  }
  const flowRate = (count - half) / (Number(process.hrtime.bigint() - t) / 1e9);
  console.log(
    `  ${label.padEnd(8)} minimal handler ${fmt(minimalRate).padStart(7)} /s (baseline)   flow.handleCallback ${fmt(flowRate).padStart(7)} /s   ${(flowRate / minimalRate).toFixed(2)}x`,
  );
}

async function callbackBench() {
  console.log(
    '\nflow.handleCallback: one success callback per payment, sequential (token, address, amount and phone',
  );
  console.log(
    'checks, compare-and-set, fulfilment claim, audit record) vs a minimal handler on the same storage',
  );
  // Minimal: parse by hand and set the status, nothing else (what an unsafe integration does).
  const memoryMinimal = async (store, id, body) => {
    const cb = body.Body.stkCallback;
    await store.transition(id, {
      status: 'completed',
      resultCode: String(cb.ResultCode),
      resultDesc: cb.ResultDesc,
      mpesaReceiptNumber: null,
      merchantRequestId: null,
      checkoutRequestId: null,
      callback: null,
      settledBy: 'callback',
      final: true,
    });
  };
  await handleCallbackBench('memory', async () => new MemoryPaymentStore(), memoryMinimal, 20_000);
  const db = new PGlite();
  const pgliteMinimal = async (_store, id, body) => {
    const cb = body.Body.stkCallback;
    await db.query(
      "UPDATE daraja_payments SET status = 'completed', result_code = $2, completed_at = now(), updated_at = now() WHERE id = $1 AND status = 'pending'",
      [id, String(cb.ResultCode)],
    );
  };
  await handleCallbackBench(
    'PGlite',
    async () => {
      const store = new PostgresPaymentStore(db);
      await store.migrate();
      return store;
    },
    pgliteMinimal,
    2_000,
  );
  await db.close();
}

/** `count` pending payments with their CheckoutRequestIDs, inserted at once: `${prefix}${i}`. */
async function insertPayments(db, prefix, count) {
  await db.query(
    `INSERT INTO daraja_payments (id, owner_id, amount, phone_number, account_reference, transaction_desc,
            status, checkout_request_id, merchant_request_id, created_at, updated_at)
     SELECT 'pay_' || $1 || i, 'u', 100, '254708374149', 'B', 'Payment', 'pending', 'ws_CO_' || $1 || i, 'm',
            now(), now()
       FROM generate_series(0, $2 - 1) AS i`,
    [prefix, count],
  );
}

/**
 * handleCallback on the PostgreSQL server, 16 in flight, against a minimal handler (one UPDATE) on the
 * same pool in the same run; then with `latencyMs` added before every statement (as a database across a
 * network would), for both. Prints the ratios and the CPU time per callback of this process.
 */
async function serverCallbackBench() {
  const url = process.env.DATABASE_URL;
  console.log('\nflow.handleCallback on the PostgreSQL server vs a minimal one-UPDATE handler, same pool');
  if (!url) {
    console.log('  SKIPPED: DATABASE_URL is not set (e.g. postgres://user:password@127.0.0.1:5432/db)');
    return;
  }
  const o = {
    total: Number(process.env.BENCH_CALLBACKS ?? 1000),
    concurrency: 16,
    rounds: 3,
    warmup: 200,
  };
  const perContender = o.warmup + o.rounds * o.total;
  const ratios = {};
  const schema = `bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 16, options: `-c search_path=${schema}` });
  const version = (await pool.query('SHOW server_version')).rows[0].server_version;
  console.log(
    `  (PostgreSQL ${version}, Node ${process.version}, ${o.concurrency} in flight, ${o.rounds} alternating rounds of ${fmt(o.total)}; medians; CPU: this process, user + system)`,
  );
  try {
    await new PostgresPaymentStore(pool).migrate();
    for (const latencyMs of [0, 2]) {
      const db = latencyMs === 0 ? pool : delayed(pool, latencyMs);
      // The default store prepares its statements on a pg Pool; the latency wrapper is not one: say so.
      const prepared = latencyMs === 0 ? undefined : true;
      const result = await compareWithCpu(
        await contenders(pool, db, `${latencyMs}_`, perContender, prepared),
        o,
      );
      const target = latencyMs === 0 ? 0.5 : 0.4;
      const cpu = (r) =>
        `${Math.round(r.user + r.system)} µs (${Math.round(r.user)} user + ${Math.round(r.system)} system)`;
      console.log(`  ${latencyMs === 0 ? 'no added latency' : `${latencyMs} ms added per statement`}:`);
      console.log(
        `    minimal one-UPDATE handler              ${fmt(result.minimal.rate).padStart(6)} /s (baseline)   CPU ${cpu(result.minimal)}`,
      );
      for (const [name, label] of [
        ['flow', 'flow.handleCallback, preparedStatements: false'],
        ['prepared', 'flow.handleCallback, default store (prepared)'],
        ['answered', '  the same, slot free at the answer       '],
      ]) {
        const r = result[name];
        const ratio = r.rate / result.minimal.rate;
        ratios[`${name}${latencyMs}`] = ratio;
        const cpuTarget =
          latencyMs === 0 ? ` (target <= 400 µs: ${r.user + r.system <= 400 ? 'met' : 'NOT met'})` : '';
        console.log(
          `    ${label} ${fmt(r.rate).padStart(6)} /s   ${ratio.toFixed(2)}x (target >= ${target}x: ${ratio >= target ? 'met' : 'NOT met'})   CPU ${cpu(r)}${cpuTarget}`,
        );
      }
    }
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
  return ratios;
}

/**
 * The three contenders on fresh payments each: the minimal handler (parse by hand and set the status,
 * nothing else: what an unsafe integration does), and handleCallback on the store without prepared
 * statements and as constructed by default (prepared on a pg Pool; `prepared` says so for a wrapper),
 * each callback's fulfilment included.
 */
async function contenders(pool, db, tag, count, prepared) {
  const daraja = new Daraja({ consumerKey: 'k', consumerSecret: 's', baseUrl: 'http://127.0.0.1:9' });
  const handler = async (name, preparedStatements, answered = false) => {
    const flow = createPaymentFlow({
      daraja,
      store: new PostgresPaymentStore(db, preparedStatements === undefined ? {} : { preparedStatements }),
      callbackUrl: 'https://example.com/cb',
      callbackSecret: SECRET,
      onCompleted: () => {},
    });
    const prefix = `${name}${tag}`;
    await insertPayments(pool, prefix, count);
    const requests = Array.from({ length: count }, (_, i) => {
      const callbackUrl = new URL(flow.callbackUrlFor(`pay_${prefix}${i}`));
      const body = buildStkCallback({
        checkoutRequestId: `ws_CO_${prefix}${i}`,
        amount: 100,
        phoneNumber: 254708374149,
        mpesaReceiptNumber: `R${prefix.replace('_', '')}X${i}`.toUpperCase().padEnd(10, 'Z'),
      });
      return { body, url: callbackUrl.pathname + callbackUrl.search, remoteAddress: IP };
    });
    let next = 0;
    if (answered) {
      // As a server runs it: the request's slot is free once the callback is answered; the fulfilment
      // goes on after the answer, and the round's clock stops only when every one has finished.
      const after = [];
      const fn = async () => {
        const ack = await flow.handleCallback(requests[next++]);
        if (ack.outcome !== 'applied') throw new Error(`unexpected outcome ${ack.outcome} ${ack.reason}`);
        after.push(ack.afterAck);
      };
      fn.drain = () => Promise.all(after.splice(0));
      return fn;
    }
    return async () => {
      const ack = await flow.handleCallback(requests[next++]);
      if (ack.outcome !== 'applied') throw new Error(`unexpected outcome ${ack.outcome} ${ack.reason}`);
      await ack.afterAck; // the fulfilment runs after the answer: count it
    };
  };
  await insertPayments(pool, `m${tag}`, count);
  const bodies = Array.from({ length: count }, (_, i) =>
    buildStkCallback({ checkoutRequestId: `ws_CO_m${tag}${i}`, amount: 100 }),
  );
  let m = 0;
  return {
    minimal: async () => {
      const k = m++;
      const cb = bodies[k].Body.stkCallback;
      await db.query(
        "UPDATE daraja_payments SET status = 'completed', result_code = $2, completed_at = now(), updated_at = now() WHERE id = $1 AND status = 'pending'",
        [`pay_m${tag}${k}`, String(cb.ResultCode)],
      );
    },
    flow: await handler('f', false),
    prepared: await handler('p', prepared),
    answered: await handler('a', prepared, true),
  };
}

/** `pool` with `ms` of latency added before each statement, as a database across a network has. */
function delayed(pool, ms) {
  return {
    query: (text, params) => new Promise((r) => setTimeout(r, ms)).then(() => pool.query(text, params)),
  };
}

if (process.env.BENCH_ONLY === 'ci') {
  // The short version .ci/run runs after the build: each figure as a ratio to its baseline in the same
  // run, against a budget; exit code 1 when one falls below. The budgets hold today's level with room
  // for this machine's run-to-run noise (docs/benchmarks.md, "In CI"), so a regression fails CI.
  const push = await stkPushBench();
  const callbacks = await serverCallbackBench();
  const checks = [
    ['stk.push throughput / ky alone (the SDK layer over ky)', push.vsKy, 0.7],
    ['stk.push throughput / hand-written fetch', push.vsFetch, 0.4],
  ];
  if (callbacks) {
    checks.push(
      [
        'handleCallback (default store: prepared) / minimal handler (PostgreSQL server)',
        callbacks.prepared0,
        0.2,
      ],
      ['the same, 2 ms added per statement', callbacks.prepared2, 0.25],
      ['handleCallback, preparedStatements: false / minimal handler', callbacks.flow0, 0.1],
    );
  }
  console.log('\nBudgets (ratio >= budget):');
  let failed = 0;
  for (const [name, ratio, budget] of checks) {
    const ok = ratio >= budget;
    if (!ok) failed++;
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}: ${ratio.toFixed(2)}x (budget ${budget}x)`);
  }
  process.exit(failed === 0 ? 0 : 1);
}
if (process.env.BENCH_ONLY === 'callbacks') {
  // Only the callback figures: `BENCH_ONLY=callbacks node bench/run.mjs` after `npm run build`.
  await callbackBench();
  await serverCallbackBench();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'size') {
  await sizeBench();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'import') {
  importCostBench();
  process.exit(0);
}
if (process.env.BENCH_ONLY === 'memory-store') {
  await memoryStoreBench();
  process.exit(0);
}
await stkPushBench();
parseBench();
await callbackBench();
await serverCallbackBench();
await memoryStoreBench();
await sizeBench();
importCostBench();
