/**
 * The shared token caches on real servers: `createRedisTokenCache` (src/redis/token-cache.ts) through
 * ioredis, node-redis and `@upstash/redis` on redis-server at REDIS_URL (Upstash's client through
 * test/helpers/token-upstash-shim.ts, a REST-to-Redis protocol adapter over the same real server), and
 * `PostgresTokenCache` on PGlite and on the PostgreSQL server at DATABASE_URL. Each kind runs the same
 * checks: tokens round-trip and expire, the lock is exclusive, expires, and is released only by its
 * holder, the failure record lives for the negative-cache window, and three clients on one cache make one
 * OAuth request. A kind whose server is not configured is skipped, saying why.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Redis as Upstash } from '@upstash/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { Daraja, type TokenCache } from '../../src/index.js';
import { PostgresTokenCache } from '../../src/postgres/index.js';
import { createRedisTokenCache } from '../../src/redis/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET } from '../fixtures/constants.js';
import { testLogger } from '../helpers/logger.js';
import { startCountingOAuth } from '../helpers/token-oauth-server.js';
import { startUpstashShim, UPSTASH_SHIM_TOKEN } from '../helpers/token-upstash-shim.js';

const REDIS_URL = process.env['REDIS_URL'];
const DATABASE_URL = process.env['DATABASE_URL'];
const FAILURE_TTL_MS = 300;
const cleanups: Array<() => Promise<unknown>> = [];
let pglite: PGlite | undefined;
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const prefix = () => `test:${randomBytes(6).toString('hex')}:`;

interface Kind {
  name: string;
  skip?: string;
  /** A new cache on the kind's server; every call of one test shares the same store behind it. */
  make: () => Promise<(options?: { failureTtlMs?: number }) => Promise<TokenCache>>;
}

async function redisAdmin(): Promise<Redis> {
  const admin = new Redis(REDIS_URL!);
  cleanups.push(() => admin.quit());
  return admin;
}

const REDIS_SKIP = REDIS_URL
  ? undefined
  : 'REDIS_URL is not set (e.g. redis://127.0.0.1:6379; .ci/run starts redis-server and sets it)';

