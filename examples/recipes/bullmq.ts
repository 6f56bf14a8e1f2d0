// Reconcile as a BullMQ job: one job scheduler makes one job per tick, and whichever worker takes it
// runs it. Tested by test/integration/reconcile-bullmq.test.ts (two workers on a Redis server).
import { type ConnectionOptions, Queue, Worker } from 'bullmq';
import type { PaymentFlow } from 'daraja-sdk';

export interface ReconcileOnBullMQOptions {
  /** The queue's name. Default `daraja-reconcile`. */
  queue?: string;
  /** The tick. Default one minute: each tick's queries count against Daraja's rate limits. */
  everyMs?: number;
  /** The Redis key prefix of the queue. Default BullMQ's (`bull`). */
  prefix?: string;
}

export async function startReconcileOnBullMQ(
  connection: ConnectionOptions,
  flow: Pick<PaymentFlow, 'reconcile'>,
  options: ReconcileOnBullMQOptions = {},
) {
  const name = options.queue ?? 'daraja-reconcile';
  const prefix = options.prefix === undefined ? {} : { prefix: options.prefix };
  const queue = new Queue(name, { connection, ...prefix });
  // The same scheduler id from every instance: an upsert, not a second schedule. Each tick is one job
  // whose id names its time, so it runs once whichever workers are alive; a few finished ones are kept.
  await queue.upsertJobScheduler(
    'reconcile',
    { every: options.everyMs ?? 60_000 },
    { name: 'reconcile', opts: { attempts: 1, removeOnComplete: 100, removeOnFail: 100 } },
  );
  // One reconcile at a time per worker; two workers may overlap on a slow tick, which claims make safe.
  const worker = new Worker(
    name,
    async () => {
      const summary = await flow.reconcile();
      return { checked: summary.checked, settled: summary.settled, fulfilled: summary.fulfilled };
    },
    { connection, concurrency: 1, ...prefix },
  );
  return {
    queue,
    worker,
    /** Stop taking jobs (the one running now finishes) and close the connections. */
    async stop() {
      await worker.close();
      await queue.close();
    },
  };
}
