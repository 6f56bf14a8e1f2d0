import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, it } from 'vitest';
import { MemoryPaymentStore, type PaymentStore } from '../../src/index.js';
import { PostgresPaymentStore } from '../../src/postgres/index.js';
import { freshStore, MYSQL_SKIP } from './mysql.js';

/** The PostgreSQL server to test against, when set (CI sets it). */
export const DATABASE_URL = process.env['DATABASE_URL'];

/** A kind of store the store-level tests run against, with a factory for fresh, migrated stores. */
export interface StoreKind {
  name: string;
  /** Why it is skipped here, or undefined when it runs. */
  skip?: string;
  make: () => Promise<PaymentStore>;
}

let pglite: PGlite | undefined;
const pools: pg.Pool[] = [];
const schemas: string[] = [];

afterAll(async () => {
  if (DATABASE_URL && schemas.length > 0) {
    const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
  }
  await Promise.all(pools.splice(0).map((p) => p.end()));
  await pglite?.close();
  pglite = undefined;
});

/** A fresh schema on one shared PGlite instance (PGlite is one connection; tests in a file run in turn). */
async function makePglite(): Promise<PaymentStore> {
  pglite ??= new PGlite();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await pglite.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema};`);
  const store = new PostgresPaymentStore(pglite);
  await store.migrate();
  return store;
}

/** A fresh schema on the PostgreSQL server, through a real pool of several connections. */
async function makeServer(): Promise<PaymentStore> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  schemas.push(schema);
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 8, options: `-c search_path=${schema}` });
  pools.push(pool);
  const store = new PostgresPaymentStore(pool);
  await store.migrate();
  return store;
}

export const STORE_KINDS: StoreKind[] = [
  { name: 'MemoryPaymentStore', make: async () => new MemoryPaymentStore() },
  { name: 'PostgresPaymentStore on PGlite', make: makePglite },
  {
    name: 'PostgresPaymentStore on the PostgreSQL server',
    ...(DATABASE_URL
      ? {}
      : {
          skip: 'DATABASE_URL is not set; .ci/run starts PostgreSQL and sets it. PGlite still covers the SQL.',
        }),
    make: makeServer,
  },
  {
    name: 'MySqlPaymentStore on the MySQL/MariaDB server',
    ...(MYSQL_SKIP ? { skip: MYSQL_SKIP } : {}),
    make: makeMySql,
  },
];

const mysqlStores: { close: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const s of mysqlStores.splice(0)) await s.close();
});

/** A fresh database on the MySQL/MariaDB server at MYSQL_URL (dropped after the file's tests). */
async function makeMySql(): Promise<PaymentStore> {
  const s = await freshStore();
  mysqlStores.push(s);
  return s.store;
}

/** Register a visible skipped test that says why a store kind did not run. */
export function reportSkip(kind: StoreKind): void {
  it.skip(`${kind.name}: SKIPPED: ${kind.skip}`, () => {});
}
