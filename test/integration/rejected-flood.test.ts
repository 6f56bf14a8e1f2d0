import { createHash, randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallbackEvent,
  type CallbackRequest,
  createPaymentFlow,
  MemoryPaymentStore,
  type PaymentFlow,
  type PaymentFlowOptions,
  type PaymentStore,
} from '../../src/index.js';
import { PostgresPaymentStore } from '../../src/postgres/index.js';
import { buildStkCallback } from '../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP } from '../fixtures/constants.js';
import { makeClient } from '../helpers/client.js';
import { captured, testLogger } from '../helpers/logger.js';
import { DATABASE_URL, reportSkip } from '../helpers/stores.js';

// Issue 8, item 6: a flood of callbacks that fail authentication (a bad or missing token; with tokens
// off, an address not on allowedIps) must not fill the database. 10,000 of them, each with a realistic
// 1–64 kB body, add under 1 MB to what the store keeps: measured on PGlite as the on-disk size of the
// store's tables (pg_total_relation_size: heap, TOAST and indexes); on the PostgreSQL server as the size
// of the rows (TOASTed values included) plus the indexes, because there eight connections inserting at
// once make PostgreSQL 15 extend a table by up to 20 empty pages per waiting connection (a 1.1 MB jump
// for 60 small rows was seen in CI), which is free space, not kept data; and on MemoryPaymentStore as the
// JSON size of the rows it keeps. pruneRejectedCallbacks then removes exactly
// those rows, never a token-authenticated rejection nor a payment.

const FLOOD = 10_000;
const CONCURRENCY = 64;
const MAX_GROWTH_BYTES = 1024 * 1024;
/** Flood senders: 500 addresses from the documentation ranges, none on Safaricom's list. */
const ATTACKERS = Array.from(
  { length: 500 },
  (_, i) => `${i < 250 ? '203.0.113' : '198.51.100'}.${(i % 250) + 1}`,
);
const CALLBACK_PATH = new URL(FLOW_CALLBACK_URL).pathname;

/** Incompressible filler (random base64), sliced per body: stored bodies would not shrink in TOAST. */
const FILLER = randomBytes(72 * 1024).toString('base64');

/** A deterministic size in [1 kB, 64 kB] for the i-th callback. */
function sizeOf(i: number): number {
  const x = Math.imul(i + 1, 2_654_435_761) >>> 0;
  return 1024 + (x % (63 * 1024));
}

/**
 * The i-th flood body: shaped like Daraja's STK success callback, padded with junk to `bytes` of JSON.
 * Even ones come parsed (a JSON body parser), odd ones as raw bytes (a route that reads the raw body).
 */
function floodBody(i: number, bytes: number, checkoutRequestId: string): { body: unknown; text?: string } {
  const callback = buildStkCallback({
    checkoutRequestId,
    merchantRequestId: `${1000 + (i % 9000)}-${i}-1`,
    amount: 1 + (i % 5000),
    mpesaReceiptNumber: `FLD${String(i).padStart(7, '0')}`,
    phoneNumber: 254_700_000_000 + i,
    transactionDate: 20260101120000,
  }) as { Body: Record<string, unknown> };
  const base = Buffer.byteLength(JSON.stringify({ ...callback, Padding: '' }));
  const start = (i * 97) % 1024;
  const body = { ...callback, Padding: FILLER.slice(start, start + Math.max(0, bytes - base)) };
  if (i % 2 === 0) return { body };
  const text = JSON.stringify(body);
  return { body: Buffer.from(text), text };
}

/** A store under test, with a measure of what it keeps. */
interface Target {
  store: PaymentStore;
  /** Bytes the store keeps now. */
  bytes(): Promise<number>;
  /** How `bytes` is measured, for the printout. */
  measure: string;
  close(): Promise<void>;
}

/** The store's tables on disk, with their TOAST and indexes, in the current schema. */
const TABLE_BYTES = `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE 'daraja\\_%'`;

/** The store's tables in the current schema, with the size of their indexes. */
const TABLES = `SELECT c.relname AS name, pg_indexes_size(c.oid)::bigint AS indexes
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE 'daraja\\_%'`;

