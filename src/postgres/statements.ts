import { schemaError } from './failures.js';

/**
 * Anything that runs a parameterised query: a `pg` `Pool` or `Client`, or PGlite. `exec`, when present
 * (PGlite), is used for the multi-statement migrations.
 */
export interface SqlClient {
  /** Run one statement with `$1, $2, …` parameters; resolves to an object with the result `rows`. */
  query(text: string, params?: unknown[]): Promise<SqlResult>;
  /** Run several statements (PGlite). */
  exec?(text: string): Promise<unknown>;
}

/** The part of a query result the store reads. */
export interface SqlResult {
  /** The rows, as objects keyed by column name. */
  rows: unknown[];
}

/** The query of node-postgres that takes a statement's name. */
type NamedQuery = (config: { name: string; text: string; values: unknown[] }) => Promise<SqlResult>;

/**
 * Whether `client` is node-postgres (a `pg` `Pool` or `Client`, or a driver built on it such as Neon's),
 * whose `query` takes a named statement. PGlite and wrappers are not.
 */
export function isNodePostgres(client: SqlClient): boolean {
  const c = client as unknown as Record<string, unknown>;
  if (typeof c['connect'] !== 'function') return false;
  return typeof c['totalCount'] === 'number' || 'connectionParameters' in c;
}

/**
 * The errors that say a connection does not keep prepared statements: `26000` (a statement this client
 * prepared is not on the server connection it got) and `42P05` (the name is already taken there). Both
 * are raised before the statement runs, so sending it again unnamed is safe. A pooler in transaction
 * mode that does not track prepared statements (PgBouncer before 1.21) raises them.
 */
const NOT_KEPT = new Set(['26000', '42P05']);

/** FNV-1a of `text` in base 36: names a statement by its text, so two versions never share a name. */
function textHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/**
 * Runs the store's statements: named (prepared once per connection) when asked and the client can, else
 * plain; a missing or outdated schema becomes a `DarajaConfigError` that says to migrate.
 */
export class Statements {
  readonly #db: SqlClient;
  #prepared: boolean;
  readonly #names = new Map<string, string>();

  constructor(db: SqlClient, prepared: boolean) {
    this.#db = db;
    this.#prepared = prepared;
  }

  /** Whether statements given a name are still sent as prepared statements. */
  get prepared(): boolean {
    return this.#prepared;
  }

  /** Run `text`; as the prepared statement `name` (with its text's hash) when preparing is on. */
  async run(text: string, params: unknown[], name?: string): Promise<SqlResult> {
    try {
      if (name !== undefined && this.#prepared) {
        try {
          return await (this.#db.query as unknown as NamedQuery).call(this.#db, {
            name: this.#name(name, text),
            text,
            values: params,
          });
        } catch (error) {
          if (!NOT_KEPT.has(String((error as { code?: unknown } | null)?.code))) throw error;
          this.#prepared = false; // this connection does not keep them: plain statements from now on
        }
      }
      return await this.#db.query(text, params);
    } catch (error) {
      throw schemaError(error) ?? error;
    }
  }

  #name(name: string, text: string): string {
    let full = this.#names.get(name);
    if (full === undefined) {
      full = `${name}_${textHash(text)}`;
      this.#names.set(name, full);
    }
    return full;
  }
}
