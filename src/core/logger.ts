import { maskPhoneNumbersInText, redact } from './utils/mask.js';

/** A log level used by the SDK. */
export type DarajaLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The logger interface the SDK writes to. `console` and pino loggers fit as they are: the SDK calls
 * `logger[level](fields, message)` with a plain object of fields first, pino-style.
 *
 * Every field is redacted before it reaches the logger: phone numbers are masked, and secrets, tokens,
 * the passkey and the STK password are never passed. Missing levels are skipped. The SDK is silent
 * unless you pass a logger, with one exception: the payment flow's one-time warnings of a misconfiguration
 * that makes every callback fail go to `console.warn` when the flow has no logger (see
 * `PaymentFlowOptions.logger`; `logger: null` silences them).
 *
 * @example
 * ```ts
 * const daraja = new Daraja({ ...options, logger: console });
 * const daraja2 = new Daraja({ ...options, logger: pino() });
 * ```
 */
export interface DarajaLogger {
  /** Per-request detail: each attempt, token cache hits. */
  debug?(fields: Record<string, unknown>, message: string): void;
  /** Normal outcomes: a push accepted, a token fetched. */
  info?(fields: Record<string, unknown>, message: string): void;
  /** Recoverable trouble: a retry, a token replay, a pending query. */
  warn?(fields: Record<string, unknown>, message: string): void;
  /** Failures returned to the caller. */
  error?(fields: Record<string, unknown>, message: string): void;
}

/** @internal The SDK's own logging front: redacts fields and never lets a logger failure escape. */
export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** True when a logger is attached (lets hot paths skip building fields). */
  readonly enabled: boolean;
}

const noop = () => {};

/** @internal */
export const silentLog: Log = { debug: noop, info: noop, warn: noop, error: noop, enabled: false };

/** @internal The log levels, least severe first. */
export const DARAJA_LOG_LEVELS: readonly DarajaLogLevel[] = Object.freeze(['debug', 'info', 'warn', 'error']);

/**
 * @internal
 * Wrap a user logger so every call is redacted and cannot throw. `minLevel` drops the levels below it
 * (`info` drops `debug`); every level reaches the logger when it is not given.
 */
export function createLog(
  logger: DarajaLogger | undefined,
  base: Record<string, unknown> = {},
  minLevel: DarajaLogLevel = 'debug',
): Log {
  if (!logger) return silentLog;
  const threshold = DARAJA_LOG_LEVELS.indexOf(minLevel);
  const emit = (level: DarajaLogLevel) => {
    const fn = logger[level];
    if (typeof fn !== 'function' || DARAJA_LOG_LEVELS.indexOf(level) < threshold) return noop;
    return (message: string, fields: Record<string, unknown> = {}) => {
      try {
        fn.call(
          logger,
          redact({ ...base, ...fields }) as Record<string, unknown>,
          `[daraja] ${maskPhoneNumbersInText(message)}`,
        );
      } catch {
        // A broken logger must never break a payment.
      }
    };
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    enabled: true,
  };
}
