import { mkdirSync } from 'node:fs';
import { maskPhoneNumbersInText } from 'daraja-sdk';
import type { SqlClient } from 'daraja-sdk/postgres';
import type { AppConfig } from './config.js';
import { lockDataDir } from './data-dir-lock.js';
import type { AppLogger } from './logger.js';

/** The open database, whichever it is. */
export interface Database {
  db: SqlClient;
  close: () => Promise<void>;
  mode: { store: 'pglite' | 'postgres'; dataDir?: string };
}

/**
 * A database URL fit for logs: scheme, host, port and database name. Never the user name, the password or
 * the query parameters (which may hold a password or TLS keys).
 */
export function maskDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username || u.password ? '***@' : ''}${u.host}${u.pathname}`;
  } catch {
    return '(DATABASE_URL, unparseable)';
  }
}

/**
 * What an error may show in a log: its name, code and message, with phone numbers masked and any
 * credentials in a URL removed. Never its SQL parameters or `detail` (which may hold row values).
 */
export function describeError(error: unknown): { error: string; code?: string } {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const masked = maskPhoneNumbersInText(text.replace(/\/\/[^\s/@]*@/g, '//***@')).slice(0, 500);
  const code = (error as { code?: unknown } | null)?.code;
  return { error: masked, ...(typeof code === 'string' ? { code } : {}) };
}

// Node's socket errors, and PostgreSQL's SQLSTATEs for "the server is going away, full or too slow":
// admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, query_canceled (the
// statement timeout). Class 08 (connection exception) is matched by its prefix.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
]);
// node-postgres's own errors carry no code: a dropped connection, a connect or query timeout.
const UNAVAILABLE_MESSAGES =
  /connection terminated|terminating connection|timeout exceeded when trying to connect|query read timeout|not queryable|connection error/i;

/** Whether an error means the database cannot be reached (or is too slow) right now: a 503, not a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)))
      return true;
    if (UNAVAILABLE_MESSAGES.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

/**
 * Open the database: a PostgreSQL server with `DATABASE_URL`, else PGlite (in a folder or in memory).
 *
 * On a server, the pool has timeouts (connect, statement, query, idle), so a stopped or hung server makes
 * requests fail within seconds instead of hanging, and an `error` listener: a connection that drops while
 * idle in the pool (a restart, a failover, a network cut) is logged and replaced, instead of crashing the
 * process as an unhandled `error` event would.
 */
export async function openDatabase(config: AppConfig, log: AppLogger): Promise<Database> {
  if (config.databaseUrl) {
    const { default: pg } = await import('pg');
    const where = maskDatabaseUrl(config.databaseUrl);
    const t = config.databaseTimeouts;
    const connection = {
      connectionString: config.databaseUrl,
      connectionTimeoutMillis: t.connectMs,
      statement_timeout: t.statementMs,
      query_timeout: t.queryMs,
    };
    const schema = config.databaseSchema;
    if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema))
      throw new Error('DATABASE_SCHEMA must be a lower-case identifier');
    if (schema) {
      const admin = new pg.Client(connection);
      admin.on('error', (error) => log.warn({ ...describeError(error), database: where }, 'schema setup'));
      try {
        await admin.connect();
        await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      } finally {
        await admin.end().catch(() => {});
      }
    }
    const pool = new pg.Pool({
      ...connection,
      max: 10,
      idleTimeoutMillis: t.idleMs,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    pool.on('error', (error) => {
      log.error(
        { ...describeError(error), database: where },
        'PostgreSQL connection lost; the pool opens a new one when needed',
      );
    });
    return { db: pool, close: () => pool.end(), mode: { store: 'postgres' } };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  if (config.dataDir === 'memory') {
    const db = new PGlite();
    return { db, close: () => db.close(), mode: { store: 'pglite', dataDir: 'memory' } };
  }
  // PGlite is single-process: a second app on the same folder would lose data, so it refuses to start.
  mkdirSync(config.dataDir, { recursive: true });
  const unlock = lockDataDir(config.dataDir);
  try {
    const db = new PGlite(config.dataDir);
    await db.waitReady;
    const close = () => db.close().finally(unlock);
    return { db, close, mode: { store: 'pglite', dataDir: config.dataDir } };
  } catch (error) {
    unlock();
    throw error;
  }
}