const KINDS: Kind[] = [
  {
    name: 'Redis through ioredis',
    ...(REDIS_SKIP ? { skip: REDIS_SKIP } : {}),
    make: async () => {
      const p = prefix();
      return async (o) => {
        const client = new Redis(REDIS_URL!);
        cleanups.push(() => client.quit());
        return createRedisTokenCache(client, { prefix: p, ...o });
      };
    },
  },
  {
    name: 'Redis through node-redis',
    ...(REDIS_SKIP ? { skip: REDIS_SKIP } : {}),
    make: async () => {
      const p = prefix();
      return async (o) => {
        const client = createClient({ url: REDIS_URL! });
        await client.connect();
        cleanups.push(() => client.quit());
        return createRedisTokenCache(client, { prefix: p, ...o });
      };
    },
  },
  {
    name: "Redis through @upstash/redis (Upstash's REST protocol over the real server)",
    ...(REDIS_SKIP ? { skip: REDIS_SKIP } : {}),
    make: async () => {
      const shim = await startUpstashShim(await redisAdmin());
      cleanups.push(() => shim.close());
      const p = prefix();
      return async (o) =>
        createRedisTokenCache(new Upstash({ url: shim.url, token: UPSTASH_SHIM_TOKEN }), { prefix: p, ...o });
    },
  },
  {
    name: 'PostgreSQL on PGlite',
    make: async () => {
      // One PGlite for the file (it is one connection; the tests run in turn), a fresh schema each.
      if (!pglite) {
        const db = new PGlite();
        cleanups.push(() => db.close());
        pglite = db;
      }
      const db = pglite;
      const schema = `t_${randomBytes(6).toString('hex')}`;
      await db.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema};`);
      await new PostgresTokenCache(db).migrate();
      return async (o) => new PostgresTokenCache(db, o);
    },
  },
  {
    name: 'PostgreSQL on the server',
    ...(DATABASE_URL
      ? {}
      : { skip: 'DATABASE_URL is not set (.ci/run starts PostgreSQL and sets it); PGlite ran the SQL' }),
    make: async () => {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
      await admin.query(`CREATE SCHEMA ${schema}`);
      cleanups.push(async () => {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      });
      const pool = new pg.Pool({
        connectionString: DATABASE_URL,
        max: 4,
        options: `-c search_path=${schema}`,
      });
      cleanups.push(() => pool.end());
      await new PostgresTokenCache(pool).migrate();
      return async (o) => new PostgresTokenCache(pool, o);
    },
  },
];

const KEY = 'daraja-sdk:token:sandbox:0123456789abcdef';

for (const kind of KINDS) {
  if (kind.skip) {
    it.skip(`${kind.name}: SKIPPED because ${kind.skip}`, () => {});
    continue;
  }
  describe(kind.name, () => {
    it('stores, reads, expires and deletes a token', async () => {
      const cache = await (await kind.make())();
      expect(await cache.get(KEY)).toBeUndefined();
      const token = { accessToken: 'tok_TEST_roundtrip', expiresAt: Date.now() + 3_000_000 };
      await cache.set(KEY, token);
      expect(await cache.get(KEY)).toEqual(token);
      await cache.delete(KEY);
      expect(await cache.get(KEY)).toBeUndefined();
      await cache.set(KEY, { accessToken: 'tok_TEST_short', expiresAt: Date.now() + 200 });
      await pause(400);
      expect(await cache.get(KEY)).toBeUndefined(); // dropped at expiresAt
    });

    it('has an exclusive lock that expires and is released only by its holder', async () => {
      const make = await kind.make();
      const [a, b] = [await make(), await make()];
      const held = await a.lock!(KEY, 10_000);
      expect(held).toBeDefined();
      expect(await b.lock!(KEY, 10_000)).toBeUndefined();
      await held!.release();
      const short = await b.lock!(KEY, 200);
      expect(short).toBeDefined();
      await pause(400); // b's lock expired without a release (b "died")
      const next = await a.lock!(KEY, 10_000);
      expect(next).toBeDefined();
      await short!.release(); // a stale holder's release must not free a's lock
      expect(await b.lock!(KEY, 10_000)).toBeUndefined();
      await next!.release();
      expect(await b.lock!(KEY, 10_000)).toBeDefined();
    });

    it('keeps an OAuth failure for the negative-cache window, then forgets it', async () => {
      const cache = await (await kind.make())({ failureTtlMs: FAILURE_TTL_MS });
      expect(await cache.getFailure!(KEY)).toBeUndefined();
      const failure = {
        name: 'DarajaAuthError',
        message: '[daraja] oauth: rejected',
        status: 400,
        failedAt: Date.now(),
      };
      await cache.setFailure!(KEY, failure);
      expect(await cache.getFailure!(KEY)).toMatchObject(failure);
      await pause(FAILURE_TTL_MS + 200);
      expect(await cache.getFailure!(KEY)).toBeUndefined();
    });

    it('lets three clients with 50 concurrent calls each share one OAuth request', async () => {
      const oauth = await startCountingOAuth();
      cleanups.push(() => oauth.close());
      const make = await kind.make();
      const clients = await Promise.all(
        [1, 2, 3].map(
          async () =>
            new Daraja({
              consumerKey: CONSUMER_KEY,
              consumerSecret: CONSUMER_SECRET,
              baseUrl: oauth.url,
              tokenCache: await make(),
              logger: testLogger,
            }),
        ),
      );
      await Promise.all(clients.flatMap((d) => Array.from({ length: 50 }, () => d.verifyCredentials())));
      expect(oauth.calls).toBe(1);
    });
  });
}
