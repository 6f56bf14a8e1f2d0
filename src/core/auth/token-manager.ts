import { toUnreadableAnswerError } from '../http/api-errors.js';
import { sleep } from '../http/retry.js';
import type { RequestOptions, TokenSource, Transport } from '../http/transport.js';
import type { Log } from '../logger.js';
import { toBase64, toHex, utf8Bytes } from '../utils/bytes.js';
import { sha256 } from '../utils/sha256.js';
import type { CachedToken, CachedTokenFailure, TokenCache, TokenLock } from './token-cache.js';
import { fromTokenFailure, toTokenFailure } from './token-failure.js';

/** Stop using a token this long before Daraja's expiry (or half its lifetime, if shorter). */
export const DEFAULT_TOKEN_REFRESH_MARGIN_MS = 60_000;

/**
 * How long a process may hold a shared cache's refresh lock (see `TokenCache.lock`) before it expires on
 * its own: 30 s, the default timeout of one request. Waiters poll the cache for at most twice this.
 */
export const DEFAULT_TOKEN_LOCK_TTL_MS = 30_000;

const POLL_FIRST_MS = 20;
const POLL_MAX_MS = 250;

/** @internal */
export interface TokenManagerConfig {
  transport: Transport;
  cache: TokenCache;
  /** Identifies the environment (base URL) in the cache key. */
  scope: string;
  consumerKey: string;
  consumerSecret: string;
  log: Log;
  refreshMarginMs?: number;
  /** How long the refresh lock of a shared cache is taken for. @defaultValue 30 s */
  lockTtlMs?: number;
}

/**
 * @internal
 * Hands out access tokens: cached per environment and consumer key until shortly before expiry, one
 * in-flight OAuth request shared by every concurrent caller (single-flight), and invalidation after an
 * invalid-token answer. With a cache that has the optional `lock` (and `getFailure`/`setFailure`), one
 * OAuth request is shared across processes too, and a recent OAuth failure makes every caller fail fast.
 */
export class TokenManager implements TokenSource {
  readonly #transport: Transport;
  readonly #cache: TokenCache;
  readonly #key: string;
  readonly #basic: string;
  readonly #log: Log;
  readonly #marginMs: number;
  readonly #lockTtlMs: number;
  #inflight: Promise<string> | undefined;
  /** Set while the cache is failing, so one incident logs one warning. */
  #cacheDown = false;

  constructor(config: TokenManagerConfig) {
    this.#transport = config.transport;
    this.#cache = config.cache;
    this.#log = config.log;
    this.#marginMs = config.refreshMarginMs ?? DEFAULT_TOKEN_REFRESH_MARGIN_MS;
    this.#lockTtlMs = config.lockTtlMs ?? DEFAULT_TOKEN_LOCK_TTL_MS;
    const keyHash = toHex(sha256(config.consumerKey)).slice(0, 16);
    this.#key = `daraja-sdk:token:${config.scope}:${keyHash}`;
    this.#basic = `Basic ${toBase64(utf8Bytes(`${config.consumerKey}:${config.consumerSecret}`))}`;
  }

  /** The cache key tokens are stored under (contains no secret). */
  get cacheKey(): string {
    return this.#key;
  }

