import ky from 'ky';
import {
  DarajaError,
  DarajaNetworkError,
  type DarajaOperation,
  DarajaTimeoutError,
  DarajaUnknownOutcomeError,
} from '../errors.js';
import type { Log } from '../logger.js';
import { hasDarajaErrorCode, isInvalidTokenAnswer, readErrorEnvelope, toApiError } from './api-errors.js';
import { type AttemptFailure, backoffDelay, type RetryPolicy, shouldRetry, sleep } from './retry.js';

/** Per-call options accepted by every API method. */
export interface RequestOptions {
  /** Overrides the client's `timeoutMs` for each attempt of this call. */
  timeoutMs?: number;
  /** Aborts the call. Aborting a money-moving call after it was sent gives a `DarajaUnknownOutcomeError`. */
  signal?: AbortSignal;
}

/** @internal One API call as the transport sees it. */
export interface RequestSpec {
  operation: DarajaOperation;
  method: 'GET' | 'POST';
  /** Path and query, starting with `/`. */
  path: string;
  body?: unknown;
  /** `bearer` uses the token manager; `basic` sends the given `Authorization` value (OAuth). */
  auth: 'bearer' | { basic: string };
  /**
   * A money-moving call (STK push, B2B, reversal, …) is never resent once it may have reached Daraja.
   * Ambiguous failures become {@link DarajaUnknownOutcomeError}.
   */
  moneyMoving: boolean;
  /**
   * A key in the body that Daraja deduplicates (B2C's `OriginatorConversationID`): a second request with
   * it is rejected as `500.002.1001` "Duplicate". A money-moving call with a key is retried after an
   * ambiguous failure (same body, same key), and a duplicate answer becomes a `DarajaDuplicateError`.
   */
  idempotencyKey?: string;
  /** What a {@link DarajaUnknownOutcomeError} tells the caller to do, for a money-moving call. */
  unknownOutcomeAdvice?: string;
  /** Answers that are normal results for this operation and must not be retried or logged as errors. */
  isExpectedError?: (status: number, body: unknown) => boolean;
}

/** @internal Where the transport gets bearer tokens from. */
export interface TokenSource {
  get(): Promise<string>;
  invalidate(token: string): Promise<void>;
}

/** @internal */
export interface TransportConfig {
  baseUrl: string;
  timeoutMs: number;
  retry: RetryPolicy;
  fetch: typeof globalThis.fetch | undefined;
  log: Log;
}

/** @internal A successful answer: status and parsed body. */
export interface TransportResponse {
  status: number;
  body: unknown;
}

