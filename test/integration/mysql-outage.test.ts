import { afterAll, describe, expect, it } from 'vitest';
import { isDarajaConfigError, type NewPayment } from '../../src/index.js';
import { MySqlPaymentStore, type MySqlPool } from '../../src/mysql/index.js';
import { freshStore, MYSQL_SKIP, MYSQL_URL, type MySqlTestStore, poolOn, urlFor } from '../helpers/mysql.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

// A MySQL/MariaDB outage in the middle of a claim, through a TCP proxy the test freezes or cuts: the
// claim fails with the driver's error (not a config error, no statement text on it), within the store's
// statement timeout, and nothing is lost or half-written: the transaction rolls back on the server, and
// once the server is back the same payment is claimed, its attempt counted once.

const opened: { close: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

const payment = (id: string): NewPayment => ({
  id,
  ownerId: 'u1',
  amount: 100,
  phoneNumber: '254712345678',
  accountReference: 'OUT',
  transactionDesc: 'outage',
  metadata: {},
  idempotencyKey: null,
});

/** A completed, unfulfilled payment (written straight to the server), and a store reaching it through a proxy. */
async function setUp(): Promise<{
  direct: MySqlTestStore;
  proxy: TcpProxy;
  hook: Hook;
  store: MySqlPaymentStore;
}> {
  const direct = await freshStore();
  opened.push(direct);
  await direct.store.create(payment('pay_out'));
  await direct.store.transition('pay_out', {
    status: 'completed',
    resultCode: '0',
    resultDesc: 'ok',
    mpesaReceiptNumber: 'OUT0000001',
    merchantRequestId: null,
    checkoutRequestId: 'ws_CO_out',
    callback: null,
    settledBy: 'callback',
    final: true,
  });
  const proxy = await TcpProxy.forUrl(MYSQL_URL!, 3306).start();
  const u = new URL(urlFor(direct.database));
  u.port = String(proxy.port);
  const pool = poolOn(u.toString(), { connectTimeout: 1_000 });
  pool.on('connection', () => {});
  opened.push({ close: async () => (proxy.state === 'closed' ? undefined : proxy.close()) });
  opened.push({ close: () => pool.end().catch(() => undefined) });
  const hook = hooked(pool as unknown as MySqlPool);
  return { direct, proxy, hook, store: new MySqlPaymentStore(hook.pool, { queryTimeoutMs: 1_500 }) };
}

interface Hook {
  pool: MySqlPool;
  /** Run `fn` before the `n`th statement sent on a connection of a transaction (1: START TRANSACTION). */
  before(n: number, fn: () => Promise<void>): void;
}

function hooked(pool: MySqlPool): Hook {
  let plan: { n: number; fn: () => Promise<void> } | undefined;
  return {
    before: (n, fn) => {
      plan = { n, fn };
    },
    pool: {
      query: (o) => pool.query(o),
      getConnection: async () => {
        const conn = await pool.getConnection();
        let sent = 0;
        return {
          query: async (o) => {
            sent++;
            if (plan && sent === plan.n) {
              const { fn } = plan;
              plan = undefined;
              await fn();
            }
            return conn.query(o);
          },
          release: () => conn.release(),
          destroy: () => conn.destroy?.(),
        };
      },
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  const result = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(result instanceof Error)) throw new Error('expected the call to fail');
  return result;
}

describe('MySqlPaymentStore through a server outage', () => {
  if (MYSQL_SKIP) {
    it.skip(`SKIPPED: ${MYSQL_SKIP}`, () => {});
    return;
  }

  it.each(['freeze', 'cut'] as const)(
    'a %s in the middle of a fulfilment claim: a typed error, nothing lost',
    async (kind) => {
      const { direct, proxy, hook, store } = await setUp();
      // After the rows are locked (START, SELECT … FOR UPDATE SKIP LOCKED), before the UPDATE that claims them.
      hook.before(3, () => (kind === 'freeze' ? proxy.freeze() : proxy.cut()));
      const error = await failure(store.claimDueFulfilments({ leaseMs: 60_000, limit: 10, maxAttempts: 5 }));
      expect(isDarajaConfigError(error)).toBe(false);
      expect(error.code).toMatch(
        /^(PROTOCOL_SEQUENCE_TIMEOUT|PROTOCOL_CONNECTION_LOST|ECONNRESET|ECONNREFUSED|ETIMEDOUT)$/,
      );
      expect(Object.keys(error)).not.toContain('sql');
      await proxy.restore();
      // Nothing was written by the failed claim; the row is not left locked.
      const before = await direct.store.get('pay_out');
      expect(before?.fulfilmentAttempts).toBe(0);
      const claims = await store.claimDueFulfilments({ leaseMs: 60_000, limit: 10, maxAttempts: 5 });
      expect(claims.map((c) => [c.payment.id, c.payment.fulfilmentAttempts])).toEqual([['pay_out', 1]]);
      expect(await store.completeFulfilment('pay_out', claims[0]!.token)).toBe(true);
      expect((await direct.store.get('pay_out'))?.fulfilledAt).toBeInstanceOf(Date);
    },
  );

  it('a settlement sent while the server is frozen fails within the statement timeout, and applies once after', async () => {
    const { direct, proxy, store } = await setUp();
    await direct.store.create(payment('pay_cb'));
    await proxy.freeze();
    const settlement = {
      find: { id: 'pay_cb' },
      expect: { checkoutRequestId: 'ws_CO_cb', amount: 100, phoneNumber: null },
      transition: {
        status: 'completed' as const,
        resultCode: '0',
        resultDesc: 'ok',
        mpesaReceiptNumber: 'OUT0000002',
        merchantRequestId: 'm1',
        checkoutRequestId: 'ws_CO_cb',
        callback: { ok: true },
        settledBy: 'callback' as const,
        final: true,
      },
      claim: { leaseMs: 60_000 },
      event: {
        id: 'cbe_out',
        receivedAt: new Date(),
        outcome: 'applied' as const,
        reason: null,
        paymentId: null,
        checkoutRequestId: 'ws_CO_cb',
        remoteAddress: '196.201.214.200',
        body: { ok: true },
        bodyBytes: 11,
        bodySha256: null,
      },
    };
    const error = await failure(store.settleCallback(settlement));
    expect(isDarajaConfigError(error)).toBe(false);
    await proxy.restore();
    // The frozen bytes may or may not have reached the server: either way the retry settles it once.
    const retried = await store.settleCallback(settlement);
    const after = await direct.store.get('pay_cb');
    expect(after?.status).toBe('completed');
    expect(['applied', 'duplicate']).toContain(retried.outcome);
    const events = await direct.store.listCallbacks({ paymentId: 'pay_cb' });
    expect(events.map((e) => e.id)).toEqual(['cbe_out']);
  });
});
