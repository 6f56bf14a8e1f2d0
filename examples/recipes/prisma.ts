// PostgresPaymentStore beside Prisma 7 (@prisma/adapter-pg): one pg.Pool for both.
// Tested by test/integration/orm-clients.test.ts on a PostgreSQL server (the adapter over the pool; the
// generated PrismaClient is not built in the tests).
import { PrismaPg } from '@prisma/adapter-pg';
import { PostgresPaymentStore } from 'daraja-sdk/postgres';
import type pg from 'pg';

export function paymentsBesidePrisma(pool: pg.Pool) {
  // Give the adapter to the client `prisma generate` wrote: `new PrismaClient({ adapter })`.
  const adapter = new PrismaPg(pool);
  // The pool the adapter runs on: the store shares its connections.
  const store = new PostgresPaymentStore(pool);
  return { adapter, store };
}
