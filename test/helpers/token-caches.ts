/**
 * A lock-capable shared `TokenCache` in memory, for the token manager's unit tests: it behaves like
 * createRedisTokenCache (src/redis/token-cache.ts) — entries stored as JSON text, a lock with a TTL and a
 * random owner released by compare-and-delete, a failure kept for `failureTtlMs` — and can be switched
 * `down` (every method rejects) to play a cache outage. Several clients given the same instance play
 * several processes sharing one Redis.
 */
import type { CachedToken, CachedTokenFailure, TokenCache, TokenLock } from '../../src/index.js';

interface Entry {
  value: string;
  until: number;
}

export class SharedFakeCache implements TokenCache {
  readonly entries = new Map<string, Entry>();
  /** Every cache operation, in order, for assertions (`lock:taken`, `lock:busy`, `release`, …). */
  readonly ops: string[] = [];
  down = false;

  constructor(readonly failureTtlMs = 5_000) {}

  #check(op: string): void {
    this.ops.push(op);
    if (this.down) throw new Error('ECONNREFUSED 127.0.0.1:6379 (fake cache down)');
  }

  #live(key: string): string | undefined {
    const e = this.entries.get(key);
    if (!e || e.until <= Date.now()) return undefined;
    return e.value;
  }

  async get(key: string): Promise<CachedToken | undefined> {
    this.#check('get');
    const v = this.#live(key);
    return v === undefined ? undefined : (JSON.parse(v) as CachedToken);
  }

  async set(key: string, token: CachedToken): Promise<void> {
    this.#check('set');
    this.entries.set(key, { value: JSON.stringify(token), until: token.expiresAt });
  }

  async delete(key: string): Promise<void> {
    this.#check('delete');
    this.entries.delete(key);
  }

  async lock(key: string, ttlMs: number): Promise<TokenLock | undefined> {
    this.#check('lock');
    const lockKey = `${key}:lock`;
    if (this.#live(lockKey) !== undefined) {
      this.ops.push('lock:busy');
      return undefined;
    }
    const owner = crypto.randomUUID();
    this.entries.set(lockKey, { value: owner, until: Date.now() + ttlMs });
    this.ops.push('lock:taken');
    return {
      release: async () => {
        this.#check('release');
        if (this.#live(lockKey) === owner) this.entries.delete(lockKey);
      },
    };
  }

  /** Take the lock as another process would (and never release it). */
  holdLock(key: string, ttlMs: number): void {
    this.entries.set(`${key}:lock`, { value: 'someone-else', until: Date.now() + ttlMs });
  }

  async getFailure(key: string): Promise<CachedTokenFailure | undefined> {
    this.#check('getFailure');
    const v = this.#live(`${key}:failure`);
    return v === undefined ? undefined : (JSON.parse(v) as CachedTokenFailure);
  }

  async setFailure(key: string, failure: CachedTokenFailure): Promise<void> {
    this.#check('setFailure');
    this.entries.set(`${key}:failure`, {
      value: JSON.stringify(failure),
      until: Date.now() + this.failureTtlMs,
    });
  }
}
