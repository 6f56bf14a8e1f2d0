// Reconcile as a pg-boss job: every worker may run this, and each tick's reconcile runs once in total.
// Tested by test/integration/reconcile-pg-boss.test.ts (two workers on a PostgreSQL server).
import type { PaymentFlow } from 'daraja-sdk';
import type PgBoss from 'pg-boss';

export interface ReconcileOnPgBossOptions {
  /** The queue's name. Default `daraja-reconcile`. */
  queue?: string;
  /** Production: a pg-boss cron (minute-granular), default every minute. */
  cron?: string;
  /** Ticks shorter than a minute instead: each worker offers one job per slot of this many seconds. */
  everySeconds?: number;
  /** How often an idle worker looks for the job. Default 2 s (pg-boss' own default). */
  pollingIntervalSeconds?: number;
  /** Where a failed offer of a tick goes (the next offer tries again). Default `console.error`. */
  onError?: (error: unknown) => void;
}

export async function startReconcileOnPgBoss(
  boss: PgBoss,
  flow: Pick<PaymentFlow, 'reconcile'>,
  options: ReconcileOnPgBossOptions = {},
) {
  const queue = options.queue ?? 'daraja-reconcile';
  // No retry: the next tick does the same work, and a failed one stays visible in the queue. The
  // `standard` policy: a job left `active` by a worker that died never holds the next ticks back.
  await boss.createQueue(queue, { name: queue, policy: 'standard', retryLimit: 0, expireInSeconds: 300 });
  let timer: ReturnType<typeof setInterval> | undefined;
  const seconds = options.everySeconds;
  if (seconds === undefined) {
    // pg-boss sends a scheduled job once per minute, whichever instance's clock fires first.
    await boss.schedule(queue, options.cron ?? '* * * * *');
  } else {
    // One job per slot of `seconds`: the same singleton key and slot from every worker make one row, so
    // the tick happens once while any worker is alive.
    const onError = options.onError ?? console.error;
    const offer = () => boss.sendThrottled(queue, {}, {}, seconds, 'tick').catch(onError);
    timer = setInterval(offer, Math.max(250, (seconds * 1000) / 4));
    await offer();
  }
  await boss.work(queue, { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 }, async () => {
    const summary = await flow.reconcile();
    return { checked: summary.checked, settled: summary.settled, fulfilled: summary.fulfilled };
  });
  return {
    /** Stop offering ticks and taking jobs (the job running now finishes); then `boss.stop()`. */
    async stop() {
      if (timer) clearInterval(timer);
      await boss.offWork(queue);
    },
  };
}
