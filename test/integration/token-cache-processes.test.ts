/**
 * The must-hold of the shared token caches: FOUR separate OS processes, each with a cold shared cache,
 * start 1,000 concurrent token gets between them (250 each, released at the same moment by a barrier)
 * against an OAuth server over real HTTP that counts requests: exactly 1 OAuth request in total. Then,
 * with OAuth answering 500, the four together make at most 4 requests (the first holder's attempts; the
 * rest read the negative cache) and every call fails with the typed error.
 *
 * Redis: redis-server at REDIS_URL (two processes on ioredis, two on node-redis, one cache). PostgreSQL:
 * the server at DATABASE_URL (PGlite is one process's database, so it cannot be shared across
 * processes; test/integration/token-cache.test.ts runs the cache on PGlite). Each is skipped, saying why,
 * when its variable is unset.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresTokenCache } from '../../src/postgres/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET } from '../fixtures/constants.js';
import { testLogger } from '../helpers/logger.js';
import { type CountingOAuth, startCountingOAuth } from '../helpers/token-oauth-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('../helpers/token-instance.ts', import.meta.url));
const REDIS_URL = process.env['REDIS_URL'];
const DATABASE_URL = process.env['DATABASE_URL'];
const PROCESSES = 4;
const CALLS_EACH = 250;

interface Instance {
  child: ChildProcess;
  ready: Promise<void>;
  results: Array<(r: { ok: number; errors: Record<string, number> }) => void>;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill();
});

function spawnInstance(name: string, env: Record<string, string>): Instance {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: { ...process.env, ...env, TI_CONSUMER_KEY: CONSUMER_KEY, TI_CONSUMER_SECRET: CONSUMER_SECRET },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const instance: Instance = { child, ready: Promise.resolve(), results: [] };
  instance.ready = new Promise<void>((ready, fail) => {
    let pending = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'READY') ready();
        else if (line.startsWith('RESULT ')) instance.results.shift()?.(JSON.parse(line.slice(7)));
        else if (line.startsWith('LOG ')) {
          const { level, message, fields } = JSON.parse(line.slice(4)) as {
            level: 'warn' | 'error';
            message: string;
            fields: Record<string, unknown>;
          };
          testLogger[level]?.({ instance: name, ...fields }, `${name}: ${message}`);
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      testLogger.warn?.({ instance: name, text: chunk.toString() }, 'instance stderr');
    });
    child.once('exit', (code) => fail(new Error(`${name} exited (${code}) before it was ready: ${stderr}`)));
  });
  return instance;
}

/** The barrier: `GO` written to every process at once; resolves to each one's tally. */
function go(instances: Instance[]) {
  const results = instances.map(
    (i) => new Promise<{ ok: number; errors: Record<string, number> }>((r) => i.results.push(r)),
  );
  for (const i of instances) i.child.stdin!.write('GO\n');
  return Promise.all(results);
}

async function mustHold(instances: Instance[], oauth: CountingOAuth, clear: () => Promise<void>) {
  await Promise.all(instances.map((i) => i.ready));
  const cold = await go(instances);
  expect(cold).toEqual(instances.map(() => ({ ok: CALLS_EACH, errors: {} })));
  expect(oauth.calls).toBe(1); // 1,000 calls in four processes: one OAuth request

  await clear(); // cold again
  oauth.failing = true;
  const before = oauth.calls;
  const failing = await go(instances);
  expect(failing).toEqual(instances.map(() => ({ ok: 0, errors: { 'DarajaApiError:500': CALLS_EACH } })));
  console.info(
    `${instances.length} processes: OAuth requests ${before} cold, ${oauth.calls - before} failing`,
  );
  expect(oauth.calls - before).toBeGreaterThanOrEqual(1);
  expect(oauth.calls - before).toBeLessThanOrEqual(4); // 1 + maxRetries (2) by the holder, none by the rest
}

describe.skipIf(!REDIS_URL)('four processes on one Redis token cache (ioredis and node-redis)', () => {
  it('make exactly 1 OAuth request for 1,000 concurrent calls; a failing OAuth is not hammered', async () => {
    const oauth = await startCountingOAuth();
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    const admin = new Redis(REDIS_URL!);
    try {
      const instances = Array.from({ length: PROCESSES }, (_, n) =>
        spawnInstance(`p${n}`, {
          TI_CACHE: n < 2 ? 'ioredis' : 'node-redis',
          TI_REDIS_URL: REDIS_URL!,
          TI_PREFIX: prefix,
          TI_OAUTH_URL: oauth.url,
          TI_CALLS: String(CALLS_EACH),
        }),
      );
      await mustHold(instances, oauth, async () => {
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length > 0) await admin.del(...keys);
      });
      for (const i of instances) i.child.stdin!.end();
    } finally {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
      await oauth.close();
    }
  }, 180_000);
});

describe.skipIf(!DATABASE_URL)('four processes on one PostgreSQL token cache (the server)', () => {
  it('make exactly 1 OAuth request for 1,000 concurrent calls; a failing OAuth is not hammered', async () => {
    const oauth = await startCountingOAuth();
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    const db = new pg.Pool({ connectionString: DATABASE_URL, max: 1, options: `-c search_path=${schema}` });
    try {
      await new PostgresTokenCache(db).migrate();
      const instances = Array.from({ length: PROCESSES }, (_, n) =>
        spawnInstance(`p${n}`, {
          TI_CACHE: 'postgres',
          TI_DATABASE_URL: DATABASE_URL!,
          TI_SCHEMA: schema,
          TI_OAUTH_URL: oauth.url,
          TI_CALLS: String(CALLS_EACH),
        }),
      );
      await mustHold(instances, oauth, async () => {
        await db.query('DELETE FROM daraja_token_cache');
      });
      for (const i of instances) i.child.stdin!.end();
    } finally {
      await db.end();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
      await oauth.close();
    }
  }, 180_000);
});

if (!REDIS_URL || !DATABASE_URL) {
  describe('shared token caches across processes: skipped parts', () => {
    if (!REDIS_URL)
      it.skip('Redis: SKIPPED because REDIS_URL is not set (e.g. redis://127.0.0.1:6379; .ci/run starts redis-server and sets it)', () => {});
    if (!DATABASE_URL)
      it.skip('PostgreSQL: SKIPPED because DATABASE_URL is not set (.ci/run starts PostgreSQL and sets it)', () => {});
  });
}
