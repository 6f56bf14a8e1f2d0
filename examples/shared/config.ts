import type { DarajaLogger } from 'daraja-sdk';
import type { LogLevel } from './logger.js';

/** Everything the example app can be configured with. Every field has an embedded default. */
export interface AppConfig {
  /** `PORT`: where the app listens. @defaultValue 3000 (tests use 0: any free port) */
  port: number;
  /** `HOST`. @defaultValue `127.0.0.1` */
  host: string;
  /**
   * `PUBLIC_URL`: how Daraja reaches this app, e.g. `https://pay.example.com`. Required with the real
   * Daraja (unless `MPESA_CALLBACK_URL` is set); the in-process simulator uses the local URL.
   */
  publicUrl?: string;
  /** `DATABASE_URL`: a PostgreSQL server. Without it, PGlite (real PostgreSQL, in-process) is used. */
  databaseUrl?: string;
  /** `DATABASE_SCHEMA`: a schema to use on the server (tests isolate themselves with it). */
  databaseSchema?: string;
  /**
   * Timeouts of the PostgreSQL server's connection pool (not used with PGlite), so that a stopped or hung
   * database answers requests with an error instead of holding them. 0 turns one off.
   */
  databaseTimeouts: DatabaseTimeouts;
  /** `DATA_DIR`: PGlite's folder. `memory` keeps it in memory. @defaultValue `.data/<app name>` */
  dataDir: string;
  /**
   * `JOURNAL_DIR`: where callbacks wait while the database cannot take them (a durable
   * `FileCallbackJournal`), replayed by the next reconcile. `memory` keeps them in memory (not durable:
   * such callbacks are answered 503). @defaultValue `<DATA_DIR>-journal`, or `memory` with `DATA_DIR=memory`
   */
  journalDir: string;
  /** `CALLBACK_SECRET`: signs per-payment callback URLs. Required with the real Daraja. */
  callbackSecret?: string;
  /** The `MPESA_*` variables. With `MPESA_CONSUMER_KEY` set, the app talks to the real Daraja. */
  env: Record<string, string | undefined>;
  /** `RECONCILE_INTERVAL_MS`: how often pending payments are checked. @defaultValue 15000 */
  reconcileIntervalMs: number;
  /** `RECONCILE_AFTER_MS`: a payment is reconciled once it is this old. @defaultValue 20000 */
  reconcileAfterMs: number;
  /** `SIMULATOR_CALLBACK_DELAY_MS`: how long the simulated customer takes. @defaultValue 1500 */
  simulatorCallbackDelayMs: number;
  /** Limits on starting payments (`POST /api/subscription/initiate-mpesa`). */
  initiateRateLimit: InitiateRateLimit;
  /** `TRUSTED_PROXIES`: comma-separated proxy addresses whose X-Forwarded-For is believed. */
  trustedProxies: string[];
  /** `LOG_LEVEL`: debug, info, warn, error or silent. @defaultValue info */
  logLevel: LogLevel;
  /** A logger to use instead of the JSON-lines one (tests capture logs this way). */
  logger?: Required<DarajaLogger>;
}

/** The PostgreSQL pool's timeouts, in milliseconds. 0 turns one off. */
export interface DatabaseTimeouts {
  /** `DATABASE_CONNECT_TIMEOUT_MS`: to open a connection (or wait for a free one). @defaultValue 5000 */
  connectMs: number;
  /**
   * `DATABASE_STATEMENT_TIMEOUT_MS`: PostgreSQL cancels a statement running longer (`statement_timeout`).
   * @defaultValue 5000
   */
  statementMs: number;
  /**
   * `DATABASE_QUERY_TIMEOUT_MS`: the app gives up on a query with no answer (`query_timeout`): a hung
   * server or network, where the server cannot cancel anything. Keep it above the statement timeout.
   * @defaultValue 8000
   */
  queryMs: number;
  /** `DATABASE_IDLE_TIMEOUT_MS`: an idle connection is closed after this long. @defaultValue 10000 */
  idleMs: number;
}

