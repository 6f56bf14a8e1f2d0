import { toUnreadableAnswerError } from '../http/api-errors.js';
import type { RequestOptions, TokenSource, Transport } from '../http/transport.js';
import type { Log } from '../logger.js';
import { toBase64, toHex, utf8Bytes } from '../utils/bytes.js';
import { sha256 } from '../utils/sha256.js';
import type { CachedToken, TokenCache } from './token-cache.js';

/** Stop using a token this long before Daraja's expiry (or half its lifetime, if shorter). */
export const DEFAULT_TOKEN_REFRESH_MARGIN_MS = 60_000;

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
}

/**
 * @internal
 * Hands out access tokens: cached per environment and consumer key until shortly before expiry, one
 * in-flight OAuth request shared by every concurrent caller (single-flight), and invalidation after an
 * invalid-token answer.
 */
export class TokenManager implements TokenSource {
  readonly #transport: Transport;
  readonly #cache: TokenCache;
  readonly #key: string;
  readonly #basic: string;
  readonly #log: Log;
  readonly #marginMs: number;
  #inflight: Promise<string> | undefined;

  constructor(config: TokenManagerConfig) {
    this.#transport = config.transport;
    this.#cache = config.cache;
    this.#log = config.log;
    this.#marginMs = config.refreshMarginMs ?? DEFAULT_TOKEN_REFRESH_MARGIN_MS;
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
    const cached = await this.#readCache();
    if (cached && cached.expiresAt > Date.now()) return cached.accessToken;
    return this.#refresh(options);
  }

  // A failing shared cache (e.g. Redis down) must not stop payments: treat it as a miss.
  async #readCache(): Promise<CachedToken | undefined> {
    try {
      return await this.#cache.get(this.#key);
    } catch (error) {
      this.#log.warn('token cache read failed; fetching a token instead', { error });
      return undefined;
    }
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
    this.#inflight ??= this.#fetch(options).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(options?: RequestOptions): Promise<string> {
    const started = Date.now();
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
      this.#log.warn('token cache write failed; the token is used but not shared', { error });
    }
    this.#log.info('access token fetched', { expiresInSeconds, durationMs: Date.now() - started });
    return accessToken;
  }
}
