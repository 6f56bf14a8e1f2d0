import ky from 'ky';
import {
  DarajaError,
  DarajaNetworkError,
  type DarajaOperation,
  DarajaTimeoutError,
  DarajaUnknownOutcomeError,
} from '../errors.js';
import type { Log } from '../logger.js';
import { answerRequestId, errorCode, NOT_SENT_CODES, parseBody, safeHeaders } from './answer.js';
import {
  type ApiCall,
  hasDarajaErrorCode,
  isInvalidTokenAnswer,
  readErrorEnvelope,
  toApiError,
} from './api-errors.js';
import { type DarajaHttpEvent, type Emit, httpEvent } from './hooks.js';
import { readBody } from './read-body.js';
import { checkRequestOptions, RESPONSE_SINK, type RequestOptions } from './request-options.js';
import { type AttemptFailure, backoffDelay, type RetryPolicy, shouldRetry, sleep } from './retry.js';
import { userAgent } from './user-agent.js';

export type { DarajaResponseMeta, RequestOptions } from './request-options.js';

/** @internal One API call as the transport sees it. */
export interface RequestSpec extends ApiCall {
  operation: DarajaOperation;
  /**
   * The Daraja API product the call needs, as the Daraja portal names it (`M-Pesa Express`, `Business To
   * Customer`): a `401.003.01` answer becomes a {@link DarajaProductNotEnabledError} naming it.
   */
  product: string;
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
  /** Where each step of a call goes: the client's hooks and the diagnostics channels. */
  emit?: Emit;
}

/** @internal A successful answer: status and parsed body. */
export interface TransportResponse {
  status: number;
  body: unknown;
}

/** An answer with an error status, read. `token` is the bearer token the attempt carried. */
interface ErrorAnswer {
  response: Response;
  body: unknown;
  token: string | undefined;
  durationMs: number;
}

/** The state of one call across its attempts. */
interface Call {
  readonly spec: RequestSpec;
  readonly signal: AbortSignal | undefined;
  /** The timeout of each attempt, in ms. */
  readonly timeoutMs: number;
  /** The retry policy of this call: the client's, with the call's own `maxRetries`. */
  readonly retry: RetryPolicy;
  /** The call's own headers, checked (names in lower case). */
  readonly headers: Record<string, string>;
  /** Where the answer's metadata goes, if the resource base asked for it. */
  readonly sink: RequestOptions[typeof RESPONSE_SINK];
  /** Requests sent so far (retries and the token replay included). */
  sent: number;
  /** The call carries a key Daraja deduplicates (B2C's `OriginatorConversationID`). */
  readonly idempotent: boolean;
  /** Retries so far (a token replay is not one). */
  attempt: number;
  /** The one replay after an invalid-token answer was used. */
  replayed: boolean;
}