/**
 * How many payments may be started per window: per signed-in user, and per phone number (normalised, so
 * `0712…` and `+254 712…` are one phone) whoever asks. 0 turns one off. Counted in this process: with
 * several instances, give the rate-limit packages a shared store (Redis, for example).
 */
export interface InitiateRateLimit {
  /** `RATE_LIMIT_INITIATE_PER_USER`: payments one user may start per window. @defaultValue 5 */
  perUser: number;
  /** `RATE_LIMIT_INITIATE_PER_PHONE`: STK prompts one phone may be sent per window. @defaultValue 3 */
  perPhone: number;
  /** `RATE_LIMIT_WINDOW_MS`: the window. @defaultValue 60000 (one minute) */
  windowMs: number;
}

const number = (value: string | undefined, fallback: number, name: string) => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
  return n;
};

const positive = (value: string | undefined, fallback: number, name: string) => {
  const n = number(value, fallback, name);
  if (n === 0) throw new Error(`${name} must be at least 1`);
  return n;
};

/** Read the configuration from environment variables, with embedded defaults for everything. */
export function configFromEnv(env: Record<string, string | undefined>, appName: string): AppConfig {
  const level = (env['LOG_LEVEL'] ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level))
    throw new Error(`LOG_LEVEL must be debug, info, warn, error or silent`);
  return {
    port: number(env['PORT'], 3000, 'PORT'),
    host: env['HOST'] || '127.0.0.1',
    ...(env['PUBLIC_URL'] ? { publicUrl: env['PUBLIC_URL'].replace(/\/+$/, '') } : {}),
    ...(env['DATABASE_URL'] ? { databaseUrl: env['DATABASE_URL'] } : {}),
    ...(env['DATABASE_SCHEMA'] ? { databaseSchema: env['DATABASE_SCHEMA'] } : {}),
    databaseTimeouts: {
      connectMs: number(env['DATABASE_CONNECT_TIMEOUT_MS'], 5_000, 'DATABASE_CONNECT_TIMEOUT_MS'),
      statementMs: number(env['DATABASE_STATEMENT_TIMEOUT_MS'], 5_000, 'DATABASE_STATEMENT_TIMEOUT_MS'),
      queryMs: number(env['DATABASE_QUERY_TIMEOUT_MS'], 8_000, 'DATABASE_QUERY_TIMEOUT_MS'),
      idleMs: number(env['DATABASE_IDLE_TIMEOUT_MS'], 10_000, 'DATABASE_IDLE_TIMEOUT_MS'),
    },
    dataDir: env['DATA_DIR'] || `.data/${appName}`,
    journalDir:
      env['JOURNAL_DIR'] ||
      (env['DATA_DIR'] === 'memory' ? 'memory' : `${env['DATA_DIR'] || `.data/${appName}`}-journal`),
    ...(env['CALLBACK_SECRET'] ? { callbackSecret: env['CALLBACK_SECRET'] } : {}),
    env,
    reconcileIntervalMs: number(env['RECONCILE_INTERVAL_MS'], 15_000, 'RECONCILE_INTERVAL_MS'),
    reconcileAfterMs: number(env['RECONCILE_AFTER_MS'], 20_000, 'RECONCILE_AFTER_MS'),
    simulatorCallbackDelayMs: number(
      env['SIMULATOR_CALLBACK_DELAY_MS'],
      1_500,
      'SIMULATOR_CALLBACK_DELAY_MS',
    ),
    initiateRateLimit: {
      perUser: number(env['RATE_LIMIT_INITIATE_PER_USER'], 5, 'RATE_LIMIT_INITIATE_PER_USER'),
      perPhone: number(env['RATE_LIMIT_INITIATE_PER_PHONE'], 3, 'RATE_LIMIT_INITIATE_PER_PHONE'),
      windowMs: positive(env['RATE_LIMIT_WINDOW_MS'], 60_000, 'RATE_LIMIT_WINDOW_MS'),
    },
    trustedProxies: (env['TRUSTED_PROXIES'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    logLevel: level,
  };
}
