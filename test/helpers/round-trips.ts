import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { PostgresPaymentStore, type SqlClient } from '../../src/postgres/index.js';
import { DATABASE_URL } from './stores.js';

/**
 * A database client that counts its round trips: every `query` call is one statement sent and one answer
 * awaited. `statements` keeps their first words, to say which ones a step sent when a count is off.
 */
export interface CountingClient extends SqlClient {
  /** Round trips since the last {@link CountingClient.reset}. */
  readonly count: number;
  /** The first line of each statement sent since the last reset, in order. */
  readonly statements: readonly string[];
  /** Start counting from zero. */
  reset(): void;
}

/** Wrap `db` (a `pg.Pool`, `pg.Client` or PGlite) so that every `query` is counted. */
export function countRoundTrips(db: SqlClient): CountingClient {
  let statements: string[] = [];
  return {
    get count() {
      return statements.length;
    },
    get statements() {
      return statements;
    },
    reset() {
      statements = [];
    },
    query(text, params) {
      // A named statement (`preparedStatements`) comes as node-postgres' `{ name, text, values }`.
      const sql = typeof text === 'string' ? text : (text as { text: string }).text;
      statements.push(sql.trim().split('\n')[0]!.slice(0, 60));
      return db.query(text, params);
    },
  };
}

/** A migrated `PostgresPaymentStore` over a counting client, and how to close what it opened. */
export interface CountedStore {
  store: PostgresPaymentStore;
  db: CountingClient;
  close: () => Promise<void>;
}

/** On a fresh PGlite (in-process, one connection). */
export async function countedPglite(): Promise<CountedStore> {
  const lite = new PGlite();
  const db = countRoundTrips(lite);
  const store = new PostgresPaymentStore({ query: db.query, exec: (t) => lite.exec(t) });
  await store.migrate();
  db.reset();
  return { store, db, close: () => lite.close() };
}

/**
 * On a fresh schema of the PostgreSQL server at `DATABASE_URL`, through a pool of several connections
 * (with the store's `preparedStatements` when asked).
 */
export async function countedServer(options: { preparedStatements?: boolean } = {}): Promise<CountedStore> {
  const schema = `rt_${randomBytes(6).toString('hex')}`;
  await once((admin) => admin.query(`CREATE SCHEMA ${schema}`));
  // Idle connections close soon: a suite opens one such store per test.
  const pool = new pg.Pool({
    connectionString: DATABASE_URL,
    max: 4,
    idleTimeoutMillis: 200,
    options: `-c search_path=${schema}`,
  });
  const db = countRoundTrips(pool);
  const store = new PostgresPaymentStore(db, options);
  await store.migrate();
  db.reset();
  return {
    store,
    db,
    close: async () => {
      await pool.end();
      await once((admin) => admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
  };
}

/** Run `fn` on a connection of its own, closed after. */
async function once(fn: (admin: pg.Pool) => Promise<unknown>): Promise<void> {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  try {
    await fn(admin);
  } finally {
    await admin.end();
  }
}
