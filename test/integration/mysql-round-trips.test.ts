import { afterAll, beforeAll, describe, it } from 'vitest';
import { MySqlPaymentStore, type MySqlPool } from '../../src/mysql/index.js';
import { countFlowSteps, expectWithinLimits, type FlowStep } from '../helpers/flow-steps.js';
import { startLocalDaraja } from '../helpers/local-daraja.js';
import { freshStore, MYSQL_SKIP, type MySqlTestStore } from '../helpers/mysql.js';

// The database round trips of each step of the flow on MySqlPaymentStore, counted at the client (one
// `query` call, on the pool or on a connection taken for a transaction, is one statement sent and one
// answer awaited), as test/integration/round-trips.test.ts counts them for PostgreSQL. The callback path
// holds the same targets (an applied callback in 2, a duplicate in 1) through the settlement procedure.
// The other steps are transactions of a few statements (MySQL has no UPDATE … RETURNING): their
// counts are the limits below, so that none grows unnoticed.

const LIMITS = {
  initiate: 4, // insert + read it back (no RETURNING), attach the ids + read it back
  'applied success callback': 2, // the settlement procedure, then completeFulfilment
  'duplicate callback': 1,
  'failure callback (cancelled)': 1,
  'callback for an unknown payment': 2,
  'malformed callback': 2,
  'checkStatus, still pending': 1,
  'checkStatus, settled by the query': 12, // read, the kept callbacks, transition and claim (transactions), complete, read
} satisfies Record<FlowStep, number>;

/** A pool that counts the statements sent through it and through the connections it hands out. */
function counting(pool: MySqlPool) {
  let count = 0;
  const counted: MySqlPool = {
    query: (options) => {
      count++;
      return pool.query(options);
    },
    getConnection: async () => {
      const conn = await pool.getConnection();
      return {
        query: (options) => {
          count++;
          return conn.query(options);
        },
        release: () => conn.release(),
        destroy: () => conn.destroy?.(),
      };
    },
  };
  return {
    pool: counted,
    get count() {
      return count;
    },
    reset: () => {
      count = 0;
    },
  };
}

let daraja: Awaited<ReturnType<typeof startLocalDaraja>>;
let db: MySqlTestStore;
beforeAll(async () => {
  if (MYSQL_SKIP) return;
  daraja = await startLocalDaraja();
  db = await freshStore();
});
afterAll(async () => {
  await daraja?.close();
  await db?.close();
});

async function countSteps() {
  const counter = counting(db.pool as unknown as MySqlPool);
  return countFlowSteps(daraja, new MySqlPaymentStore(counter.pool), counter);
}

describe('database round trips per step of the flow on MySqlPaymentStore', () => {
  if (MYSQL_SKIP) {
    it.skip(`SKIPPED: ${MYSQL_SKIP}`, () => {});
    return;
  }
  it('an applied callback takes at most 2, a duplicate 1, and no step more than its limit', async () => {
    const counts = await countSteps();
    expectWithinLimits('MySQL/MariaDB', counts, LIMITS);
  });
});
