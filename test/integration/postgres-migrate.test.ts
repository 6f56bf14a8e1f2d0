import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, PostgresPaymentStore } from '../../src/postgres/index.js';
import { migrationStatement } from '../../src/postgres/migrations.js';
import { DATABASE_URL } from '../helpers/stores.js';

describe('PostgresPaymentStore.migrate', () => {
  it('applies the schema once on PGlite, then reports it up to date', async () => {
    const db = new PGlite();
    const store = new PostgresPaymentStore(db);
    expect(await store.migrate()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await store.migrate()).toEqual([]);
    const { rows } = await db.query<{ version: number; name: string }>(
      'SELECT version, name FROM daraja_schema_migrations',
    );
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    await db.close();
  });

  it('upgrades a version 1 database: give-ups become correctable, Daraja-settled payments final', async () => {
    const db = new PGlite();
    await db.exec(migrationStatement(MIGRATIONS[0]!)); // a database from before version 2
    const insert = `INSERT INTO daraja_payments (id, owner_id, amount, phone_number, account_reference, transaction_desc,
        status, result_code, result_desc, settled_by, created_at, updated_at, completed_at)
      VALUES ($1, 'u', 10, '254712345678', 'R', 'Payment', $2, $3, 'x', $4, now(), now(), $5)`;
    await db.query(insert, ['pay_gaveup', 'timeout', null, 'reconcile', new Date()]);
    await db.query(insert, ['pay_queried', 'failed', '1', 'reconcile', new Date()]);
    await db.query(insert, ['pay_callback', 'completed', '0', 'callback', new Date()]);
    await db.query(insert, ['pay_pending', 'pending', null, null, null]);
    await db.query(
      `INSERT INTO daraja_callback_events (id, received_at, outcome, reason, body) VALUES ('cbe_old', now(), 'rejected', 'bad_token', '{"a":1}')`,
    );
    const store = new PostgresPaymentStore(db);
    expect(await store.migrate()).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    expect(await store.get('pay_gaveup')).toMatchObject({
      status: 'timeout',
      final: false,
      settledBy: 'give-up',
    });
    expect(await store.get('pay_queried')).toMatchObject({
      status: 'failed',
      final: true,
      settledBy: 'reconcile',
    });
    expect(await store.get('pay_callback')).toMatchObject({
      status: 'completed',
      final: true,
      statusChecks: 0,
    });
    expect(await store.get('pay_pending')).toMatchObject({ status: 'pending', final: false });
    // The upgraded give-up is correctable by a final success, as a new one would be.
    const corrected = await store.transition('pay_gaveup', {
      status: 'completed',
      final: true,
      resultCode: '0',
      resultDesc: 'late',
      mpesaReceiptNumber: 'UPGRADE001',
      merchantRequestId: null,
      checkoutRequestId: null,
      callback: null,
      settledBy: 'callback',
    });
    expect(corrected).toMatchObject({ applied: true, payment: { correctedFrom: 'timeout' } });
    expect((await store.listCallbacks())[0]).toMatchObject({
      id: 'cbe_old',
      bodyBytes: null,
      bodySha256: null,
    });
    await db.close();
  });

  it.skipIf(!DATABASE_URL)('is safe when several instances migrate the same database at once', async () => {
    const schema = `mig_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const pools = Array.from(
      { length: 4 },
      () => new pg.Pool({ connectionString: DATABASE_URL, max: 2, options: `-c search_path=${schema}` }),
    );
    try {
      const results = await Promise.all(pools.map((p) => new PostgresPaymentStore(p).migrate()));
      for (const r of results) expect(r.every((v) => MIGRATIONS.some((m) => m.version === v))).toBe(true);
      const { rows } = await admin.query(`SELECT version FROM ${schema}.daraja_schema_migrations`);
      expect(rows).toHaveLength(MIGRATIONS.length);
      expect(await new PostgresPaymentStore(pools[0]!).migrate()).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });
});
