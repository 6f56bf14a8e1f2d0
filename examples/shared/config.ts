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
  /** `DATA_DIR`: PGlite's folder. `memory` keeps it in memory. @defaultValue `.data/<app name>` */
  dataDir: string;
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
  /** `TRUSTED_PROXIES`: comma-separated proxy addresses whose X-Forwarded-For is believed. */
  trustedProxies: string[];
  /** `LOG_LEVEL`: debug, info, warn, error or silent. @defaultValue info */
  logLevel: LogLevel;
  /** A logger to use instead of the JSON-lines one (tests capture logs this way). */
  logger?: Required<DarajaLogger>;
}

const number = (value: string | undefined, fallback: number, name: string) => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
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
    dataDir: env['DATA_DIR'] || `.data/${appName}`,
    ...(env['CALLBACK_SECRET'] ? { callbackSecret: env['CALLBACK_SECRET'] } : {}),
    env,
    reconcileIntervalMs: number(env['RECONCILE_INTERVAL_MS'], 15_000, 'RECONCILE_INTERVAL_MS'),
    reconcileAfterMs: number(env['RECONCILE_AFTER_MS'], 20_000, 'RECONCILE_AFTER_MS'),
    simulatorCallbackDelayMs: number(
      env['SIMULATOR_CALLBACK_DELAY_MS'],
      1_500,
      'SIMULATOR_CALLBACK_DELAY_MS',
    ),
    trustedProxies: (env['TRUSTED_PROXIES'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    logLevel: level,
  };
}
