/**
 * `daraja-sdk/redis`: a shared {@link TokenCache} over your Redis client (ioredis, node-redis or
 * `@upstash/redis`), with a cross-process refresh lock and a short negative cache.
 *
 * @packageDocumentation
 * @module daraja-sdk/redis
 */
export type {
  CachedToken,
  CachedTokenFailure,
  TokenCache,
  TokenLock,
} from '../core/auth/token-cache.js';
export {
  createRedisTokenCache,
  type IoredisClientLike,
  type NodeRedisClientLike,
  type RedisClientLike,
  type RedisTokenCacheOptions,
  type UpstashRedisLike,
} from './token-cache.js';
