import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionOptions } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { startReconcileOnBullMQ } from '../../examples/recipes/bullmq.js';
import type { PaymentFlow } from '../../src/index.js';
import { makeFlow } from '../helpers/flow.js';

// The BullMQ recipe of docs/scheduling-reconcile.md, run as it is (examples/recipes/bullmq.ts) by two
// workers, each with its own Redis connections, sharing one job scheduler that ticks every second.

const REDIS_URL = process.env['REDIS_URL'];
const TICK_MS = 1000;
const SKIP = REDIS_URL
  ? undefined
  : 'REDIS_URL is not set (BullMQ needs a Redis server, e.g. redis://127.0.0.1:6379). Set it to run these.';

/** ioredis options from a redis:// URL; BullMQ opens its own connections from them. */
function connectionFrom(url: string): ConnectionOptions {
  const u = new URL(url);
  const db = Number(u.pathname.slice(1) || 0);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    maxRetriesPerRequest: null,
  };
}

if (SKIP) {
  describe('reconcile on BullMQ', () => {
    it.skip(`SKIPPED: ${SKIP}`, () => {});
  });
} else {
  const connection = connectionFrom(REDIS_URL!);
  const prefix = `daraja-test-${randomBytes(5).toString('hex')}`;
  const started: Awaited<ReturnType<typeof startReconcileOnBullMQ>>[] = [];
  const flow: PaymentFlow = makeFlow().flow;

  afterAll(async () => {
    const first = started[0];
    if (first) await first.queue.obliterate({ force: true }).catch(() => undefined);
    await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
  });

  describe('reconcile on BullMQ (Redis server)', () => {
    it('two workers, one scheduler every second: each tick reconciles once, and a stopped worker loses none', async () => {
      const runs: string[] = [];
      const done: { id: string; by: string }[] = [];
      const counted = (by: string): Pick<PaymentFlow, 'reconcile'> => ({
        reconcile: async (...args) => {
          runs.push(by);
          await sleep(200);
          return flow.reconcile(...args);
        },
      });
      const start = async (by: string) => {
        const s = await startReconcileOnBullMQ(connection, counted(by), { everyMs: TICK_MS, prefix });
        s.worker.on('completed', (job) => done.push({ id: job.id!, by }));
        started.push(s);
        return s;
      };
      const waitFor = async (count: number) => {
        for (let i = 0; i < 200 && done.length < count; i += 1) await sleep(100);
        expect(done.length).toBeGreaterThanOrEqual(count);
      };
      const a = await start('a');
      const b = await start('b');

      await waitFor(3);
      await a.stop();
      const atStop = done.length;
      await waitFor(atStop + 3);
      await b.worker.close();

      // One reconcile per completed job, no job twice, none failed.
      expect(runs.length).toBe(done.length);
      expect(new Set(done.map((d) => d.id)).size).toBe(done.length);
      expect(await b.queue.getFailedCount()).toBe(0);
      // Every tick, before and after the stop: the scheduler's job ids name their time, TICK_MS apart.
      const ticks = done.map((d) => Number(d.id.split(':').at(-1))).sort((x, y) => x - y);
      for (let i = 1; i < ticks.length; i += 1) expect(ticks[i]! - ticks[i - 1]!).toBe(TICK_MS);
      expect(done.slice(atStop).every((d) => d.by === 'b')).toBe(true);
      // Both instances upserted the same scheduler: there is one.
      expect(await b.queue.getJobSchedulersCount()).toBe(1);
      console.info(`BullMQ: ${done.length} ticks, by worker: ${done.map((d) => d.by).join('')}`);
    }, 30_000);
  });
}
