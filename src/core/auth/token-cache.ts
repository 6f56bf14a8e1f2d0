/** An access token and the moment it stops being usable. */
export interface CachedToken {
  /** The OAuth access token. Never log it. */
  accessToken: string;
  /** When the token expires, in milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * A failed OAuth request, as kept by a shared cache's negative cache (see {@link TokenCache.setFailure}).
 * It holds what the error said, never a token, a key or a secret: the token manager rebuilds an error of
 * the same class from it (a `DarajaAuthError` for rejected credentials, a `DarajaNetworkError` when
 * Daraja could not be reached…).
 */
export interface CachedTokenFailure {
  /** The class name of the error, e.g. `DarajaAuthError`, `DarajaApiError`, `DarajaNetworkError`. */
  name: string;
  /** The error's message. */
  message: string;
  /** The HTTP status of the answer, for an error answer. */
  status?: number | undefined;
  /** Daraja's `errorCode`, when the answer had one. */
  errorCode?: string | undefined;
  /** Daraja's `errorMessage`, when the answer had one. */
  errorMessage?: string | undefined;
  /** When the request failed, in milliseconds since the epoch. */
  failedAt: number;
}

/**
 * A refresh lock held by this process (see {@link TokenCache.lock}). It expires on its own after the
 * time it was taken for, so a crashed holder never blocks the others for longer than that.
 */
export interface TokenLock {
  /**
   * Give the lock back. Only the holder's own lock is removed (a compare-and-delete on a random owner
   * value): if it already expired and another process took it, that process keeps it.
   */
  release(): Promise<void>;
}

/**
 * Where access tokens are kept between calls. The default {@link MemoryTokenCache} keeps them in the
 * process; a shared cache lets several processes use one token. (Daraja may invalidate the previous
 * token each time a new one is issued, so sharing matters when you run many instances.) Ready-made
 * shared caches: `createRedisTokenCache` in `daraja-sdk/redis` (ioredis, node-redis, Upstash) and
 * `PostgresTokenCache` in `daraja-sdk/postgres`; see docs/token-caches.md.
 *
 * Keys are opaque strings built from the environment and a hash of the consumer key (no secret). The
 * three basic methods may be synchronous or return promises; a cache that throws is treated as a miss,
 * never as a failed call.
 *
 * Two optional extensions make N cold processes share one OAuth request. A cache without them behaves as
 * before (one OAuth request per process):
 *
 * - {@link TokenCache.lock}: a cross-process refresh lock. On a miss, the process that gets it re-reads
 *   the cache, fetches the token, stores it and releases the lock; the others poll the cache meanwhile.
 * - {@link TokenCache.getFailure} / {@link TokenCache.setFailure}: a short negative cache. When OAuth
 *   fails, the failure is kept for a few seconds so the other processes fail fast with the same error
 *   class instead of hammering the endpoint.
 */
export interface TokenCache {
  /** Return the token stored under `key`, or `undefined`. */
  get(key: string): CachedToken | undefined | Promise<CachedToken | undefined>;
  /** Store a token under `key`. It may be dropped after `token.expiresAt`. */
  set(key: string, token: CachedToken): void | Promise<void>;
  /** Remove the token stored under `key`. */
  delete(key: string): void | Promise<void>;
  /**
   * Optional. Try to take the refresh lock of `key` for `ttlMs`: resolve to a {@link TokenLock} when this
   * caller now holds it, `undefined` when another holder has it. The lock must expire by itself after
   * `ttlMs` and be releasable only by its holder.
   */
  lock?(key: string, ttlMs: number): Promise<TokenLock | undefined>;
  /**
   * Optional (with {@link TokenCache.setFailure}). The OAuth failure recorded for `key` within the
   * negative-cache window, or `undefined`.
   */
  getFailure?(key: string): Promise<CachedTokenFailure | undefined>;
  /**
   * Optional (with {@link TokenCache.getFailure}). Record a failed OAuth request for `key`, to be
   * returned by `getFailure` for the cache's negative-cache window (a few seconds), then forgotten.
   */
  setFailure?(key: string, failure: CachedTokenFailure): Promise<void>;
}

/** The default {@link TokenCache}: a `Map` in this process. */
export class MemoryTokenCache implements TokenCache {
  readonly #tokens = new Map<string, CachedToken>();

  /** {@inheritDoc TokenCache.get} */
  get(key: string): CachedToken | undefined {
    return this.#tokens.get(key);
  }

  /** {@inheritDoc TokenCache.set} */
  set(key: string, token: CachedToken): void {
    this.#tokens.set(key, token);
  }

  /** {@inheritDoc TokenCache.delete} */
  delete(key: string): void {
    this.#tokens.delete(key);
  }
}

/** How long a shared cache keeps an OAuth failure (its negative cache), unless configured: 5 s. */
export const DEFAULT_TOKEN_FAILURE_TTL_MS = 5_000;
