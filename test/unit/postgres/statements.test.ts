import { describe, expect, it } from 'vitest';
import { isNodePostgres, type SqlClient, Statements } from '../../../src/postgres/statements.js';

/** A client that records what it is sent and fails named statements with `code` while `failNamed`. */
function recordingClient(code?: string) {
  const sent: { named: boolean; name?: string; text: string }[] = [];
  let failNamed = code !== undefined;
  const client = {
    connect: () => {},
    totalCount: 0,
    async query(text: unknown, params?: unknown[]) {
      if (typeof text === 'object' && text !== null) {
        const c = text as { name: string; text: string; values: unknown[] };
        sent.push({ named: true, name: c.name, text: c.text });
        if (failNamed) throw Object.assign(new Error('prepared statement does not exist'), { code });
        return { rows: [{ params: c.values }] };
      }
      sent.push({ named: false, text: String(text) });
      return { rows: [{ params }] };
    },
  };
  return { client: client as unknown as SqlClient, sent, stopFailing: () => (failNamed = false) };
}

describe('Statements', () => {
  it('sends a named statement as prepared, its name carrying a hash of its text', async () => {
    const { client, sent } = recordingClient();
    const s = new Statements(client, true);
    const r = await s.run('SELECT $1', [1], 'daraja_x');
    expect(r.rows).toEqual([{ params: [1] }]);
    await s.run('SELECT $1', [2], 'daraja_x');
    await s.run('SELECT 2', [], undefined);
    expect(sent.map((x) => x.named)).toEqual([true, true, false]);
    expect(sent[0]!.name).toMatch(/^daraja_x_[0-9a-z]+$/);
    expect(sent[1]!.name).toBe(sent[0]!.name);
    const other = recordingClient();
    await new Statements(other.client, true).run('SELECT $1 + 1', [1], 'daraja_x');
    expect(other.sent[0]!.name).not.toBe(sent[0]!.name); // another text, another name
  });

  it.each(['26000', '42P05'])(
    'after %s (a pooler that does not keep prepared statements) sends the statement again unprepared, and plain ones from then on',
    async (code) => {
      const { client, sent } = recordingClient(code);
      const s = new Statements(client, true);
      const r = await s.run('UPDATE t SET x = $1', [7], 'daraja_u');
      expect(r.rows).toEqual([{ params: [7] }]);
      expect(s.prepared).toBe(false);
      await s.run('UPDATE t SET x = $1', [8], 'daraja_u');
      expect(sent.map((x) => x.named)).toEqual([true, false, false]);
    },
  );

  it('does not resend a statement after any other error', async () => {
    const { client, sent } = recordingClient('40001');
    const s = new Statements(client, true);
    await expect(s.run('UPDATE t SET x = 1', [], 'daraja_u')).rejects.toMatchObject({ code: '40001' });
    expect(sent).toHaveLength(1);
    expect(s.prepared).toBe(true);
  });

  it('turns a missing table into a DarajaConfigError that says to migrate', async () => {
    const client = {
      query: async () => {
        throw Object.assign(new Error('relation "daraja_payments" does not exist'), { code: '42P01' });
      },
    };
    await expect(new Statements(client, false).run('SELECT 1', [])).rejects.toMatchObject({
      name: 'DarajaConfigError',
      message: expect.stringContaining('migrate'),
    });
  });

  it('knows node-postgres from PGlite and wrappers', async () => {
    const pg = await import('pg');
    const pool = new pg.default.Pool({ connectionString: 'postgres://u:p@127.0.0.1:9/db' });
    const client = new pg.default.Client({ connectionString: 'postgres://u:p@127.0.0.1:9/db' });
    expect(isNodePostgres(pool)).toBe(true);
    expect(isNodePostgres(client)).toBe(true);
    await pool.end();
    const { PGlite } = await import('@electric-sql/pglite');
    const lite = new PGlite();
    expect(isNodePostgres(lite)).toBe(false);
    expect(isNodePostgres({ query: pool.query.bind(pool) })).toBe(false);
    await lite.close();
  });
});
