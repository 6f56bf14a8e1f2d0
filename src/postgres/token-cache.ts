import type { CachedToken, CachedTokenFailure, TokenCache, TokenLock } from '../core/auth/token-cache.js';
import { DEFAULT_TOKEN_FAILURE_TTL_MS } from '../core/auth/token-cache.js';
import { PostgresPaymentStore, type SqlClient } from './store.js';

/** Options of {@link PostgresTokenCache}. */
export interface PostgresTokenCacheOptions {
  /**
   * How long an OAuth failure is kept, so other processes fail fast instead of calling OAuth again.
   * `0` turns the negative cache off. @defaultValue {@link DEFAULT_TOKEN_FAILURE_TTL_MS} (5 s)
   */
  failureTtlMs?: number;
}

// Times of the lock and the failure are the database's clock, so skewed app clocks agree on a lease.
const LEASE = `clock_timestamp() + make_interval(secs => $3::double precision / 1000)`;
const UPSERT = `INSERT INTO daraja_token_cache (cache_key, kind, value, until) VALUES ($1, $4, $2, ${LEASE})
  ON CONFLICT (cache_key, kind) DO UPDATE SET value = EXCLUDED.value, until = EXCLUDED.until`;
const TAKE_LOCK = `${UPSERT} WHERE daraja_token_cache.until <= clock_timestamp() RETURNING value`;
const SELECT_LIVE = `SELECT value FROM daraja_token_cache
  WHERE cache_key = $1 AND kind = $2 AND until > clock_timestamp()`;

/**
 * A shared {@link TokenCache} in PostgreSQL, over the same clients as {@link PostgresPaymentStore}
 * (`pg.Pool`, `pg.Client`, PGlite), with the cross-process refresh lock and the negative cache, so N
 * cold processes make one OAuth request between them. Its table, `daraja_token_cache`, is created by
 * migration 3 of {@link MIGRATIONS}: `npx daraja-sdk migrate`, `PostgresPaymentStore.migrate()` or
 * {@link PostgresTokenCache.migrate}. The lock is a row with a lease on the database's clock, taken by
 * `INSERT … ON CONFLICT DO UPDATE … WHERE` the lease expired and released by its owner (no advisory lock:
 * a pool's connections are not sticky). See docs/token-caches.md.
 *
 * @example
 * ```ts
 * const tokenCache = new PostgresTokenCache(pool); // pool: a pg.Pool
 * await tokenCache.migrate();
 * const daraja = Daraja.fromEnv(process.env, { tokenCache });
 * ```
 */
export class PostgresTokenCache implements TokenCache {
  readonly #db: SqlClient;
  readonly #failureTtlMs: number;

  /**
   * @param db - A `pg.Pool`, `pg.Client` or PGlite instance (anything with `query(text, params)`).
   * @param options - The negative cache's duration.
   */
  constructor(db: SqlClient, options: PostgresTokenCacheOptions = {}) {
    this.#db = db;
    this.#failureTtlMs = options.failureTtlMs ?? DEFAULT_TOKEN_FAILURE_TTL_MS;
  }

  /** Apply the package's migrations (the same as `PostgresPaymentStore.migrate`); returns the versions applied. */
  migrate(): Promise<number[]> {
    return new PostgresPaymentStore(this.#db).migrate();
  }

  async #live(key: string, kind: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await this.#db.query(SELECT_LIVE, [key, kind]);
    const value = (rows[0] as { value?: unknown } | undefined)?.value;
    return typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : undefined;
  }

  /** The token stored under `key`, or `undefined` once it expired. */
  async get(key: string): Promise<CachedToken | undefined> {
    const v = await this.#live(key, 'token');
    if (typeof v?.['accessToken'] !== 'string' || typeof v['expiresAt'] !== 'number') return undefined;
    return { accessToken: v['accessToken'], expiresAt: v['expiresAt'] };
  }

  /** Store a token under `key` until its `expiresAt`. */
  async set(key: string, token: CachedToken): Promise<void> {
    const ttlMs = Math.floor(token.expiresAt - Date.now());
    if (ttlMs > 0) await this.#db.query(UPSERT, [key, JSON.stringify(token), ttlMs, 'token']);
  }

  /** Remove the token stored under `key`. */
  async delete(key: string): Promise<void> {
    await this.#db.query(`DELETE FROM daraja_token_cache WHERE cache_key = $1 AND kind = 'token'`, [key]);
  }

  /**
   * Take the refresh lock of `key` for `ttlMs` (a lease on the database's clock): a lock this caller now
   * holds, releasable only by it, or `undefined` while another holder's lease runs.
   */
  async lock(key: string, ttlMs: number): Promise<TokenLock | undefined> {
    const owner = globalThis.crypto.randomUUID();
    const { rows } = await this.#db.query(TAKE_LOCK, [key, owner, Math.max(1, Math.ceil(ttlMs)), 'lock']);
    if (rows.length === 0) return undefined;
    return {
      release: async () => {
        await this.#db.query(
          `DELETE FROM daraja_token_cache WHERE cache_key = $1 AND kind = 'lock' AND value = $2`,
          [key, owner],
        );
      },
    };
  }

  /** The OAuth failure recorded for `key` within the negative-cache window, or `undefined`. */
  async getFailure(key: string): Promise<CachedTokenFailure | undefined> {
    if (this.#failureTtlMs <= 0) return undefined;
    return (await this.#live(key, 'failure')) as CachedTokenFailure | undefined;
  }

  /** Record a failed OAuth request for `key` for `failureTtlMs`. */
  async setFailure(key: string, failure: CachedTokenFailure): Promise<void> {
    if (this.#failureTtlMs <= 0) return;
    await this.#db.query(UPSERT, [key, JSON.stringify(failure), this.#failureTtlMs, 'failure']);
  }
}
