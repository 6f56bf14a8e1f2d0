// PostgresPaymentStore beside Kysely (PostgresDialect): one pg.Pool for both.
// Tested by test/integration/orm-clients.test.ts on a PostgreSQL server.
import { PostgresPaymentStore } from 'daraja-sdk/postgres';
import { CompiledQuery, Kysely, PostgresDialect, type Transaction } from 'kysely';
import type pg from 'pg';

export function paymentsBesideKysely<Database>(pool: pg.Pool) {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // The pool the dialect runs on: the store shares its connections.
  const store = new PostgresPaymentStore(pool);
  return { db, store };
}

// The store inside a Kysely transaction: each of its statements runs on `trx`, and so commits or rolls
// back with your own.
export function storeIn<Database>(trx: Transaction<Database>) {
  return new PostgresPaymentStore({
    query: (text, params = []) => trx.executeQuery(CompiledQuery.raw(text, params)),
  });
}
