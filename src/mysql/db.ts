import { isRetryable, isTransportError, schemaError, withoutStatement } from './failures.js';
import { CREATE_MIGRATIONS_TABLE, MIGRATION_LOCK, MYSQL_MIGRATIONS } from './migrations.js';
import type { MySqlConnection, MySqlPool } from './pool.js';
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

  /**
   * Run `fn` on a connection of its own. After a transport failure (a timeout, a dropped connection) the
   * connection is closed rather than given back: mysql2 keeps a timed-out statement queued on it, so the
   * next statement sent on it would wait behind it with no timeout of its own.
   */
  async #withConnection<T>(fn: (conn: MySqlConnection, broken: () => void) => Promise<T>): Promise<T> {
    const conn = await this.#pool.getConnection();
    let healthy = true;
    const broken = () => {
      healthy = false;
    };
    try {
      return await fn(conn, broken);
    } catch (error) {
      if (isTransportError(error)) broken();
      throw error;
    } finally {
      if (healthy || typeof conn.destroy !== 'function') conn.release();
      else conn.destroy();
    }
  }

  /** One statement, on a connection taken from the pool for it. */
  run(sql: string, values: unknown[] = []): Promise<unknown> {
    return this.#withConnection((conn) => this.runner(conn)(sql, values));
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

  /**
   * Run `fn` in a transaction on a connection of its own and commit what it wrote; again after a deadlock.
   * `readCommitted` is for the `SKIP LOCKED` claims: under InnoDB's default REPEATABLE READ a scan also
   * keeps locks on rows it read but did not take, which concurrent claimers would then skip.
   */
  tx<T>(fn: (run: Run) => Promise<T>, options: { readCommitted?: boolean } = {}): Promise<T> {
    return this.retrying(() =>
      this.#withConnection(async (conn, broken) => {
        const run = this.runner(conn);
        if (options.readCommitted) await run('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        await run('START TRANSACTION');
        try {
          const result = await fn(run);
          await run('COMMIT');
          return result;
        } catch (error) {
          // On a transport failure the connection is closed, and the server rolls back on its own.
          if (
            !isTransportError(error) &&
            !(await run('ROLLBACK').then(
              () => true,
              () => false,
            ))
          )
            broken();
          throw error;
        }
      }),
    );
  }

  /** Apply the missing migrations under a per-database `GET_LOCK`; the versions this call applied. */
  async migrate(): Promise<number[]> {
    return this.#withConnection(async (conn) => {
      const run = this.runner(conn);
      const [lock] = (await run(`SELECT GET_LOCK(${LOCK_NAME}, 60) AS got`, [`${MIGRATION_LOCK}:`])) as Row[];
      if (Number(lock?.['got']) !== 1)
        throw new Error('[daraja] migrate(): another instance held the migration lock for 60 s');
      try {
        return await applyMigrations(run);
      } finally {
        await run(`SELECT RELEASE_LOCK(${LOCK_NAME})`, [`${MIGRATION_LOCK}:`]);
      }
    });
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
