import type { MySqlConnection, MySqlPool } from './client.js';
import { isRetryable, schemaError, withoutStatement } from './failures.js';
import { CREATE_MIGRATIONS_TABLE, MIGRATION_LOCK, MYSQL_MIGRATIONS } from './migrations.js';
import type { Row } from './rows.js';

/** Runs one statement on one connection (or the pool) with the store's timeout; resolves to its result. */
export type Run = (sql: string, values?: unknown[]) => Promise<unknown>;

/** How many times a statement or transaction that deadlocked is run in all. */
const DEADLOCK_ATTEMPTS = 4;

/** The lock name of `migrate()`, per database: `GET_LOCK` names are server-wide. */
const LOCK_NAME = "CONCAT(?, SHA1(COALESCE(DATABASE(), '')))";

/**
 * The store's access to the pool: statements with a timeout and sanitised errors (a missing schema as a
 * `DarajaConfigError`), transactions on a connection of their own, deadlock retries, and migrations.
 */
export class Db {
  readonly #pool: MySqlPool;
  readonly #timeoutMs: number;

  constructor(pool: MySqlPool, timeoutMs: number) {
    this.#pool = pool;
    this.#timeoutMs = timeoutMs;
  }

  /** A {@link Run} on `on`: the pool by default. */
  runner(on: MySqlPool | MySqlConnection = this.#pool): Run {
    return async (sql, values = []) => {
      try {
        const [result] = await on.query({ sql, values, timeout: this.#timeoutMs });
        return result;
      } catch (error) {
        throw schemaError(error) ?? withoutStatement(error);
      }
    };
  }

  /** One statement on the pool. */
  run(sql: string, values: unknown[] = []): Promise<unknown> {
    return this.runner()(sql, values);
  }

  /** One query on the pool; its rows. */
  async rows(sql: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.run(sql, values)) as Row[];
  }

  /** Run `fn` again while it fails with a deadlock (InnoDB rolled it back: nothing was written). */
  async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!isRetryable(error) || attempt >= DEADLOCK_ATTEMPTS) throw error;
      }
    }
  }

  /** Run `fn` in a transaction on a connection of its own and commit what it wrote; again after a deadlock. */
  tx<T>(fn: (run: Run) => Promise<T>): Promise<T> {
    return this.retrying(async () => {
      const conn = await this.#pool.getConnection();
      const run = this.runner(conn);
      let healthy = true;
      try {
        await run('START TRANSACTION');
        const result = await fn(run);
        await run('COMMIT');
        return result;
      } catch (error) {
        healthy = await run('ROLLBACK').then(
          () => true,
          () => false,
        );
        throw error;
      } finally {
        // A connection that cannot even roll back is closed, not handed to the next caller.
        if (healthy || typeof conn.destroy !== 'function') conn.release();
        else conn.destroy();
      }
    });
  }

  /** Apply the missing migrations under a per-database `GET_LOCK`; the versions this call applied. */
  async migrate(): Promise<number[]> {
    const conn = await this.#pool.getConnection();
    const run = this.runner(conn);
    try {
      const [lock] = (await run(`SELECT GET_LOCK(${LOCK_NAME}, 60) AS got`, [`${MIGRATION_LOCK}:`])) as Row[];
      if (Number(lock?.['got']) !== 1)
        throw new Error('[daraja] migrate(): another instance held the migration lock for 60 s');
      try {
        return await applyMigrations(run);
      } finally {
        await run(`SELECT RELEASE_LOCK(${LOCK_NAME})`, [`${MIGRATION_LOCK}:`]);
      }
    } finally {
      conn.release();
    }
  }
}

async function applyMigrations(run: Run): Promise<number[]> {
  await run(CREATE_MIGRATIONS_TABLE);
  const rows = (await run('SELECT version FROM daraja_schema_migrations')) as Row[];
  const done = new Set(rows.map((r) => Number(r['version'])));
  const applied: number[] = [];
  for (const m of MYSQL_MIGRATIONS) {
    if (done.has(m.version)) continue;
    for (const statement of m.statements) await run(statement);
    await run('INSERT INTO daraja_schema_migrations (version, name) VALUES (?, ?)', [m.version, m.name]);
    applied.push(m.version);
  }
  return applied;
}
