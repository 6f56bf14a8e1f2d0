import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, PostgresPaymentStore } from '../../src/postgres/index.js';
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
