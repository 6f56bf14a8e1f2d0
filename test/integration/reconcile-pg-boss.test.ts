import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReconcileOnPgBoss } from '../../examples/recipes/pg-boss.js';
import type { PaymentFlow } from '../../src/index.js';
import { PostgresPaymentStore } from '../../src/postgres/index.js';
import { makeFlow } from '../helpers/flow.js';
import { DATABASE_URL } from '../helpers/stores.js';

// The pg-boss recipe of docs/scheduling-reconcile.md, run as it is (examples/recipes/pg-boss.ts) by two
// workers, each its own PgBoss with its own pool, over one PostgreSQL server. pg-boss' cron is
// minute-granular, so the ticks here are the recipe's `everySeconds` form (a throttled send per slot,
// offered by every worker); the cron form is checked for what it registers.

const TICK_SECONDS = 2;
const SKIP = DATABASE_URL
  ? undefined
  : 'DATABASE_URL is not set (pg-boss needs a PostgreSQL server; .ci/run sets one up). Set it to run these.';

if (SKIP) {
  describe('reconcile on pg-boss', () => {
    it.skip(`SKIPPED: ${SKIP}`, () => {});
  });
} else {
  const url = DATABASE_URL!;
  const suffix = randomBytes(5).toString('hex');
  const bossSchema = `boss_${suffix}`;
  const storeSchema = `t_${suffix}`;
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  const storePool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${storeSchema}` });
  const bosses: PgBoss[] = [];
  let flow: PaymentFlow;

  /** A worker's own PgBoss (its own pool of connections), started. */
  async function worker(): Promise<PgBoss> {
    const boss = new PgBoss({ connectionString: url, schema: bossSchema, max: 3 });
    boss.on('error', (error) => console.error('pg-boss', error));
    bosses.push(boss);
    await boss.start();
    return boss;
  }

  /** The flow as a worker sees it, recording each reconcile it runs (and taking a while, as a real one does). */
  function counted(name: string, runs: string[]): Pick<PaymentFlow, 'reconcile'> {
    return {
      reconcile: async (...args) => {
        runs.push(name);
        await sleep(300);
        return flow.reconcile(...args);
      },
    };
  }

  /** The recipe's jobs, oldest first: their tick (the pg-boss slot), state and who ran them. */
  async function jobs(queue: string) {
    const { rows } = await admin.query<{ slot: Date; state: string; output: unknown }>(
      `SELECT singleton_on AS slot, state, output FROM ${bossSchema}.job WHERE name = $1 ORDER BY singleton_on`,
      [queue],
    );
    return rows;
  }

  async function waitForCompleted(queue: string, count: number) {
    for (let i = 0; i < 200; i += 1) {
      const done = (await jobs(queue)).filter((j) => j.state === 'completed');
      if (done.length >= count) return done;
      await sleep(100);
    }
    throw new Error(`fewer than ${count} ticks completed in 20 s`);
  }

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA ${storeSchema}`);
    const store = new PostgresPaymentStore(storePool);
    await store.migrate();
    flow = makeFlow({ store }).flow;
  });

  afterAll(async () => {
    await Promise.all(bosses.map((b) => b.stop({ graceful: false, wait: true }).catch(() => undefined)));
    await storePool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
    await admin.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE`);
    await admin.end();
  });

  describe('reconcile on pg-boss (PostgreSQL server)', () => {
    it('two workers: each tick reconciles once, and a worker stopped mid-way loses no tick', async () => {
      const queue = `reconcile-${suffix}`;
      const runs: string[] = [];
      const options = { queue, everySeconds: TICK_SECONDS, pollingIntervalSeconds: 0.5 };
      const a = await startReconcileOnPgBoss(await worker(), counted('a', runs), options);
      const b = await startReconcileOnPgBoss(await worker(), counted('b', runs), options);

      // Three ticks with both workers, then worker A stops (finishing the reconcile it may be running).
      await waitForCompleted(queue, 3);
      await a.stop();
      await bosses[0]!.stop({ graceful: true, wait: true });
      const runsBeforeStop = runs.length;
      const completedAtStop = (await jobs(queue)).filter((j) => j.state === 'completed').length;
      // Three more ticks with worker B alone.
      await waitForCompleted(queue, completedAtStop + 3);
      await b.stop();
      while ((await jobs(queue)).some((j) => j.state === 'active')) await sleep(100);

      const all = await jobs(queue);
      const done = all.filter((j) => j.state === 'completed');
      // Nothing failed, and no tick ran twice: one reconcile per completed job, one job per slot.
      expect(all.filter((j) => j.state === 'failed')).toEqual([]);
      expect(runs.length).toBe(done.length);
      expect(done.every((j) => j.slot !== null)).toBe(true); // each job was a tick's singleton
      const slots = done.map((j) => j.slot.getTime());
      expect(new Set(slots).size).toBe(slots.length);
      // No tick lost, before or after the stop: consecutive slots, TICK_SECONDS apart.
      for (let i = 1; i < slots.length; i += 1) expect(slots[i]! - slots[i - 1]!).toBe(TICK_SECONDS * 1000);
      expect(done.length).toBeGreaterThanOrEqual(6);
      // After the stop only B ran, and each job kept the summary reconcile returned.
      expect(runs.slice(runsBeforeStop).every((w) => w === 'b')).toBe(true);
      expect(done[0]!.output).toMatchObject({ checked: 0, fulfilled: 0 });
      console.info(`pg-boss: ${done.length} ticks, runs by worker: ${JSON.stringify(countBy(runs))}`);
    }, 40_000);

    it('the production form registers a pg-boss cron every minute', async () => {
      const queue = `reconcile-cron-${suffix}`;
      const boss = bosses[1] ?? (await worker());
      await startReconcileOnPgBoss(boss, counted('cron', []), { queue });
      const schedules = await boss.getSchedules();
      expect(schedules.find((s) => s.name === queue)).toMatchObject({ cron: '* * * * *' });
      await boss.unschedule(queue);
      await boss.offWork(queue);
    });
  });
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
