import type { CachedToken, CachedTokenFailure, TokenCache, TokenLock } from '../core/auth/token-cache.js';
import { DEFAULT_TOKEN_FAILURE_TTL_MS } from '../core/auth/token-cache.js';

/** An ioredis client (`new Redis(...)` or a `Cluster`): the SDK calls only its `call` method. */
export interface IoredisClientLike {
  /** Sends one command, e.g. `call('SET', key, value, 'PX', 1000, 'NX')`. */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** A node-redis client (v4 and later, `createClient()` after `connect()`): the SDK calls only `sendCommand`. */
export interface NodeRedisClientLike {
  /** Sends one command as an array of strings, e.g. `['GET', key]`. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** Upstash's REST client (`new Redis(...)` of `@upstash/redis`): the SDK calls `get`, `set`, `del`, `eval`. */
export interface UpstashRedisLike {
  /** `GET` (Upstash parses JSON values by default; both forms are read). */
  get(key: string): Promise<unknown>;
  /** `SET` with `PX` and `NX` options. */
  set(key: string, value: string, options: { px: number } | { px: number; nx: true }): Promise<unknown>;
  /** `DEL`. */
  del(...keys: string[]): Promise<unknown>;
  /** `EVAL` of a Lua script. */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

/** Any of the Redis clients {@link createRedisTokenCache} accepts. */
export type RedisClientLike = IoredisClientLike | NodeRedisClientLike | UpstashRedisLike;

/** Options of {@link createRedisTokenCache}. */
export interface RedisTokenCacheOptions {
  /** Put before every key, e.g. `myapp:` (the SDK's keys already start with `daraja-sdk:token:`). @defaultValue `''` */
  prefix?: string;
  /**
   * How long an OAuth failure is kept, so other processes fail fast instead of calling OAuth again.
   * `0` turns the negative cache off. @defaultValue {@link DEFAULT_TOKEN_FAILURE_TTL_MS} (5 s)
   */
  failureTtlMs?: number;
  /** Which client this is, when detecting it by its methods is not wanted. */
  kind?: 'ioredis' | 'node-redis' | 'upstash';
}

// Deletes the lock only if it still holds our owner value: a lock that expired and was taken by another
// process is left to it.
const RELEASE_SCRIPT =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

interface Commands {
  get(key: string): Promise<unknown>;
  setPx(key: string, value: string, ttlMs: number, nx: boolean): Promise<boolean>;
  del(key: string): Promise<void>;
  release(key: string, owner: string): Promise<void>;
}

function setArgs(key: string, value: string, ttlMs: number, nx: boolean): string[] {
  return ['SET', key, value, 'PX', String(ttlMs), ...(nx ? ['NX'] : [])];
}

function generic(send: (args: string[]) => Promise<unknown>): Commands {
  return {
    get: (key) => send(['GET', key]),
    setPx: async (key, value, ttlMs, nx) => (await send(setArgs(key, value, ttlMs, nx))) === 'OK',
    del: async (key) => {
      await send(['DEL', key]);
    },
    release: async (key, owner) => {
      await send(['EVAL', RELEASE_SCRIPT, '1', key, owner]);
    },
  };
}

function upstash(client: UpstashRedisLike): Commands {
  return {
    get: (key) => client.get(key),
    setPx: async (key, value, ttlMs, nx) =>
      (await client.set(key, value, nx ? { px: ttlMs, nx: true } : { px: ttlMs })) === 'OK',
    del: async (key) => {
      await client.del(key);
    },
    release: async (key, owner) => {
      await client.eval(RELEASE_SCRIPT, [key], [owner]);
    },
  };
}

function commandsOf(client: RedisClientLike, kind: RedisTokenCacheOptions['kind']): Commands {
  const c = client as Partial<IoredisClientLike & NodeRedisClientLike & UpstashRedisLike>;
  if (kind === 'ioredis' || (kind === undefined && typeof c.call === 'function')) {
    const io = client as IoredisClientLike;
    return generic(([command, ...args]) => io.call(command as string, ...args));
  }
  if (kind === 'node-redis' || (kind === undefined && typeof c.sendCommand === 'function')) {
    const nr = client as NodeRedisClientLike;
    return generic((args) => nr.sendCommand(args));
  }
  if (typeof c.eval === 'function' && typeof c.set === 'function' && typeof c.get === 'function') {
    return upstash(client as UpstashRedisLike);
  }
  throw new TypeError(
    '[daraja] createRedisTokenCache: client is not an ioredis, node-redis or @upstash/redis client (no call, sendCommand or eval method). Pass the connected client object.',
  );
}

// A stored value: JSON text, or (Upstash, which parses JSON by default) the object itself.
function parse(value: unknown): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  const object: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return typeof object === 'object' && object !== null ? (object as Record<string, unknown>) : undefined;
}

/**
 * A shared {@link TokenCache} over Redis, with the cross-process refresh lock and the negative cache, so
 * N cold processes make one OAuth request between them. Pass your own connected client: ioredis,
 * node-redis (v4 and later; tested with v6) or `@upstash/redis`; this package imports none of them. Tokens are stored as JSON
 * with a `PX` expiry at their `expiresAt`; the lock is `SET <key>:lock <random owner> NX PX <ttl>`,
 * released by a Lua compare-and-delete; a failure is kept under `<key>:failure` for `failureTtlMs`. See
 * docs/token-caches.md.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { Daraja } from 'daraja-sdk';
 * import { createRedisTokenCache } from 'daraja-sdk/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
 * const daraja = Daraja.fromEnv(process.env, { tokenCache: createRedisTokenCache(redis) });
 * ```
 */
export function createRedisTokenCache(
  client: RedisClientLike,
  options: RedisTokenCacheOptions = {},
): TokenCache {
  const redis = commandsOf(client, options.kind);
  const prefix = options.prefix ?? '';
  const failureTtlMs = options.failureTtlMs ?? DEFAULT_TOKEN_FAILURE_TTL_MS;
  const cache: TokenCache = {
    async get(key) {
      const v = parse(await redis.get(prefix + key));
      if (typeof v?.['accessToken'] !== 'string' || typeof v['expiresAt'] !== 'number') return undefined;
      return { accessToken: v['accessToken'], expiresAt: v['expiresAt'] };
    },
    async set(key, token: CachedToken) {
      const ttlMs = Math.floor(token.expiresAt - Date.now());
      if (ttlMs > 0) await redis.setPx(prefix + key, JSON.stringify(token), ttlMs, false);
    },
    async delete(key) {
      await redis.del(prefix + key);
    },
    async lock(key, ttlMs): Promise<TokenLock | undefined> {
      const lockKey = `${prefix + key}:lock`;
      const owner = globalThis.crypto.randomUUID();
      if (!(await redis.setPx(lockKey, owner, Math.max(1, Math.ceil(ttlMs)), true))) return undefined;
      return { release: () => redis.release(lockKey, owner) };
    },
  };
  if (failureTtlMs <= 0) return cache;
  cache.getFailure = async (key) =>
    parse(await redis.get(`${prefix + key}:failure`)) as CachedTokenFailure | undefined;
  cache.setFailure = async (key, failure) => {
    await redis.setPx(`${prefix + key}:failure`, JSON.stringify(failure), failureTtlMs, false);
  };
  return cache;
}
