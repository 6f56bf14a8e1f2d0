import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentFlow, type Payment, type PaymentFlow } from '../../src/index.js';
import { MySqlPaymentStore, type MySqlPool } from '../../src/mysql/index.js';
import { buildStkCallback } from '../../src/testing/index.js';
import { CALLBACK_SECRET, FLOW_CALLBACK_URL, SAFARICOM_IP } from '../fixtures/constants.js';
import { makeClient } from '../helpers/client.js';
import { startLocalDaraja } from '../helpers/local-daraja.js';
import { testLogger } from '../helpers/logger.js';
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
} as const;
type Step = keyof typeof LIMITS;

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

function callback(flow: PaymentFlow, paymentId: string, body: unknown) {
  const url = new URL(flow.callbackUrlFor(paymentId));
  return { body, url: url.pathname + url.search, remoteAddress: SAFARICOM_IP };
}

async function countSteps(): Promise<Record<Step, number>> {
  const counter = counting(db.pool as unknown as MySqlPool);
  const fulfilled: Payment[] = [];
  const flow = createPaymentFlow({
    daraja: makeClient({ baseUrl: daraja.baseUrl, maxRetries: 0 }),
    store: new MySqlPaymentStore(counter.pool),
    callbackUrl: FLOW_CALLBACK_URL,
    callbackSecret: CALLBACK_SECRET,
    onCompleted: (p) => {
      fulfilled.push(p);
    },
    statusQueryIntervalMs: 0,
    queryBudget: false,
    logger: testLogger,
  });
  const counts = {} as Record<Step, number>;
  const measure = async <T>(step: Step, fn: () => Promise<T>): Promise<T> => {
    counter.reset();
    const result = await fn();
    counts[step] = counter.count;
    return result;
  };
  const initiated = () =>
    flow.initiate({ ownerId: 'u1', amount: 500, phoneNumber: '0712345678', accountReference: 'RT' });
  const handle = async (request: ReturnType<typeof callback>) => {
    const ack = await flow.handleCallback(request);
    await ack.afterAck;
    return ack;
  };
  await handle(callback(flow, 'pay_warmup', 'not json')); // the once-per-process journal replay

  const paid = await measure('initiate', initiated);
  expect(paid.outcome).toBe('sent');
  const payment = paid.payment;
  const success = buildStkCallback({
    checkoutRequestId: payment.checkoutRequestId!,
    amount: payment.amount,
    phoneNumber: Number(payment.phoneNumber),
  });
  const applied = await measure('applied success callback', () =>
    handle(callback(flow, payment.id, success)),
  );
  expect(applied.outcome).toBe('applied');
  expect(fulfilled.map((p) => p.id)).toEqual([payment.id]);
  const duplicate = await measure('duplicate callback', () => handle(callback(flow, payment.id, success)));
  expect([duplicate.outcome, duplicate.reason]).toEqual(['duplicate', 'already_settled']);

  const other = (await initiated()).payment;
  const cancel = buildStkCallback({ checkoutRequestId: other.checkoutRequestId!, resultCode: 1032 });
  const cancelled = await measure('failure callback (cancelled)', () =>
    handle(callback(flow, other.id, cancel)),
  );
  expect(cancelled.outcome).toBe('applied');
  const unknown = await measure('callback for an unknown payment', () =>
    handle(callback(flow, 'pay_never_created', success)),
  );
  expect([unknown.outcome, unknown.reason]).toEqual(['unmatched', 'unknown_payment']);
  const malformed = await measure('malformed callback', () => handle(callback(flow, payment.id, 'not json')));
  expect(malformed.outcome).toBe('invalid');

  const open = (await initiated()).payment;
  daraja.state.answers.set(open.checkoutRequestId!, 'pending');
  const stillPending = await measure('checkStatus, still pending', () =>
    flow.checkStatus(open.id, { ownerId: 'u1' }),
  );
  expect(stillPending?.status).toBe('pending');
  daraja.state.answers.set(open.checkoutRequestId!, 0);
  const settled = await measure('checkStatus, settled by the query', () =>
    flow.checkStatus(open.id, { ownerId: 'u1' }),
  );
  expect(settled?.status).toBe('completed');
  expect(fulfilled.map((p) => p.id)).toEqual([payment.id, open.id]);
  return counts;
}

describe('database round trips per step of the flow on MySqlPaymentStore', () => {
  if (MYSQL_SKIP) {
    it.skip(`SKIPPED: ${MYSQL_SKIP}`, () => {});
    return;
  }
  it('an applied callback takes at most 2, a duplicate 1, and no step more than its limit', async () => {
    const counts = await countSteps();
    console.log(
      `round trips on MySQL/MariaDB:\n${Object.entries(counts)
        .map(([k, v]) => `  ${k.padEnd(36)} ${v} (limit ${LIMITS[k as Step]})`)
        .join('\n')}`,
    );
    const over = (Object.keys(LIMITS) as Step[]).filter((s) => !(counts[s]! <= LIMITS[s]));
    expect(over.map((s) => `${s}: ${counts[s]} > ${LIMITS[s]}`)).toEqual([]);
  });
});
