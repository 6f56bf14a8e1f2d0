/**
 * The options of {@link Daraja}: their types and defaults. Their checks are in `client-checks.ts`;
 * `client.ts` re-exports this module.
 *
 * @module
 */

import type { MemoryTokenCache, TokenCache } from './core/auth/token-cache.js';
import type { DARAJA_CHANNELS, DarajaHooks } from './core/http/hooks.js';
import type { StkTransactionType } from './core/limits.js';
import type { DarajaLogger, DarajaLogLevel } from './core/logger.js';
import type { BillManagerOptions } from './resources/bill-manager/bill-manager.js';
import type { InitiatorOptions } from './resources/initiator/config.js';

/** Which Daraja to talk to. */
export type DarajaEnvironment = 'sandbox' | 'production';

/** Base URL of each Daraja environment. */
export const DARAJA_BASE_URLS: Readonly<Record<DarajaEnvironment, string>> = Object.freeze({
  sandbox: 'https://sandbox.safaricom.co.ke',
  production: 'https://api.safaricom.co.ke',
});
/** Default timeout of each attempt, in ms. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default number of retries for operations that are safe to repeat (OAuth, STK query). */
export const DEFAULT_MAX_RETRIES = 2;
/** Default delay before the first retry, in ms. */
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;
/** Default cap of a single retry delay, in ms. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 8_000;

/**
 * Options of {@link Daraja}. Only `consumerKey` and `consumerSecret` are required; the initiator options
 * ({@link InitiatorOptions}) are needed only for B2C, B2B, tax, transaction status, balance and reversal.
 */
export interface DarajaOptions extends InitiatorOptions {
  /** Consumer key of your Daraja app. Env: `MPESA_CONSUMER_KEY`. */
  consumerKey: string;
  /** Consumer secret of your Daraja app. Never logged. Env: `MPESA_CONSUMER_SECRET`. */
  consumerSecret: string;
  /** `sandbox` or `production`. Env: `MPESA_ENVIRONMENT`. @defaultValue `'sandbox'` */
  environment?: DarajaEnvironment;
  /** Overrides the environment's base URL, e.g. the local simulator. Env: `MPESA_BASE_URL`. */
  baseUrl?: string;
  /** Business shortcode for STK push (PayBill number, or store number for Buy Goods). Env: `MPESA_SHORTCODE`. */
  shortcode?: string | number;
  /** Lipa na M-Pesa Online passkey. Never logged. Env: `MPESA_PASSKEY`. */
  passkey?: string;
  /**
   * Default callback URL for STK push. HTTPS in production. When the client talks to Daraja (no `baseUrl`,
   * or a safaricom.co.ke one) it must be a URL Safaricom can reach: not `localhost`, `*.local` or a
   * loopback, private or link-local address (with `baseUrl` pointing at the simulator, those are fine).
   * Env: `MPESA_CALLBACK_URL`.
   */
  callbackUrl?: string;
  /** Default STK transaction type. @defaultValue `'CustomerBuyGoodsOnline'` when `tillNumber` is set, else `'CustomerPayBillOnline'` */
  transactionType?: StkTransactionType;
  /** Till number for Buy Goods (sent as PartyB). Env: `MPESA_TILL_NUMBER`. */
  tillNumber?: string | number;
  /** Timeout of each attempt, in ms. @defaultValue {@link DEFAULT_TIMEOUT_MS} */
  timeoutMs?: number;
  /**
   * Retries for calls that are safe to repeat: OAuth, STK query, transaction status, balance, QR, and B2C
   * (idempotent by its `OriginatorConversationID`). STK push, B2B, tax, reversal and C2B calls are never
   * resent once they may have reached Daraja. @defaultValue {@link DEFAULT_MAX_RETRIES}
   */
  maxRetries?: number;
  /** Delay before the first retry, in ms; doubles each time, with jitter. @defaultValue {@link DEFAULT_RETRY_BASE_DELAY_MS} */
  retryBaseDelayMs?: number;
  /** Cap of a single retry delay, in ms. @defaultValue {@link DEFAULT_RETRY_MAX_DELAY_MS} */
  retryMaxDelayMs?: number;
  /** The `fetch` to use (for proxies, tests or instrumentation). @defaultValue `globalThis.fetch` */
  fetch?: typeof globalThis.fetch;
  /** Where access tokens are kept; share one across processes with your own. @defaultValue a {@link MemoryTokenCache} */
  tokenCache?: TokenCache;
  /** Receives redacted logs (`console`, pino, …). @defaultValue silent, or `console` when a level is set */
  logger?: DarajaLogger;
  /**
   * The least severe level logged: `debug` (each attempt), `info`, `warn` (retries) or `error`. Without a
   * `logger`, setting it logs to `console` (through the same redaction). Without either, the constructor
   * reads `DARAJA_LOG` from `process.env` where it exists, so `DARAJA_LOG=debug node app.js` shows every
   * request without a code change. Env: `DARAJA_LOG`. @defaultValue every level when a `logger` is given
   */
  logLevel?: DarajaLogLevel;
  /**
   * Functions called at each step of every call (`onRequest`, `onResponse`, `onRetry`), each given the
   * same sanitized event the `node:diagnostics_channel` channels publish ({@link DARAJA_CHANNELS}). A
   * hook that throws never breaks the call.
   */
  hooks?: DarajaHooks;
  /**
   * Bill Manager's settings: the app key its opt-in answered with (a secret, never logged), the header it
   * is sent in (`app_key` by default) and the path prefix. See {@link BillManagerOptions}.
   */
  billManager?: BillManagerOptions;
}
