import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { inOneTransaction, paymentsBesideDrizzle } from '../../examples/recipes/drizzle.js';
import { paymentsBesideKysely, storeIn } from '../../examples/recipes/kysely.js';
import { paymentsBesidePrisma } from '../../examples/recipes/prisma.js';
import type { PaymentStore } from '../../src/index.js';
import { newPayment } from '../../src/testing/conformance-fixtures.js';
import { DATABASE_URL } from '../helpers/stores.js';

// The ORM wirings of docs/orms.md, run as they are (examples/recipes/{drizzle,kysely,prisma}.ts): each
// ORM over a pg.Pool, PostgresPaymentStore on the same pool, a payment written by the store and read back
// through the ORM, and (Drizzle, Kysely) in one transaction that commits or rolls back both. Prisma: the
// driver adapter over the pool is run; a generated PrismaClient is not (`prisma generate` downloads
// Prisma's schema engine, which this test does not assume it can).

const SKIP = DATABASE_URL
  ? undefined
  : 'DATABASE_URL is not set (the ORMs take a pg.Pool, so these need a PostgreSQL server; .ci/run sets one up).';

/** The columns of daraja_payments these tests read, as Kysely sees them. */
interface Database {
  daraja_payments: { id: string; amount: number; status: string };
}

const schemas: string[] = [];
const pools: pg.Pool[] = [];
let pool: pg.Pool;

/** A pool whose connections all use a fresh schema of their own. */
async function freshPool(): Promise<pg.Pool> {
  const schema = `orm_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  schemas.push(schema);
  const fresh = new pg.Pool({ connectionString: DATABASE_URL, max: 3, options: `-c search_path=${schema}` });
  pools.push(fresh);
  return fresh;
}

/** Whether the payment is there for a connection outside any transaction of the test. */
async function committed(id: string): Promise<boolean> {
  return (await pool.query('SELECT 1 FROM daraja_payments WHERE id = $1', [id])).rowCount === 1;
}

/** A transaction (run by `inTransaction`) that writes a payment through its store, then fails: none is kept. */
async function expectRolledBack(
  inTransaction: (work: (store: PaymentStore) => Promise<never>) => Promise<unknown>,
): Promise<void> {
  let dropped = '';
  const failing = inTransaction(async (store) => {
    dropped = (await store.create(newPayment())).payment.id;
    throw new Error('the order could not be saved');
  });
  await expect(failing).rejects.toThrow('the order could not be saved');
  expect(dropped).not.toBe('');
  expect(await committed(dropped)).toBe(false);
}

if (SKIP) {
  describe('PostgresPaymentStore beside Drizzle, Kysely and Prisma', () => {
    it.skip(`SKIPPED: ${SKIP}`, () => {});
  });
} else {
  beforeEach(async () => {
    pool = await freshPool();
  });

  afterAll(async () => {
    await Promise.all(pools.filter((p) => !p.ending).map((p) => p.end()));
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
  });

  describe('PostgresPaymentStore beside Drizzle (PostgreSQL server)', () => {
    it('shares Drizzle’s pool: a payment the store writes, Drizzle reads', async () => {
      const { db, store } = paymentsBesideDrizzle(pool);
      expect(db.$client).toBe(pool);
      await store.migrate();
      const { payment } = await store.create(newPayment({ amount: 750 }));
      const { rows } = await db.execute(
        sql`SELECT id, amount, status FROM daraja_payments WHERE id = ${payment.id}`,
      );
      expect(rows).toEqual([{ id: payment.id, amount: 750, status: 'pending' }]);
    });

    it('one transaction: Drizzle sees the store’s payment inside it; it commits, or rolls back, with Drizzle’s rows', async () => {
      await paymentsBesideDrizzle(pool).store.migrate();
      await pool.query('CREATE TABLE orders (id text PRIMARY KEY, payment_id text NOT NULL)');
      const kept = await inOneTransaction(pool, async (db, store) => {
        const { payment } = await store.create(newPayment());
        await db.execute(sql`INSERT INTO orders VALUES ('order-1', ${payment.id})`);
        const { rows } = await db.execute(
          sql`SELECT p.status FROM orders o JOIN daraja_payments p ON p.id = o.payment_id WHERE o.id = 'order-1'`,
        );
        expect(rows).toEqual([{ status: 'pending' }]);
        expect(await committed(payment.id)).toBe(false); // not before the commit
        return payment.id;
      });
      expect(await committed(kept)).toBe(true);

      await expectRolledBack((work) => inOneTransaction(pool, (_db, store) => work(store)));
    });
  });

  describe('PostgresPaymentStore beside Kysely (PostgreSQL server)', () => {
    it('shares the dialect’s pool: a payment the store writes, Kysely reads', async () => {
      const { db, store } = paymentsBesideKysely<Database>(pool);
      await store.migrate();
      const { payment } = await store.create(newPayment({ amount: 20 }));
      const row = await db
        .selectFrom('daraja_payments')
        .select(['id', 'amount', 'status'])
        .where('id', '=', payment.id)
        .executeTakeFirst();
      expect(row).toEqual({ id: payment.id, amount: 20, status: 'pending' });
      await db.destroy(); // ends the pool it was given
      expect(pool.ending).toBe(true);
    });

    it('storeIn(trx): the store’s statements run in the Kysely transaction, and commit or roll back with it', async () => {
      const { db, store } = paymentsBesideKysely<Database>(pool);
      await store.migrate();
      const kept = await db.transaction().execute(async (trx) => {
        const { payment } = await storeIn(trx).create(newPayment());
        const row = await trx
          .selectFrom('daraja_payments')
          .select('status')
          .where('id', '=', payment.id)
          .executeTakeFirst();
        expect(row).toEqual({ status: 'pending' });
        expect(await committed(payment.id)).toBe(false);
        // Reads through the transaction's store see it too.
        expect((await storeIn(trx).get(payment.id))?.status).toBe('pending');
        return payment.id;
      });
      expect(await committed(kept)).toBe(true);

      await expectRolledBack((work) => db.transaction().execute((trx) => work(storeIn(trx))));
    });
  });

  describe('PostgresPaymentStore beside Prisma 7 (PostgreSQL server; the adapter, not a generated client)', () => {
    it('shares @prisma/adapter-pg’s pool: a payment the store writes, the adapter reads', async () => {
      const { adapter, store } = paymentsBesidePrisma(pool);
      await store.migrate();
      const { payment } = await store.create(newPayment({ amount: 99 }));
      const connection = await adapter.connect();
      const result = await connection.queryRaw({
        sql: 'SELECT id, amount FROM daraja_payments WHERE id = $1',
        args: [payment.id],
        argTypes: [{ scalarType: 'string', arity: 'scalar' }],
      });
      expect(result.columnNames).toEqual(['id', 'amount']);
      expect(result.rows).toEqual([[payment.id, 99]]);
      // The adapter runs on the pool it was given, not one of its own.
      expect(pool.totalCount).toBeGreaterThan(0);
      expect(pool.totalCount).toBeLessThanOrEqual(3);
    });
  });
}
