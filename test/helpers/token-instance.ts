/**
 * One app process of test/integration/token-cache-processes.test.ts (started with `node --import tsx`): a
 * `Daraja` client on a shared token cache (`TI_CACHE`: `ioredis` or `node-redis` on `TI_REDIS_URL` with
 * the key prefix `TI_PREFIX`, or `postgres` on `TI_DATABASE_URL` in schema `TI_SCHEMA`), whose base URL is
 * the test's counting OAuth server. Prints `READY`, then for each `GO` line on stdin (the barrier: the
 * test writes it to every process at once) starts `TI_CALLS` concurrent token gets
 * (`daraja.verifyCredentials()`) and prints `RESULT <json>`: how many succeeded, and the failures by
 * error class and status. The SDK's warnings go to stdout as `LOG <json>` (fed to the capturing logger,
 * so the leak scan reads them). Exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createClient } from 'redis';
import { Daraja, type DarajaLogger, type TokenCache } from '../../src/index.js';
import { PostgresTokenCache } from '../../src/postgres/index.js';
import { createRedisTokenCache } from '../../src/redis/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`token instance: ${name} is not set`);
  return value;
};

const forward =
  (level: 'warn' | 'error') =>
  (fields: Record<string, unknown>, message: string): void => {
    const plain = JSON.stringify(fields, (_k, v: unknown) =>
      v instanceof Error ? { name: v.name, message: v.message } : v,
    );
    process.stdout.write(`LOG ${JSON.stringify({ level, message, fields: JSON.parse(plain ?? '{}') })}\n`);
  };
const logger: DarajaLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: forward('warn'),
  error: forward('error'),
};

const closers: Array<() => Promise<unknown>> = [];

async function makeCache(kind: string): Promise<TokenCache> {
  if (kind === 'ioredis') {
    const redis = new Redis(env('TI_REDIS_URL'));
    closers.push(() => redis.quit());
    return createRedisTokenCache(redis, { prefix: env('TI_PREFIX') });
  }
  if (kind === 'node-redis') {
    const redis = createClient({ url: env('TI_REDIS_URL') });
    await redis.connect();
    closers.push(() => redis.quit());
    return createRedisTokenCache(redis, { prefix: env('TI_PREFIX') });
  }
  const pool = new pg.Pool({
    connectionString: env('TI_DATABASE_URL'),
    max: 4,
    options: `-c search_path=${env('TI_SCHEMA')}`,
  });
  closers.push(() => pool.end());
  return new PostgresTokenCache(pool);
}

const daraja = new Daraja({
  consumerKey: env('TI_CONSUMER_KEY'),
  consumerSecret: env('TI_CONSUMER_SECRET'),
  baseUrl: env('TI_OAUTH_URL'),
  tokenCache: await makeCache(env('TI_CACHE')),
  logger,
  retryBaseDelayMs: 20,
  retryMaxDelayMs: 50,
});
const calls = Number(env('TI_CALLS'));

async function round(): Promise<void> {
  const outcomes = await Promise.allSettled(Array.from({ length: calls }, () => daraja.verifyCredentials()));
  const errors: Record<string, number> = {};
  let ok = 0;
  for (const o of outcomes) {
    if (o.status === 'fulfilled') ok += 1;
    else {
      const e = o.reason as { name?: string; status?: number };
      const label = `${e.name}:${e.status ?? '-'}`;
      errors[label] = (errors[label] ?? 0) + 1;
    }
  }
  process.stdout.write(`RESULT ${JSON.stringify({ ok, errors })}\n`);
}

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === 'GO') void round().catch((e) => process.stderr.write(String(e)));
});
input.on('close', () => {
  void Promise.allSettled(closers.map((c) => c())).then(() => process.exit(0));
});
process.stdout.write('READY\n');