// undici / Node error codes that prove no byte of the request reached the server.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_INVALID_URL',
]);

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 4 && typeof e === 'object' && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function parseBody(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  if (trimmed[0] === '{' || trimmed[0] === '[') {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * @internal
 * Sends requests through ky with a timeout per attempt, the retry ladder of `retry.ts`, error mapping
 * and one token replay after an invalid-token answer.
 */
export class Transport {
  readonly #config: TransportConfig;
  #tokens: TokenSource | undefined;

  constructor(config: TransportConfig) {
    this.#config = config;
  }

  setTokenSource(tokens: TokenSource): void {
    this.#tokens = tokens;
  }

  async send(spec: RequestSpec, options: RequestOptions = {}): Promise<TransportResponse> {
    const { log, retry } = this.#config;
    const timeoutMs = options.timeoutMs ?? this.#config.timeoutMs;
    const url = this.#config.baseUrl + spec.path;
    let attempt = 0;
    let replayed = false;
    const idempotent = spec.idempotencyKey !== undefined;

    for (;;) {
      if (options.signal?.aborted) {
        // Nothing of this attempt was sent, so the outcome is whatever earlier attempts did.
        throw new DarajaNetworkError(`[daraja] ${spec.operation}: aborted by the caller`, {
          operation: spec.operation,
          cause: options.signal.reason,
        });
      }
      let token: string | undefined;
      let authorization: string;
      if (spec.auth === 'bearer') {
        if (!this.#tokens) throw new DarajaError('[daraja] internal: no token source configured');
        token = await this.#tokens.get();
        authorization = `Bearer ${token}`;
      } else {
        authorization = spec.auth.basic;
      }

      const started = Date.now();
      log.debug('request', { operation: spec.operation, method: spec.method, path: spec.path, attempt });
      let response: Response;
      try {
        response = await ky(url, {
          method: spec.method,
          headers: { authorization, accept: 'application/json' },
          ...(spec.body === undefined ? {} : { json: spec.body }),
          timeout: timeoutMs,
          retry: 0,
          throwHttpErrors: false,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(this.#config.fetch ? { fetch: this.#config.fetch } : {}),
        });
      } catch (cause) {
        const failure = this.#transportFailure(spec, cause, timeoutMs);
        const kind: AttemptFailure = NOT_SENT_CODES.has(errorCode(cause) ?? '')
          ? { kind: 'not_sent' }
          : { kind: 'no_answer' };
        if (!options.signal?.aborted && shouldRetry(kind, attempt, retry, spec.moneyMoving, idempotent)) {
          const delayMs = backoffDelay(attempt, retry);
          log.warn('retrying after a failed attempt', {
            operation: spec.operation,
            attempt,
            delayMs,
            reason: failure.name,
            ...(idempotent ? { idempotencyKey: spec.idempotencyKey } : {}),
          });
          attempt += 1;
          await sleep(delayMs, options.signal).catch(() => undefined); // an abort is handled at the top
          continue;
        }
        if (spec.moneyMoving && kind.kind === 'no_answer') {
          const unknown = new DarajaUnknownOutcomeError(spec.operation, failure, spec.unknownOutcomeAdvice);
          log.error(
            idempotent
              ? 'outcome unknown after retrying with the same key'
              : 'outcome unknown; not resending',
            {
              operation: spec.operation,
              reason: failure.name,
            },
          );
          throw unknown;
        }
        log.error('request failed', { operation: spec.operation, error: failure.name, attempt });
        throw failure;
      }

      const text = await response.text().catch(() => '');
      const body = parseBody(text);
      const durationMs = Date.now() - started;

      if (response.ok) {
        log.debug('response', { operation: spec.operation, status: response.status, durationMs });
        return { status: response.status, body };
      }

      const envelope = readErrorEnvelope(body);
      if (token !== undefined && !replayed && isInvalidTokenAnswer(response.status, envelope)) {
        // The gateway refused the token before doing anything: safe to replay once, even for STK push.
        log.warn('access token rejected; fetching a new one and replaying once', {
          operation: spec.operation,
          status: response.status,
          errorCode: envelope.errorCode,
        });
        await this.#tokens?.invalidate(token);
        replayed = true;
        continue;
      }

      if (spec.isExpectedError?.(response.status, body)) {
        log.debug('response', { operation: spec.operation, status: response.status, durationMs });
        return { status: response.status, body };
      }

      const failure: AttemptFailure = {
        kind: 'http',
        status: response.status,
        errorCode: envelope.errorCode,
        errorMessage: envelope.errorMessage,
      };
      if (shouldRetry(failure, attempt, retry, spec.moneyMoving, idempotent)) {
        const delayMs = backoffDelay(attempt, retry, response.headers.get('retry-after'));
        log.warn('retrying after an error answer', {
          operation: spec.operation,
          attempt,
          delayMs,
          status: response.status,
          errorCode: envelope.errorCode,
          ...(idempotent ? { idempotencyKey: spec.idempotencyKey } : {}),
        });
        attempt += 1;
        await sleep(delayMs, options.signal).catch(() => undefined); // an abort is handled at the top
        continue;
      }

      const apiError = toApiError(
        spec.operation,
        response.status,
        body,
        response.statusText,
        spec.idempotencyKey,
      );
      if (spec.moneyMoving && response.status >= 500 && !hasDarajaErrorCode(envelope)) {
        // A 5xx from the gateway (HTML, empty, Apigee fault) says nothing about whether the push went out.
        log.error(
          idempotent ? 'outcome unknown after retrying with the same key' : 'outcome unknown; not resending',
          {
            operation: spec.operation,
            status: response.status,
            durationMs,
          },
        );
        throw new DarajaUnknownOutcomeError(spec.operation, apiError, spec.unknownOutcomeAdvice);
      }
      log.error('request failed', {
        operation: spec.operation,
        status: response.status,
        errorCode: apiError.errorCode,
        errorMessage: apiError.errorMessage,
        requestId: apiError.requestId,
        durationMs,
      });
      throw apiError;
    }
  }

  #transportFailure(spec: RequestSpec, cause: unknown, timeoutMs: number): DarajaNetworkError {
    if (cause instanceof DarajaError) return cause as DarajaNetworkError;
    const name = (cause as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError') {
      return new DarajaTimeoutError(
        `[daraja] ${spec.operation}: no answer from Daraja within ${timeoutMs} ms. Raise timeoutMs if Daraja is slow.`,
        { operation: spec.operation, timeoutMs, cause },
      );
    }
    if (name === 'AbortError') {
      return new DarajaNetworkError(`[daraja] ${spec.operation}: aborted by the caller`, {
        operation: spec.operation,
        cause,
      });
    }
    const code = errorCode(cause);
    return new DarajaNetworkError(
      `[daraja] ${spec.operation}: could not reach Daraja${code ? ` (${code})` : ''}. Check the network and baseUrl.`,
      { operation: spec.operation, cause },
    );
  }
}
