/**
 * The part of a mysql2 promise pool (`mysql2/promise`'s `createPool(…)`) the store uses, typed here so
 * that daraja-sdk needs no mysql2 at run time or in its types. A mysql2 `Pool` fits as it is.
 */
export interface MySqlPool {
  /** Run one statement; `?` placeholders take `values` (an array expands to a list). */
  query(options: MySqlQueryOptions): Promise<readonly [unknown, unknown?]>;
  /** A connection of its own, for a transaction; given back with `release()`. */
  getConnection(): Promise<MySqlConnection>;
}

/** One connection taken from a {@link MySqlPool}. */
export interface MySqlConnection {
  /** Run one statement on this connection. */
  query(options: MySqlQueryOptions): Promise<readonly [unknown, unknown?]>;
  /** Give the connection back to the pool. */
  release(): void;
  /** Close it for good (after it failed mid-transaction). */
  destroy?(): void;
}

/** A statement as mysql2's `query` takes it. */
export interface MySqlQueryOptions {
  /** The SQL, with `?` placeholders. */
  sql: string;
  /** The parameters. */
  values?: unknown[];
  /** Milliseconds before the client gives up on the answer (mysql2 then closes the connection). */
  timeout?: number;
}

/** The result of an `UPDATE`, `INSERT` or `DELETE` (mysql2's `ResultSetHeader`). */
export interface MySqlWriteResult {
  /** Rows matched (mysql2 connects with `FOUND_ROWS`, its default). */
  affectedRows: number;
}