/** What to do after an error answer: send again (a retry or the token replay), or return the answer. */
type Next = 'again' | TransportResponse;

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

  /**
   * Send `spec` until it gets an answer the ladder accepts: each attempt asks for a token, goes out with
   * its own timeout, and its failure is either retried (after a backoff) or thrown as a Daraja error.
   */
  async send(spec: RequestSpec, options: RequestOptions = {}): Promise<TransportResponse> {
    const headers = checkRequestOptions(options);
    const { retry } = this.#config;
    const call: Call = {
      spec,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.#config.timeoutMs,
      retry: options.maxRetries === undefined ? retry : { ...retry, maxRetries: options.maxRetries },
      headers,
      sink: options[RESPONSE_SINK],
      sent: 0,
      idempotent: spec.idempotencyKey !== undefined,
      attempt: 0,
      replayed: false,
    };
    try {
      return await this.#attempts(call);
    } catch (error) {
      this.#emit('error', call, { error: (error as { name?: string } | null)?.name ?? 'Error' });
      throw error;
    }
  }

  /** The step of a call, to the hooks and the diagnostics channels. */
  #emit(step: Parameters<Emit>[0], call: Call, fields: Partial<DarajaHttpEvent>): void {
    const emit = this.#config.emit;
    if (emit === undefined) return;
    const { spec } = call;
    const attempt = call.sent;
    emit(step, () =>
      httpEvent({ operation: spec.operation, method: spec.method, path: spec.path, attempt, ...fields }),
    );
  }

  /** The attempts of a call, until an answer the ladder accepts or an error. */
  async #attempts(call: Call): Promise<TransportResponse> {
    const { spec } = call;
    for (;;) {
      if (call.signal?.aborted) {
        // Nothing of this attempt was sent, so the outcome is whatever earlier attempts did.
        throw new DarajaNetworkError(`[daraja] ${spec.operation}: aborted by the caller`, {
          operation: spec.operation,
          cause: call.signal.reason,
        });
      }
      const token = spec.auth === 'bearer' ? await this.#bearerToken() : undefined;
      const started = Date.now();
      this.#config.log.debug('request', {
        operation: spec.operation,
        method: spec.method,
        path: spec.path,
        attempt: call.attempt,
      });
      let response: Response;
      let text: string;
      try {
        response = await this.#fetch(call, spec.auth === 'bearer' ? `Bearer ${token}` : spec.auth.basic);
        text = await readBody(response, call, call.timeoutMs - (Date.now() - started));
      } catch (cause) {
        await this.#afterNoAnswer(call, cause); // throws, or waits before the retry
        continue;
      }
      const body = parseBody(text);
      const durationMs = Date.now() - started;
      const requestId = answerRequestId(body);
      this.#emit('response', call, { status: response.status, durationMs, requestId });
      if (response.ok) {
        this.#config.log.debug('response', {
          operation: spec.operation,
          status: response.status,
          durationMs,
        });
        return this.#answered(call, response, body);
      }
      const next = await this.#afterErrorAnswer(call, { response, body, token, durationMs });
      if (next !== 'again') return next;
    }
  }

  /** The answer the call returns, its metadata handed to the call's sink first. */
  #answered(call: Call, response: Response, body: unknown): TransportResponse {
    call.sink?.({
      operation: call.spec.operation,
      status: response.status,
      headers: safeHeaders(response.headers),
      requestId: answerRequestId(body),
      attempts: call.sent,
    });
    return { status: response.status, body };
  }

  #bearerToken(): Promise<string> {
    if (!this.#tokens) throw new DarajaError('[daraja] internal: no token source configured');
    return this.#tokens.get();
  }

  /** One attempt through ky: its timeout only, no retry of its own, HTTP errors returned as answers. */
  #fetch(call: Call, authorization: string): Promise<Response> {
    const { spec, signal } = call;
    call.sent += 1;
    this.#emit('request', call, {});
    return ky(this.#config.baseUrl + spec.path, {
      method: spec.method,
      headers: { ...call.headers, authorization, accept: 'application/json', 'user-agent': userAgent() },
      ...(spec.body === undefined ? {} : { json: spec.body }),
      timeout: call.timeoutMs,
      retry: 0,
      throwHttpErrors: false,
      ...(signal ? { signal } : {}),
      ...(this.#config.fetch ? { fetch: this.#config.fetch } : {}),
    });
  }

  /**
   * No answer came back (timeout, reset, refused, aborted). Retry if the ladder allows it; otherwise throw
   * the network error, or, for a money-moving call that may have been sent, a `DarajaUnknownOutcomeError`.
   */
  async #afterNoAnswer(call: Call, cause: unknown): Promise<void> {
    const { spec, signal } = call;
    const failure = this.#transportFailure(spec, cause, call.timeoutMs);
    const kind: AttemptFailure = NOT_SENT_CODES.has(errorCode(cause) ?? '')
      ? { kind: 'not_sent' }
      : { kind: 'no_answer' };
    if (!signal?.aborted && shouldRetry(kind, call.attempt, call.retry, spec.moneyMoving, call.idempotent)) {
      const delayMs = backoffDelay(call.attempt, call.retry);
      await this.#retry(call, 'retrying after a failed attempt', delayMs, { reason: failure.name });
      return;
    }
    if (spec.moneyMoving && kind.kind === 'no_answer') {
      throw this.#unknownOutcome(call, failure, { reason: failure.name });
    }
    this.#config.log.error('request failed', {
      operation: spec.operation,
      error: failure.name,
      attempt: call.attempt,
    });
    throw failure;
  }

  /**
   * Daraja (or its gateway) answered with an error status. In order: replay once with a fresh token after
   * an invalid-token answer; return an answer the operation expects; retry if the ladder allows it;
   * otherwise throw the API error, or a `DarajaUnknownOutcomeError` for a money-moving call that got a
   * 5xx without a Daraja error body.
   */
  async #afterErrorAnswer(call: Call, answer: ErrorAnswer): Promise<Next> {
    const { spec } = call;
    const { log } = this.#config;
    const { response, body, token, durationMs } = answer;
    const envelope = readErrorEnvelope(body);
    if (token !== undefined && !call.replayed && isInvalidTokenAnswer(response.status, envelope)) {
      // The gateway refused the token before doing anything: safe to replay once, even for STK push.
      log.warn('access token rejected; fetching a new one and replaying once', {
        operation: spec.operation,
        status: response.status,
        errorCode: envelope.errorCode,
      });
      await this.#tokens?.invalidate(token);
      call.replayed = true;
      return 'again';
    }
    if (spec.isExpectedError?.(response.status, body)) {
      log.debug('response', { operation: spec.operation, status: response.status, durationMs });
      return this.#answered(call, response, body);
    }
    const failure: AttemptFailure = {
      kind: 'http',
      status: response.status,
      errorCode: envelope.errorCode,
      errorMessage: envelope.errorMessage,
    };
    if (shouldRetry(failure, call.attempt, call.retry, spec.moneyMoving, call.idempotent)) {
      const delayMs = backoffDelay(call.attempt, call.retry, response.headers.get('retry-after'));
      await this.#retry(call, 'retrying after an error answer', delayMs, {
        status: response.status,
        errorCode: envelope.errorCode,
      });
      return 'again';
    }
    const apiError = toApiError(spec, response.status, body, {
      statusText: response.statusText,
      retryAfter: response.headers.get('retry-after'),
    });
    if (spec.moneyMoving && response.status >= 500 && !hasDarajaErrorCode(envelope)) {
      // A 5xx from the gateway (HTML, empty, Apigee fault) says nothing about whether the push went out.
      throw this.#unknownOutcome(call, apiError, { status: response.status, durationMs });
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

  /** Log the retry, count it and wait its backoff (an abort during the wait is handled by `send`). */
  async #retry(call: Call, message: string, delayMs: number, fields: Record<string, unknown>): Promise<void> {
    const why =
      typeof fields['status'] === 'number'
        ? { status: fields['status'] }
        : { error: String(fields['reason']) };
    this.#emit('retry', call, { delayMs, ...why });
    this.#config.log.warn(message, {
      operation: call.spec.operation,
      attempt: call.attempt,
      delayMs,
      ...fields,
      ...(call.idempotent ? { idempotencyKey: call.spec.idempotencyKey } : {}),
    });
    call.attempt += 1;
    await sleep(delayMs, call.signal).catch(() => undefined);
  }

  /** The error of a money-moving call that may have reached Daraja without a clear answer, logged. */
  #unknownOutcome(
    call: Call,
    cause: DarajaError,
    fields: Record<string, unknown>,
  ): DarajaUnknownOutcomeError {
    const { spec } = call;
    const unknown = new DarajaUnknownOutcomeError(spec.operation, cause, spec.unknownOutcomeAdvice);
    this.#config.log.error(
      call.idempotent ? 'outcome unknown after retrying with the same key' : 'outcome unknown; not resending',
      { operation: spec.operation, ...fields },
    );
    return unknown;
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
