import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { MySqlPaymentStore, type MySqlPaymentStoreOptions } from '../../src/mysql/index.js';

/**
 * The MySQL or MariaDB server to test against, when set (e.g.
 * `mysql://daraja_ci:daraja_ci@127.0.0.1:3306/daraja_ci`; its user may create and drop databases).
 */
export const MYSQL_URL = process.env['MYSQL_URL'];

/** Why the MySQL tests are skipped here, or undefined when they run. */
export const MYSQL_SKIP = MYSQL_URL
  ? undefined
  : 'MYSQL_URL is not set (e.g. mysql://daraja_ci:daraja_ci@127.0.0.1:3306/daraja_ci; see docs/mysql.md)';

/** The URL with another database (and optionally another host and port). */
export function urlFor(database: string, base = MYSQL_URL!): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh database on the server, and how to drop it. */
export async function freshDatabase(prefix = 't'): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `daraja_${prefix}_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  return { name, drop: () => admin(`DROP DATABASE IF EXISTS ${name}`) };
}

async function admin(sql: string): Promise<void> {
  const conn = await mysql.createConnection(MYSQL_URL!);
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/** A pool on a database, with the timeouts an app should set so an outage is an error within seconds. */
export function poolOn(url: string, options: mysql.PoolOptions = {}): mysql.Pool {
  return mysql.createPool({ uri: url, connectionLimit: 8, connectTimeout: 2_000, ...options });
}

/** A migrated store in a fresh database; `close` ends its pool and drops the database. */
export interface MySqlTestStore {
  store: MySqlPaymentStore;
  pool: mysql.Pool;
  database: string;
  close: () => Promise<void>;
}

export async function freshStore(
  options: MySqlPaymentStoreOptions & { pool?: mysql.PoolOptions } = {},
): Promise<MySqlTestStore> {
  const db = await freshDatabase();
  const pool = poolOn(urlFor(db.name), options.pool);
  const store = new MySqlPaymentStore(pool, options);
  await store.migrate();
  return {
    store,
    pool,
    database: db.name,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}
