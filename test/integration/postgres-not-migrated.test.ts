import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DarajaConfigError } from '../../src/index.js';
import { MIGRATIONS, PostgresPaymentStore, type SqlClient } from '../../src/postgres/index.js';
import { migrationStatement } from '../../src/postgres/migrations.js';
import { useMsw } from '../helpers/fake-daraja.js';
import { callbackFor, initiateParams, makeFlow, scriptedDaraja } from '../helpers/flow.js';
import { DATABASE_URL } from '../helpers/stores.js';

const daraja = scriptedDaraja();
useMsw(...daraja.handlers);

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// One PGlite for the file (starting one is slow); each test gets a fresh, empty schema on it.
let pglite: PGlite | undefined;
async function emptyPglite(): Promise<PGlite> {
  if (!pglite) {
    const db = new PGlite();
    pglite = db;
    cleanups.push(() => db.close());
  }
  const schema = `nomig_${randomBytes(5).toString('hex')}`;
  await pglite.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema};`);
  return pglite;
}

/** A database where `migrate()` was never called: PGlite, or a fresh schema on the server. */
const DATABASES: Array<{ name: string; skip: boolean; open: () => Promise<SqlClient> }> = [
  {
    name: 'PGlite',
    skip: false,
    open: emptyPglite,
  },
  {
    name: 'the PostgreSQL server',
    skip: !DATABASE_URL,
    open: async () => {
      const schema = `nomig_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
      await admin.query(`CREATE SCHEMA ${schema}`);
      const pool = new pg.Pool({
        connectionString: DATABASE_URL,
        max: 2,
        options: `-c search_path=${schema}`,
      });
      cleanups.push(async () => {
        await pool.end();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      });
      return pool;
    },
  },
];

function expectMigrateError(error: unknown, sqlstate: string): void {
  expect(error).toBeInstanceOf(DarajaConfigError);
  const e = error as DarajaConfigError;
  expect(e.issues.map((i) => i.field)).toEqual(['store']);
  expect(e.message).toMatch(/await store\.migrate\(\) once at start-up/);
  expect(e.message).toMatch(/npx daraja-sdk migrate/);
  expect((e.cause as { code?: unknown }).code).toBe(sqlstate);
}

describe.each(DATABASES)('PostgresPaymentStore before migrate() on $name', ({ skip, open }) => {
  it.skipIf(skip)('says to call store.migrate() instead of a raw "relation does not exist"', async () => {
    const store = new PostgresPaymentStore(await open());
    for (const call of [
      () => store.get('pay_x'),
      () => store.listCallbacks(),
      () => store.claimDuePending({ olderThanMs: 0, limit: 1, recheckMs: 1, maxRecheckMs: 1 }),
    ]) {
      expectMigrateError(await call().catch((e: unknown) => e), '42P01');
    }
    // Once migrated, it works.
    await store.migrate();
    expect(await store.get('pay_x')).toBeUndefined();
  });

  it.skipIf(skip)('initiate throws the clear error, and no push is sent', async () => {
    const store = new PostgresPaymentStore(await open());
    const { flow } = makeFlow({ store });
    const pushes = daraja.state.pushBodies.length;
    expectMigrateError(await flow.initiate(initiateParams).catch((e: unknown) => e), '42P01');
    expect(daraja.state.pushBodies.length).toBe(pushes);
  });
});

describe('an older schema (migrations not all applied)', () => {
  it('says to migrate on an undefined column', async () => {
    const db = await emptyPglite();
    await db.exec(migrationStatement(MIGRATIONS[0]!));
    const store = new PostgresPaymentStore(db);
    const error = await store
      .claimDuePending({ olderThanMs: 0, limit: 1, recheckMs: 1, maxRecheckMs: 1 })
      .catch((e: unknown) => e);
    expectMigrateError(error, '42703');
    expect((error as Error).message).toMatch(/older than this version/);
  });
});

describe('the payment flow on a store that was not migrated', () => {
  it('warns once (no logger) that the tables are missing, and keeps the callback in the journal', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const store = new PostgresPaymentStore(await emptyPglite());
    // A payment created while the schema existed elsewhere: here only its callback arrives.
    const { flow } = makeFlow({ store, logger: undefined });
    const payment = {
      id: 'pay_notmigrated1',
      amount: 500,
      phoneNumber: '254712345678',
      checkoutRequestId: 'ws_CO_NOTMIGRATED',
    } as Parameters<typeof callbackFor>[1];
    for (let i = 0; i < 2; i++) {
      const ack = await flow.handleCallback(callbackFor(flow, payment));
      expect(ack).toMatchObject({ outcome: 'deferred' });
    }
    const lines = warn.mock.calls.map((args) => args.map(String).join(' '));
    expect(lines.filter((l) => /store\.migrate\(\)/.test(l))).toHaveLength(1);
    warn.mockRestore();
  });
});