  /** A valid access token, from the cache or a (shared) OAuth request. */
  async get(options?: RequestOptions): Promise<string> {
    if (this.#inflight) return this.#inflight;
    return (await this.#valid()) ?? this.#refresh(options);
  }

  // A failing shared cache (e.g. Redis down) must not stop payments: treat it as a miss.
  async #readCache(): Promise<CachedToken | undefined> {
    try {
      const cached = await this.#cache.get(this.#key);
      this.#cacheDown = false;
      return cached;
    } catch (error) {
      this.#cacheFailed('read', error);
      return undefined;
    }
  }

  /** One warning per incident: the first failure after the cache last worked. */
  #cacheFailed(operation: string, error: unknown): void {
    if (this.#cacheDown) return;
    this.#cacheDown = true;
    this.#log.warn(`token cache ${operation} failed; fetching tokens without it until it recovers`, {
      error,
    });
  }

  async #valid(): Promise<string | undefined> {
    const cached = await this.#readCache();
    return cached && cached.expiresAt > Date.now() ? cached.accessToken : undefined;
  }

  /** Forget `token` if it is still the cached one (a concurrent caller may already have replaced it). */
  async invalidate(token: string): Promise<void> {
    const cached = await this.#readCache();
    if (cached?.accessToken !== token) return;
    try {
      await this.#cache.delete(this.#key);
    } catch (error) {
      this.#log.warn('token cache delete failed', { error });
    }
  }

  #refresh(options?: RequestOptions): Promise<string> {
    this.#inflight ??= this.#obtain(options).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #recentFailure(): Promise<CachedTokenFailure | undefined> {
    if (!this.#cache.getFailure) return undefined;
    try {
      return await this.#cache.getFailure(this.#key);
    } catch (error) {
      this.#cacheFailed('read', error);
      return undefined;
    }
  }

  async #tryLock(): Promise<TokenLock | undefined | 'unavailable'> {
    try {
      return await (this.#cache.lock?.(this.#key, this.#lockTtlMs) ?? 'unavailable');
    } catch (error) {
      this.#cacheFailed('lock', error);
      return 'unavailable';
    }
  }

  /**
   * A token after a miss. Without a lock (none in the cache, or the cache down): fetch. With one: the
   * holder re-reads the cache and fetches; the others poll the cache until a token or a recorded failure
   * appears, or the lock frees up (expired without a token), for at most twice the lock's TTL.
   */
  async #obtain(options?: RequestOptions): Promise<string> {
    const deadline = Date.now() + 2 * this.#lockTtlMs;
    let pause = POLL_FIRST_MS;
    for (;;) {
      const failure = await this.#recentFailure();
      if (failure) throw fromTokenFailure(failure);
      const lock = await this.#tryLock();
      if (lock === 'unavailable') return this.#fetch(options);
      if (lock) return this.#fetchHolding(lock, options);
      await sleep(pause, options?.signal);
      pause = Math.min(POLL_MAX_MS, Math.round(pause * 1.5));
      const token = await this.#valid();
      if (token !== undefined) return token;
      if (Date.now() > deadline) {
        this.#log.warn('token refresh lock still held elsewhere; fetching a token without it', {
          waitedMs: 2 * this.#lockTtlMs,
        });
        return this.#fetch(options);
      }
    }
  }

  async #fetchHolding(lock: TokenLock, options?: RequestOptions): Promise<string> {
    try {
      const token = await this.#valid(); // stored by the previous holder, just before we got the lock
      if (token !== undefined) return token;
      const failure = await this.#recentFailure();
      if (failure) throw fromTokenFailure(failure);
      return await this.#fetch(options);
    } finally {
      await lock.release().catch((error: unknown) => this.#cacheFailed('lock release', error));
    }
  }

  async #fetch(options?: RequestOptions): Promise<string> {
    const started = Date.now();
    try {
      return await this.#request(started, options);
    } catch (error) {
      if (!options?.signal?.aborted) await this.#recordFailure(error, started);
      throw error;
    }
  }

  async #recordFailure(error: unknown, failedAt: number): Promise<void> {
    const failure = this.#cache.setFailure ? toTokenFailure(error, failedAt) : undefined;
    if (!failure) return;
    try {
      await this.#cache.setFailure?.(this.#key, failure);
    } catch (cacheError) {
      this.#cacheFailed('write', cacheError);
    }
  }

  async #request(started: number, options?: RequestOptions): Promise<string> {
    const { body, status } = await this.#transport.send(
      {
        operation: 'oauth',
        product: 'Authorization',
        method: 'GET',
        path: '/oauth/v1/generate?grant_type=client_credentials',
        auth: { basic: this.#basic },
        moneyMoving: false,
      },
      options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const accessToken = record['access_token'];
    const expiresInSeconds = Number(record['expires_in']);
    if (
      typeof accessToken !== 'string' ||
      accessToken === '' ||
      !Number.isFinite(expiresInSeconds) ||
      expiresInSeconds <= 0
    ) {
      throw toUnreadableAnswerError(
        { operation: 'oauth', moneyMoving: false },
        status,
        typeof body === 'object' ? '[OAuth answer without a usable token]' : '',
        '[daraja] oauth: Daraja answered without a usable access_token / expires_in. Check baseUrl points at Daraja.',
      );
    }
    const lifetimeMs = expiresInSeconds * 1000;
    const margin = Math.min(this.#marginMs, lifetimeMs / 2);
    const entry: CachedToken = { accessToken, expiresAt: started + lifetimeMs - margin };
    try {
      await this.#cache.set(this.#key, entry);
    } catch (error) {
      this.#cacheFailed('write', error);
    }
    this.#log.info('access token fetched', { expiresInSeconds, durationMs: Date.now() - started });
    return accessToken;
  }
}
