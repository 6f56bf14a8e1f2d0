import { Daraja, type DarajaLogger, isDarajaConfigError } from 'daraja-sdk';
import type { LogLevel } from './logger.js';
import { StartupError } from './startup-error.js';

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

/** One setting that is missing or invalid, and how to fix it. */
export interface SettingIssue {
  /** The environment variable, e.g. `CALLBACK_SECRET`. */
  variable: string;
  /** What is wrong and how to fix it. */
  fix: string;
}

/**
 * Settings are missing or invalid: every problem at once, one line each, so a user fixes them in one go.
 * The servers print the message (no stack trace) and exit with code 1.
 */
export class SettingsError extends StartupError {
  override name = 'SettingsError';
  readonly issues: readonly SettingIssue[];
  constructor(issues: readonly SettingIssue[], realDaraja: boolean) {
    const n = issues.length;
    super(
      [
        `Cannot start: ${n} setting${n === 1 ? ' is' : 's are'} missing or invalid${realDaraja ? ' for the real Daraja (MPESA_* credentials are set)' : ''}:`,
        ...issues.map((i) => `  - ${i.variable}: ${i.fix}`),
        `Set ${n === 1 ? 'it' : 'them'} in the environment or in .env (see examples/README.md)${realDaraja ? ', or unset the MPESA_* variables to use the simulator' : ''}.`,
      ].join('\n'),
    );
    this.issues = issues;
  }
}

/**
 * Whether the app talks to the real Daraja: any of the credentials `MPESA_CONSUMER_KEY`,
 * `MPESA_CONSUMER_SECRET` or `MPESA_PASSKEY` is set. Without them, the simulator runs in-process. (A
 * secret set without its key is a mistake to report, not a reason to fall back to the simulator silently.)
 */
export function usesRealDaraja(env: Record<string, string | undefined>): boolean {
  return ['MPESA_CONSUMER_KEY', 'MPESA_CONSUMER_SECRET', 'MPESA_PASSKEY'].some((v) => env[v]?.trim());
}

/** The settings the real Daraja needs beyond the SDK's own: where callbacks come back, and their secret. */
function realDarajaIssues(env: Record<string, string | undefined>): SettingIssue[] {
  const issues: SettingIssue[] = [];
  try {
    Daraja.fromEnv(env);
  } catch (error) {
    if (!isDarajaConfigError(error)) throw error;
    for (const i of error.issues) issues.push({ variable: i.field, fix: i.message });
  }
  const publicUrl = env['PUBLIC_URL']?.trim();
  if (!publicUrl && !env['MPESA_CALLBACK_URL']?.trim()) {
    issues.push({
      variable: 'PUBLIC_URL',
      fix: 'is not set: the public HTTPS address Daraja sends callbacks to, e.g. https://pay.example.com (or set MPESA_CALLBACK_URL to the full callback URL).',
    });
  } else if (publicUrl && !/^https?:\/\/[^\s/]+/.test(publicUrl)) {
    issues.push({ variable: 'PUBLIC_URL', fix: 'must be a URL such as https://pay.example.com.' });
  }
  const secret = env['CALLBACK_SECRET'] ?? '';
  if (secret.length < 32) {
    issues.push({
      variable: 'CALLBACK_SECRET',
      fix: `${secret ? 'is too short' : 'is not set'}: at least 32 random characters, the same on every instance (e.g. the output of: openssl rand -base64 32).`,
    });
  }
  return issues;
}

/**
 * Read the configuration from environment variables, with embedded defaults for everything. Every
 * missing or invalid setting is reported at once in one {@link SettingsError}; with the real Daraja, so
 * are its credentials, `PUBLIC_URL` and `CALLBACK_SECRET`.
 */
export function configFromEnv(env: Record<string, string | undefined>, appName: string): AppConfig {
  const issues: SettingIssue[] = [];
  const number = (value: string | undefined, fallback: number, name: string) => {
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) {
      issues.push({ variable: name, fix: `must be a whole number, got "${value}"` });
      return fallback;
    }
    return n;
  };
  const positive = (value: string | undefined, fallback: number, name: string) => {
    const n = number(value, fallback, name);
    if (n === 0) issues.push({ variable: name, fix: 'must be at least 1' });
    return n;
  };
  const level = (env['LOG_LEVEL'] || 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level))
    issues.push({ variable: 'LOG_LEVEL', fix: 'must be debug, info, warn, error or silent' });
  const port = number(env['PORT'], 3000, 'PORT');
  if (port > 65_535) issues.push({ variable: 'PORT', fix: `must be at most 65535, got "${env['PORT']}"` });
  const realDaraja = usesRealDaraja(env);
  if (realDaraja) issues.push(...realDarajaIssues(env));
  const config: AppConfig = {
    port,
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
  if (issues.length > 0) throw new SettingsError(issues, realDaraja);
  return config;
}
