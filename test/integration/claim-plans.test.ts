import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresPaymentStore } from '../../src/postgres/index.js';
import * as SQL from '../../src/postgres/sql.js';
import { DATABASE_URL } from '../helpers/stores.js';

// Issue 13, must-hold 5: the claim statements stay fast at a million rows because each one walks a partial
// index in the order it claims, and stops after `limit` rows. These tests read each statement's plan
// (EXPLAIN (FORMAT JSON), with sequential scans disabled so that a small table cannot hide a missing index)
// and fail when a change to a statement or to an index in src/postgres/migrations.ts stops them matching:
// the named index is not used, it is used without its ordering (a Sort over every due row), or the table
// is scanned. The figures at a million rows are bench/reconcile-scale.mjs's (docs/benchmarks.md).

/** One connection, whose statements run in a transaction that is rolled back. */
interface Db {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  close(): Promise<void>;
}

async function pglite(): Promise<Db> {
  const db = new PGlite();
  await new PostgresPaymentStore(db).migrate();
  return {
    query: (text, params) => db.query<Record<string, unknown>>(text, params),
    close: () => db.close(),
  };
}

async function server(): Promise<Db> {
  const schema = `plans_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await new PostgresPaymentStore(client).migrate();
  return {
    query: (text, params) => client.query(text, params),
    close: async () => {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** A mix like a live table's: pending (due and fresh), completed with and without fulfilment, failed. */
const FILL = `INSERT INTO daraja_payments (id, owner_id, amount, phone_number, account_reference,
      transaction_desc, status, checkout_request_id, created_at, updated_at, completed_at, fulfilled_at, final)
    SELECT 'pay_' || i, 'u', 100, '254712345678', 'R', 'Payment',
           CASE WHEN i % 10 = 0 THEN 'pending' WHEN i % 10 = 1 THEN 'failed' ELSE 'completed' END,
           'ws_CO_' || i, now() - i * interval '1 minute', now(),
           CASE WHEN i % 10 <> 0 THEN now() - i * interval '1 minute' END,
           CASE WHEN i % 10 > 2 THEN now() END, i % 10 <> 0
      FROM generate_series(1, 2000) AS i`;

/** A statement, its parameters, and the index its plan must read. */
interface Case {
  name: string;
  sql: string;
  params: unknown[];
  index: string;
  /** The index must give the statement's order: no Sort node anywhere in the plan. */
  ordered?: boolean;
  /** Text the index scan's condition must contain (the index expression the statement filters on). */
  indexCond?: RegExp;
}

const CASES: Case[] = [
  {
    name: 'CLAIM_DUE_PENDING',
    sql: SQL.CLAIM_DUE_PENDING,
    params: [60_000, 100, 30_000, 3_600_000],
    index: 'daraja_payments_due_idx',
    ordered: true,
    indexCond: /COALESCE\(next_check_at, created_at\) <= now\(\)/,
  },
  {
    name: 'CLAIM_DUE_FULFILMENTS',
    sql: SQL.CLAIM_DUE_FULFILMENTS,
    params: [300_000, 100, 10],
    index: 'daraja_payments_unfulfilled_idx',
    ordered: true,
  },
  // The lease statements touch one payment, by id.
  {
    name: 'CLAIM_FULFILMENT',
    sql: SQL.CLAIM_FULFILMENT,
    params: ['pay_3', 300_000, 10],
    index: 'daraja_payments_pkey',
  },
  {
    name: 'RENEW_FULFILMENT',
    sql: SQL.RENEW_FULFILMENT,
    params: ['pay_3', '1', 300_000],
    index: 'daraja_payments_pkey',
  },
  {
    name: 'COMPLETE_FULFILMENT',
    sql: SQL.COMPLETE_FULFILMENT,
    params: ['pay_3', '1'],
    index: 'daraja_payments_pkey',
  },
  {
    name: 'RELEASE_FULFILMENT',
    sql: SQL.RELEASE_FULFILMENT,
    params: ['pay_3', '1', 'error', 30_000],
    index: 'daraja_payments_pkey',
  },
];

/** Every node of a JSON plan. */
function nodes(plan: Record<string, unknown>): Record<string, unknown>[] {
  const children = (plan['Plans'] as Record<string, unknown>[] | undefined) ?? [];
  return [plan, ...children.flatMap(nodes)];
}

/** The plan of `c` in a transaction with sequential scans disabled, rolled back. */
async function planOf(db: Db, c: Case): Promise<Record<string, unknown>[]> {
  await db.query('BEGIN');
  try {
    await db.query('SET LOCAL enable_seqscan = off');
    const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${c.sql}`, c.params);
    const cell = Object.values(rows[0]!)[0];
    const json = (typeof cell === 'string' ? JSON.parse(cell) : cell) as { Plan: Record<string, unknown> }[];
    return nodes(json[0]!.Plan);
  } finally {
    await db.query('ROLLBACK');
  }
}

const KINDS = [
  { name: 'PGlite', make: pglite },
  {
    name: 'the PostgreSQL server',
    make: server,
    skip: DATABASE_URL
      ? undefined
      : 'DATABASE_URL is not set; .ci/run starts PostgreSQL and sets it. PGlite still checks the plans.',
  },
];

for (const kind of KINDS) {
  describe(`claim and lease statements read their index, on ${kind.name}`, () => {
    if (kind.skip) {
      it.skip(`SKIPPED: ${kind.skip}`, () => {});
      return;
    }
    let db: Db | undefined;
    const ready = async () => {
      if (!db) {
        db = await kind.make();
        await db.query(FILL);
        await db.query('ANALYZE daraja_payments');
      }
      return db;
    };
    afterAll(async () => db?.close());

    for (const c of CASES) {
      it(`${c.name} reads ${c.index}${c.ordered ? ' in its order' : ''}, never scanning the table`, async () => {
        const plan = await planOf(await ready(), c);
        const summary = plan.map(
          (n) => `${n['Node Type']}${n['Index Name'] ? ` on ${n['Index Name']}` : ''}`,
        );
        const seqScans = plan.filter((n) => n['Node Type'] === 'Seq Scan');
        expect(
          seqScans.map((n) => n['Relation Name']),
          summary.join(' > '),
        ).toEqual([]);
        const scans = plan.filter((n) => n['Index Name'] === c.index);
        expect(scans.length, `${c.index} in ${summary.join(' > ')}`).toBeGreaterThan(0);
        if (c.ordered) {
          expect(
            summary.filter((s) => s.startsWith('Sort')),
            summary.join(' > '),
          ).toEqual([]);
          expect(scans.map((n) => n['Node Type'])).toEqual(['Index Scan']);
        }
        if (c.indexCond) expect(String(scans[0]!['Index Cond'])).toMatch(c.indexCond);
      });
    }
  });
}
