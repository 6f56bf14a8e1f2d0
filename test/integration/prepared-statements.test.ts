import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresPaymentStore } from '../../src/postgres/index.js';
import { completed } from '../../src/testing/conformance-fixtures.js';
import { countedPglite, countedServer } from '../helpers/round-trips.js';
import { DATABASE_URL } from '../helpers/stores.js';

// Issue 13: the store prepares the callback path's statements on node-postgres by default, and falls back
// to plain statements on a connection that does not keep them (a pooler in transaction mode); it writes
// the completions that arrive together in one statement. On the real server: a pooler that loses a
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

describe('completions that arrive together', () => {
  const kinds = [
    ['PGlite', countedPglite],
    ...(DATABASE_URL
      ? ([['the PostgreSQL server', () => countedServer({ preparedStatements: true })]] as const)
      : []),
  ] as const;
  it.each(kinds)('on %s: 16 at once take 3 statements, each fenced by its own token', async (_, open) => {
    const counted = await open();
    try {
      const claims = [];
      for (let i = 0; i < 16; i++) claims.push(await claimed(counted.store));
      counted.db.reset();
      const results = await Promise.all(
        // 5: a stale token; 7: its own token spelt with a leading zero (the same number, as one alone reads it).
        claims.map((c, i) =>
          counted.store.completeFulfilment(c.id, i === 5 ? '999999' : i === 7 ? `0${c.token}` : c.token),
        ),
      );
      expect(results).toEqual(claims.map((_, i) => i !== 5));
      expect(counted.db.count).toBe(3); // two alone (two lanes), the 14 that waited for them together
      for (const [i, c] of claims.entries()) {
        const p = await counted.store.get(c.id);
        expect(p?.fulfilledAt === null, `payment ${i}`).toBe(i === 5);
      }
    } finally {
      await counted.close();
    }
  });
});
