import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresPaymentStore } from '../../src/postgres/index.js';
import { completed } from '../../src/testing/conformance-fixtures.js';
import { DATABASE_URL } from '../helpers/stores.js';

// Issue 13: the store prepares the callback path's statements on node-postgres by default, and falls back
// to plain statements on a connection that does not keep them (a pooler in transaction mode). On the real server: a pooler that loses a
// prepared statement is what `DEALLOCATE ALL` on the store's own connection does (node-postgres still
// believes the statement is there), and one that already has the name is a `PREPARE` made before.

/** A claimed fulfilment: the payment and its token. */
async function claimed(store: PostgresPaymentStore): Promise<{ id: string; token: string }> {
  const id = await completed(store);
  const claim = await store.claimFulfilment(id, { leaseMs: 60_000 });
  if (!claim) throw new Error('no claim');
  return { id, token: claim.token };
}

if (DATABASE_URL) {
  const url = DATABASE_URL;
  const schema = `ps_${randomBytes(6).toString('hex')}`;
  const clients: pg.Client[] = [];
  const connect = async () => {
    const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await c.connect();
    clients.push(c);
    return c;
  };
  const prepared = async (c: pg.Client) =>
    (await c.query('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map(
      (r) => r.name as string,
    );
  afterAll(async () => {
    for (const c of clients.splice(0)) await c.end();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  describe('prepared statements on the PostgreSQL server', () => {
    let name = '';

    it('are on by default for a pg client, and survive a connection that lost them (26000)', async () => {
      const admin = await connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      const client = await connect();
      const store = new PostgresPaymentStore(client);
      await store.migrate();
      const first = await claimed(store);
      expect(await store.completeFulfilment(first.id, first.token)).toBe(true);
      const names = await prepared(client);
      expect(names).toHaveLength(1);
      name = names[0]!;
      expect(name).toMatch(/^daraja_complete_fulfilment_[0-9a-z]+$/);

      await client.query('DEALLOCATE ALL'); // the server forgets; node-postgres does not
      const second = await claimed(store);
      expect(await store.completeFulfilment(second.id, second.token)).toBe(true);
      expect((await store.get(second.id))?.fulfilledAt).toBeInstanceOf(Date);
      const third = await claimed(store);
      expect(await store.completeFulfilment(third.id, third.token)).toBe(true);
      expect(await prepared(client)).toEqual([]); // plain statements from then on
    });

    it('survive a connection that already has the name (42P05)', async () => {
      const client = await connect();
      await client.query(`PREPARE ${name} AS SELECT 1`);
      const store = new PostgresPaymentStore(client);
      const c = await claimed(store);
      expect(await store.completeFulfilment(c.id, c.token)).toBe(true);
      expect((await store.get(c.id))?.fulfilledAt).toBeInstanceOf(Date);
    });

    it('are not used with preparedStatements: false', async () => {
      const client = await connect();
      const store = new PostgresPaymentStore(client, { preparedStatements: false });
      const c = await claimed(store);
      expect(await store.completeFulfilment(c.id, c.token)).toBe(true);
      expect(await prepared(client)).toEqual([]);
    });
  });
} else {
  it.skip('prepared statements on the PostgreSQL server: SKIPPED: DATABASE_URL is not set (.ci/run starts PostgreSQL and sets it; PGlite has no named statements)', () => {});
}
