import { afterAll, describe, expect, it } from 'vitest';
import { isDarajaConfigError } from '../../src/index.js';
import { MYSQL_MIGRATIONS, MySqlPaymentStore } from '../../src/mysql/index.js';
import { freshDatabase, MYSQL_SKIP, poolOn, urlFor } from '../helpers/mysql.js';

// migrate() on a real MySQL/MariaDB server: idempotent, safe from two processes at once (GET_LOCK), and
// a store used before it says what to do rather than failing with the database's error.

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function database() {
  const db = await freshDatabase('mig');
  cleanups.push(db.drop);
  const pool = (max = 4) => {
    const p = poolOn(urlFor(db.name), { connectionLimit: max });
    cleanups.push(() => p.end());
    return p;
  };
  return { name: db.name, pool };
}

describe('MySqlPaymentStore.migrate() on the MySQL/MariaDB server', () => {
  if (MYSQL_SKIP) {
    it.skip(`SKIPPED: ${MYSQL_SKIP}`, () => {});
    return;
  }

  it('applies every migration once when two pools migrate at the same time, then nothing on a rerun', async () => {
    const db = await database();
    const a = new MySqlPaymentStore(db.pool());
    const b = new MySqlPaymentStore(db.pool());
    const versions = MYSQL_MIGRATIONS.map((m) => m.version);
    const [fromA, fromB] = await Promise.all([a.migrate(), b.migrate()]);
    // The lock serialises them: one applies everything, the other finds it done.
    expect([fromA, fromB].sort((x, y) => y.length - x.length)).toEqual([versions, []]);
    expect(await Promise.all([a.migrate(), b.migrate()])).toEqual([[], []]);
    const pool = db.pool(1);
    const [rows] = await pool.query('SELECT version FROM daraja_schema_migrations ORDER BY version');
    expect((rows as { version: number }[]).map((r) => r.version)).toEqual(versions);
    const [procs] = await pool.query(
      "SELECT ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'PROCEDURE'",
      [db.name],
    );
    expect(procs).toEqual([{ name: 'daraja_settle_callback' }]);
    // And the store works.
    const created = await a.create({
      id: 'pay_m1',
      ownerId: 'u1',
      amount: 10,
      phoneNumber: '254712345678',
      accountReference: 'M',
      transactionDesc: 'M',
      metadata: { plan: 'pro' },
      idempotencyKey: null,
    });
    expect(created.payment.status).toBe('pending');
  });

  it('throws a DarajaConfigError that says to migrate when the tables are missing', async () => {
    const db = await database();
    const store = new MySqlPaymentStore(db.pool());
    const error = await store.get('pay_x').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDarajaConfigError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/store\.migrate\(\)/);
    const settle = await store
      .claimDuePending({ olderThanMs: 0, limit: 5, recheckMs: 1, maxRecheckMs: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isDarajaConfigError(settle)).toBe(true);
  });

  it('refuses a client that is not a pool, naming what it needs', () => {
    expect(() => new MySqlPaymentStore({} as never)).toThrow(/mysql2 promise pool/);
  });
});
