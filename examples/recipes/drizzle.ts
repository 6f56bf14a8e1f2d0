// PostgresPaymentStore beside Drizzle (node-postgres driver): one pg.Pool for both.
// Tested by test/integration/orm-clients.test.ts on a PostgreSQL server.
import { PostgresPaymentStore } from 'daraja-sdk/postgres';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';

export function paymentsBesideDrizzle(pool: pg.Pool) {
  const db = drizzle({ client: pool });
  // `db.$client` is the pool Drizzle runs on: the store shares its connections.
  const store = new PostgresPaymentStore(db.$client);
  return { db, store };
}

// One transaction for your rows and the store's: Drizzle's `db.transaction` keeps its connection to
// itself, so check one out, and give Drizzle and the store that same connection.
export async function inOneTransaction<T>(
  pool: pg.Pool,
  work: (db: NodePgDatabase, store: PostgresPaymentStore) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(drizzle({ client }), new PostgresPaymentStore(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
