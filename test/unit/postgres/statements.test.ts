import { describe, expect, it } from 'vitest';
import {
  CompletionBatcher,
  isNodePostgres,
  type SqlClient,
  Statements,
} from '../../../src/postgres/statements.js';

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

describe('CompletionBatcher', () => {
  /** A batcher over a fake table of claims, recording each statement it sends. */
  function fake(claims: Map<string, string>, fail?: () => boolean) {
    const statements: string[][] = [];
    const completeOne = (id: string, claim: string) => {
      if (claims.get(id) !== claim) return false;
      claims.delete(id);
      return true;
    };
    let release: (() => void) | undefined;
    const batcher = new CompletionBatcher(
      async (id, claim) => {
        statements.push([id]);
        await new Promise<void>((r) => (release = r));
        if (fail?.()) throw new Error('connection terminated');
        return completeOne(id, claim);
      },
      async (ids, claims2) => {
        statements.push(ids);
        await new Promise<void>((r) => (release = r));
        if (fail?.()) throw new Error('connection terminated');
        const done = new Set<string>();
        ids.forEach((id, i) => {
          if (completeOne(id, claims2[i]!)) done.add(id);
        });
        return done;
      },
      { lanes: 1, max: 3 },
    );
    return { batcher, statements, release: () => release?.() };
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('sends one alone at once, and what arrives meanwhile together next, each told about its own claim', async () => {
    const claims = new Map([
      ['a', '1'],
      ['b', '1'],
      ['c', '2'],
      ['d', '1'],
      ['e', '1'],
    ]);
    const f = fake(claims);
    const a = f.batcher.complete('a', '1');
    await tick();
    expect(f.statements).toEqual([['a']]);
    const rest = [
      f.batcher.complete('b', '1'),
      f.batcher.complete('c', '1'), // a stale token: fenced out
      f.batcher.complete('d', '1'),
      f.batcher.complete('e', '1'),
    ];
    f.release();
    await tick();
    expect(f.statements).toEqual([['a'], ['b', 'c', 'd']]); // at most 3 in one statement
    f.release();
    await tick();
    f.release();
    expect(await Promise.all([a, ...rest])).toEqual([true, true, false, true, true]);
    expect(f.statements).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    expect(claims).toEqual(new Map([['c', '2']]));
  });

  it('puts a second call for the same payment in a later statement, so each gets its own answer', async () => {
    const f = fake(new Map([['a', '1']]));
    const first = f.batcher.complete('x', '9');
    await tick();
    const again = [f.batcher.complete('a', '1'), f.batcher.complete('a', '1')];
    for (let i = 0; i < 3; i++) {
      f.release();
      await tick();
    }
    expect(await Promise.all([first, ...again])).toEqual([false, true, false]);
    expect(f.statements).toEqual([['x'], ['a'], ['a']]);
  });

  it('sends up to `lanes` statements at once, and what waits for them together', async () => {
    const statements: string[][] = [];
    const releases: (() => void)[] = [];
    const hold = () => new Promise<void>((r) => releases.push(r));
    const batcher = new CompletionBatcher(
      async (id) => {
        statements.push([id]);
        await hold();
        return true;
      },
      async (ids) => {
        statements.push(ids);
        await hold();
        return new Set(ids);
      },
      { lanes: 2 },
    );
    const calls = ['a', 'b', 'c', 'd', 'e'].map((id) => batcher.complete(id, '1'));
    await tick();
    expect(statements).toEqual([['a'], ['b']]); // both lanes busy at once: c, d and e wait
    releases.shift()!();
    await tick();
    expect(statements[2]).toEqual(['c', 'd', 'e']);
    const more = ['f', 'g'].map((id) => batcher.complete(id, '1'));
    await tick();
    expect(statements).toHaveLength(3); // f and g wait for a free lane
    releases.shift()!();
    await tick();
    expect(statements[3]).toEqual(['f', 'g']);
    for (const r of releases.splice(0)) r();
    expect(await Promise.all([...calls, ...more])).toEqual(Array(7).fill(true));
  });

  it('rejects every call of a statement that failed, and goes on with the next', async () => {
    let failing = true;
    const f = fake(
      new Map([
        ['a', '1'],
        ['b', '1'],
        ['c', '1'],
      ]),
      () => failing,
    );
    const a = f.batcher.complete('a', '1');
    await tick();
    const b = f.batcher.complete('b', '1');
    const c = f.batcher.complete('c', '1');
    f.release();
    await expect(a).rejects.toThrow('connection terminated');
    failing = false;
    await tick();
    f.release();
    expect(await Promise.all([b, c])).toEqual([true, true]);
  });
});