/** What the rows of the store's tables hold (each as a stored row, TOASTed values included), plus indexes. */
async function rowBytes(pool: pg.Pool): Promise<number> {
  let total = 0;
  for (const { name, indexes } of (await pool.query<{ name: string; indexes: string }>(TABLES)).rows) {
    const sql = `SELECT COALESCE(sum(pg_column_size(t.*)), 0)::bigint AS bytes FROM "${name}" t`;
    total += Number(indexes) + Number((await pool.query<{ bytes: string }>(sql)).rows[0]!.bytes);
  }
  return total;
}

interface Kind {
  name: string;
  skip?: string;
  open(): Promise<Target>;
}

const KINDS: Kind[] = [
  {
    name: 'PostgresPaymentStore on the PostgreSQL server',
    ...(DATABASE_URL
      ? {}
      : { skip: 'DATABASE_URL is not set; .ci/run starts PostgreSQL and sets it. PGlite still runs this.' }),
    async open() {
      const schema = `flood_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      const pool = new pg.Pool({
        connectionString: DATABASE_URL,
        max: 8,
        options: `-c search_path=${schema}`,
      });
      const store = new PostgresPaymentStore(pool);
      await store.migrate();
      return {
        store,
        measure: 'rows of the daraja_* tables and their indexes',
        bytes: () => rowBytes(pool),
        close: async () => {
          await pool.end();
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.end();
        },
      };
    },
  },
  {
    name: 'PostgresPaymentStore on PGlite',
    async open() {
      const db = new PGlite();
      const store = new PostgresPaymentStore(db);
      await store.migrate();
      return {
        store,
        measure: 'pg_total_relation_size of the daraja_* tables',
        bytes: async () => Number((await db.query<{ bytes: string }>(TABLE_BYTES)).rows[0]!.bytes),
        close: () => db.close(),
      };
    },
  },
  {
    name: 'MemoryPaymentStore',
    async open() {
      const store = new MemoryPaymentStore();
      return {
        store,
        measure: 'JSON size of the callback rows kept',
        bytes: async () => Buffer.byteLength(JSON.stringify(await store.listCallbacks())),
        close: async () => undefined,
      };
    },
  },
];

function flowOn(store: PaymentStore, overrides: Partial<PaymentFlowOptions> = {}): PaymentFlow {
  return createPaymentFlow({
    daraja: makeClient({ maxRetries: 0 }),
    store,
    callbackUrl: FLOW_CALLBACK_URL,
    callbackSecret: CALLBACK_SECRET,
    queryBudget: false,
    onCompleted: () => {
      throw new Error('no payment may complete in this test');
    },
    logger: testLogger,
    ...overrides,
  });
}

/**
 * Send FLOOD callbacks, CONCURRENCY at a time, each yielding to the event loop as a request from the
 * network would. Returns how they were answered (tallied), and the size of each of the first 1,000 bodies
 * by SHA-256 (the sampled rows come from the first ones).
 */
async function flood(flow: PaymentFlow, request: (i: number) => { req: CallbackRequest; text?: string }) {
  const answers = new Map<string, number>();
  const sent = new Map<string, number>();
  let next = 0;
  let bodyBytes = 0;
  const worker = async () => {
    while (next < FLOOD) {
      const i = next++;
      await new Promise((r) => setImmediate(r));
      const { req, text } = request(i);
      const bytes = text === undefined ? undefined : Buffer.byteLength(text);
      if (i < 1000) {
        const json = text ?? JSON.stringify(req.body);
        sent.set(createHash('sha256').update(json).digest('hex'), Buffer.byteLength(json));
      }
      bodyBytes += bytes ?? sizeOf(i);
      const r = await flow.handleCallback(req);
      const key = `${r.status} ${r.outcome} ${r.reason} ${r.paymentId} ${JSON.stringify(r.body)}`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
      await r.afterAck;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { answers, sent, bodyBytes };
}

const prunable = (e: CallbackEvent) => e.outcome === 'rejected' && e.paymentId === null && e.body === null;

for (const kind of KINDS) {
  if (kind.skip) {
    reportSkip({
      name: `10,000 rejected callbacks on ${kind.name}`,
      skip: kind.skip,
      make: () => Promise.reject(),
    });
    continue;
  }
  describe(`10,000 callbacks rejected before authentication, on ${kind.name}`, () => {
    let target: Target;
    let paymentId: string;
    /** Audit rows that must survive pruning: token-authenticated rejections. */
    const kept: string[] = [];
    const printed: string[] = [];
    beforeAll(async () => {
      target = await kind.open();
      // One real payment, and two token-authenticated rejections about it, before the flood.
      paymentId = `pay_flood${randomBytes(8).toString('hex')}`;
      await target.store.create({
        id: paymentId,
        ownerId: 'owner-flood',
        amount: 500,
        phoneNumber: '254712345678',
        accountReference: 'FLOOD',
        transactionDesc: 'Payment',
        metadata: {},
        idempotencyKey: null,
      });
      await target.store.attachCheckout(paymentId, {
        merchantRequestId: 'm-flood-1',
        checkoutRequestId: 'ws_CO_FLOOD_0001',
      });
      const flow = flowOn(target.store);
      const url = new URL(flow.callbackUrlFor(paymentId));
      const genuine = { url: url.pathname + url.search, remoteAddress: SAFARICOM_IP };
      const body = (amount: number) =>
        buildStkCallback({ checkoutRequestId: 'ws_CO_FLOOD_0001', amount, phoneNumber: 254712345678 });
      const wrongAmount = await flow.handleCallback({ ...genuine, body: body(1) });
      expect(wrongAmount).toMatchObject({ outcome: 'rejected', reason: 'amount_mismatch', paymentId });
      // A valid token from an address not on allowedIps: authenticated, so kept with its body.
      const newAddress = await flow.handleCallback({
        ...genuine,
        remoteAddress: ATTACKERS[0],
        body: body(500),
      });
      expect(newAddress).toMatchObject({ outcome: 'rejected', reason: 'ip_not_allowed', paymentId });
      const events = await target.store.listCallbacks({ paymentId });
      expect(events).toHaveLength(2);
      expect(events.every((e) => e.body !== null)).toBe(true);
      kept.push(...events.map((e) => e.id));
    }, 60_000);
    afterAll(async () => {
      for (const line of printed) console.log(line);
      await target?.close();
    });

    /** Run a flood and check how it was answered and what it cost the store. */
    async function measuredFlood(
      label: string,
      flow: PaymentFlow,
      request: (i: number) => { req: CallbackRequest; text?: string },
      expected: Record<string, number>,
    ) {
      const rowsBefore = (await target.store.listCallbacks({ limit: 100_000 })).length;
      const before = await target.bytes();
      const logsBefore = captured.length;
      const started = performance.now();
      const { answers, sent, bodyBytes } = await flood(flow, request);
      const ms = performance.now() - started;
      const growth = (await target.bytes()) - before;
      const rows = (await target.store.listCallbacks({ limit: 100_000 })).slice(rowsBefore);
      const logLines = captured.slice(logsBefore);
      printed.push(
        `[rejected-flood] ${kind.name}, ${label}: ${FLOOD} callbacks (${(bodyBytes / 1e6).toFixed(0)} MB of bodies) ` +
          `in ${Math.round(ms)} ms added ${growth} bytes (${target.measure}) in ${rows.length} rows; ` +
          `the flow logged ${logLines.length} lines (${(logLines.reduce((n, l) => n + l.length, 0) / 1e6).toFixed(1)} MB as captured)`,
      );

      expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
      // Every one answered 200 (nothing for a sender to retry), rejected for the expected reason.
      const ack = JSON.stringify({ ResultCode: 0, ResultDesc: 'Accepted' });
      expect(Object.fromEntries(answers)).toEqual(
        Object.fromEntries(
          Object.entries(expected).map(([reason, n]) => [`200 rejected ${reason} null ${ack}`, n]),
        ),
      );
      // Sampled: a few rows for 10,000 callbacks, each without a body but with its size and hash.
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(FLOOD / 100);
      for (const row of rows) {
        expect(row).toMatchObject({
          outcome: 'rejected',
          paymentId: null,
          body: null,
          checkoutRequestId: null,
        });
        expect(Object.keys(expected)).toContain(row.reason);
        expect(ATTACKERS).toContain(row.remoteAddress);
        expect(sent.get(row.bodySha256!), 'the hash of a body that was sent').toBe(row.bodyBytes);
      }
      return rows;
    }

    it('tokens on: bad or missing tokens from 500 addresses off the allow-list', async () => {
      const flow = flowOn(target.store);
      const realUrl = new URL(flow.callbackUrlFor(paymentId));
      const rows = await measuredFlood(
        'tokens on (bad or missing token)',
        flow,
        (i) => {
          const url = new URL(realUrl);
          if (i % 3 === 0)
            url.search = ''; // no token at all
          else if (i % 3 === 1)
            url.searchParams.set('token', randomBytes(32).toString('base64url')); // forged
          else {
            url.searchParams.set('payment', `pay_${randomBytes(16).toString('base64url')}`); // made up
            url.searchParams.set('token', randomBytes(32).toString('base64url'));
          }
          const { body, text } = floodBody(i, sizeOf(i), i % 4 < 2 ? 'ws_CO_FLOOD_0001' : `ws_CO_${i}`);
          const req = {
            url: url.pathname + url.search,
            remoteAddress: ATTACKERS[i % ATTACKERS.length],
            headers: { 'content-type': 'application/json' },
            body,
          };
          return text === undefined ? { req } : { req, text };
        },
        { missing_token: Math.ceil(FLOOD / 3), bad_token: FLOOD - Math.ceil(FLOOD / 3) },
      );
      expect(new Set(rows.map((r) => r.reason))).toEqual(new Set(['missing_token', 'bad_token']));
    }, 60_000);

    it('tokens off: callbacks from 500 addresses not on allowedIps', async () => {
      const flow = flowOn(target.store, { verifyCallbackToken: false });
      await measuredFlood(
        'tokens off (address not allowed)',
        flow,
        (i) => {
          const { body, text } = floodBody(i, sizeOf(i), i % 4 < 2 ? 'ws_CO_FLOOD_0001' : `ws_CO_${i}`);
          const req = {
            url: `${CALLBACK_PATH}?payment=${paymentId}`,
            remoteAddress: ATTACKERS[i % ATTACKERS.length],
            headers: { 'content-type': 'application/json' },
            body,
          };
          return text === undefined ? { req } : { req, text };
        },
        { ip_not_allowed: FLOOD },
      );
      // The real payment was never touched by any of them.
      expect(await target.store.get(paymentId)).toMatchObject({
        status: 'pending',
        mpesaReceiptNumber: null,
      });
    }, 60_000);

    it('pruneRejectedCallbacks deletes those rows only: not token-authenticated rejections, not payments', async () => {
      const all = await target.store.listCallbacks({ limit: 100_000 });
      const flooded = all.filter(prunable);
      expect(flooded.length).toBeGreaterThan(0);
      expect(all.filter((e) => !prunable(e)).map((e) => e.id)).toEqual(kept);
      // Too young to prune: nothing goes.
      expect(await target.store.pruneRejectedCallbacks({ olderThanMs: 60 * 60_000 })).toBe(0);
      expect(await target.store.listCallbacks({ limit: 100_000 })).toHaveLength(all.length);

      await new Promise((r) => setTimeout(r, 20));
      expect(await target.store.pruneRejectedCallbacks({ olderThanMs: 0 })).toBe(flooded.length);
      const left = await target.store.listCallbacks({ limit: 100_000 });
      expect(left.map((e) => e.id)).toEqual(kept);
      expect(left.map((e) => e.reason)).toEqual(['amount_mismatch', 'ip_not_allowed']);
      expect(left.every((e) => e.paymentId === paymentId && e.body !== null)).toBe(true);
      expect(await target.store.get(paymentId)).toMatchObject({
        id: paymentId,
        amount: 500,
        checkoutRequestId: 'ws_CO_FLOOD_0001',
      });
      expect(await target.store.pruneRejectedCallbacks({ olderThanMs: 0 })).toBe(0);
    }, 60_000);
  });
}
