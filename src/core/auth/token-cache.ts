/** An access token and the moment it stops being usable. */
export interface CachedToken {
  /** The OAuth access token. Never log it. */
  accessToken: string;
  /** When the token expires, in milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Where access tokens are kept between calls. The default {@link MemoryTokenCache} keeps them in the
 * process; implement this interface over Redis, a database or a file so several processes share one
 * token. (Daraja may invalidate the previous token each time a new one is issued, so sharing matters
 * when you run many instances.)
 *
 * Keys are opaque strings built from the environment and a hash of the consumer key. Methods may be
 * synchronous or return promises.
 *
 * @example
 * ```ts
 * const redisTokenCache: TokenCache = {
 *   async get(key) { const v = await redis.get(key); return v ? JSON.parse(v) : undefined; },
 *   async set(key, token) { await redis.set(key, JSON.stringify(token), 'PXAT', token.expiresAt); },
 *   async delete(key) { await redis.del(key); },
 * };
 * ```
 */
export interface TokenCache {
  /** Return the token stored under `key`, or `undefined`. */
  get(key: string): CachedToken | undefined | Promise<CachedToken | undefined>;
  /** Store a token under `key`. It may be dropped after `token.expiresAt`. */
  set(key: string, token: CachedToken): void | Promise<void>;
  /** Remove the token stored under `key`. */
  delete(key: string): void | Promise<void>;
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
