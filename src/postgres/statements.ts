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

/** One fenced completion waiting for its batch. */
interface Waiting {
  id: string;
  claim: string;
  resolve(done: boolean): void;
  reject(error: unknown): void;
}

/**
 * Completes fulfilments the way a database groups commits: at most `lanes` statements at a time, and
 * whatever calls arrive while they run go together in the next one (at most `max` each). Alone, a
 * completion is sent at once as before; under load, 16 callbacks in flight complete in a few statements
 * rather than 16. Each caller still learns whether its own claim completed (fenced by its token).
 */
export class CompletionBatcher {
  readonly #queue: Waiting[] = [];
  #inFlight = 0;
  readonly #one: (id: string, claim: string) => Promise<boolean>;
  readonly #many: (ids: string[], claims: string[]) => Promise<Set<string>>;
  readonly #lanes: number;
  readonly #max: number;

  /**
   * @param one - Completes one claim: whether it completed.
   * @param many - Completes several (distinct payments, each with its own claim): the ids of those that
   * completed.
   * @param limits - At most `lanes` statements in flight, `max` completions in one.
   */
  constructor(
    one: (id: string, claim: string) => Promise<boolean>,
    many: (ids: string[], claims: string[]) => Promise<Set<string>>,
    limits: { lanes?: number; max?: number } = {},
  ) {
    this.#one = one;
    this.#many = many;
    this.#lanes = limits.lanes ?? 2;
    this.#max = limits.max ?? 256;
  }

  /** Complete the claim `claim` of payment `id`; resolves to whether it completed. */
  complete(id: string, claim: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ id, claim, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#lanes && this.#queue.length > 0) {
      this.#inFlight++;
      void this.#send(this.#take()).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  /** The next batch: up to `max` waiting calls for distinct payments (a repeat waits for the next). */
  #take(): Waiting[] {
    const batch: Waiting[] = [];
    const ids = new Set<string>();
    for (let i = 0; i < this.#queue.length && batch.length < this.#max; ) {
      const w = this.#queue[i]!;
      if (ids.has(w.id)) {
        i++;
        continue;
      }
      ids.add(w.id);
      batch.push(w);
      this.#queue.splice(i, 1);
    }
    return batch;
  }

  async #send(batch: Waiting[]): Promise<void> {
    try {
      if (batch.length === 1) {
        const w = batch[0]!;
        w.resolve(await this.#one(w.id, w.claim));
        return;
      }
      const done = await this.#many(
        batch.map((w) => w.id),
        batch.map((w) => w.claim),
      );
      for (const w of batch) w.resolve(done.has(w.id)); // ids are distinct in a batch
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
