import { afterAll, beforeAll, describe, it } from 'vitest';
import { describePaymentStoreConformance } from '../../src/testing/index.js';
import { countFlowSteps, expectWithinLimits, type FlowStep } from '../helpers/flow-steps.js';
import { startLocalDaraja } from '../helpers/local-daraja.js';
import { type CountedStore, countedPglite, countedServer } from '../helpers/round-trips.js';
import { DATABASE_URL } from '../helpers/stores.js';

// Issue 13: the database round trips of each step of the flow, counted at the client (one `query` call is
// one statement sent and one answer awaited), on PGlite and on the PostgreSQL server. A callback's count
// includes the work after its answer (the fulfilment), which `afterAck` waits for.

let daraja: Awaited<ReturnType<typeof startLocalDaraja>>;
beforeAll(async () => {
  daraja = await startLocalDaraja();
});
afterAll(() => daraja.close());

/** The most round trips each step may take (the targets, and no step slower than today). */
const LIMITS = {
  initiate: 2, // the pending payment before the push, its answer after
  'applied success callback': 2,
  'duplicate callback': 1,
  'failure callback (cancelled)': 1,
  'callback for an unknown payment': 2,
  'malformed callback': 2,
  'checkStatus, still pending': 1,
  'checkStatus, settled by the query': 6, // read, the kept callbacks, settle, claim, complete, read
} satisfies Record<FlowStep, number>;

/** Every step once, on a fresh store; the round trips of each. */
const countSteps = (counted: CountedStore) => countFlowSteps(daraja, counted.store, counted.db);

describe('database round trips per step of the flow', () => {
  it('on PGlite: an applied callback takes at most 2, a duplicate 1, and no step more than its limit', async () => {
    const counted = await countedPglite();
    try {
      expectWithinLimits('PGlite', await countSteps(counted), LIMITS);
    } finally {
      await counted.close();
    }
  });

  if (DATABASE_URL) {
    it.each([false, true])(
      'on the PostgreSQL server (preparedStatements: %s): the same limits',
      async (prepared) => {
        const counted = await countedServer({ preparedStatements: prepared });
        try {
          expectWithinLimits(
            `the PostgreSQL server (preparedStatements: ${prepared})`,
            await countSteps(counted),
            LIMITS,
          );
        } finally {
          await counted.close();
        }
      },
    );
  } else {
    it.skip('on the PostgreSQL server: SKIPPED: DATABASE_URL is not set (.ci/run starts PostgreSQL and sets it); PGlite covers the same SQL', () => {});
  }
});

// On node-postgres the store prepares the callback path's statements by default (STORE_KINDS runs the
// conformance suite that way); plain statements are the other path to the same SQL: the suite runs on it too.
if (DATABASE_URL) {
  const opened: CountedStore[] = [];
  afterAll(() => Promise.all(opened.splice(0).map((c) => c.close())));
  describePaymentStoreConformance(
    'PostgresPaymentStore with preparedStatements: false on the PostgreSQL server',
    async () => {
      const counted = await countedServer({ preparedStatements: false });
      opened.push(counted);
      return counted.store;
    },
    { describe, it },
  );
} else {
  it.skip('conformance with preparedStatements: false: SKIPPED: DATABASE_URL is not set (PGlite runs plain statements)', () => {});
}
