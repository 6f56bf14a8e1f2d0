import { loggableId } from './ids.js';
import type { Log } from './log.js';
import type { Scheduler } from './scheduler.js';

/** One attempt to deliver a callback, as kept in {@link Simulator.callbacks}. */
export interface SimulatorCallbackRecord {
  /**
   * What was delivered: `stk.callback`, `c2b.validation`, `c2b.confirmation`, `<operation>.result` (e.g.
   * `b2c.pay.result`) or `<operation>.queueTimeout`.
   */
  readonly operation: string;
  /**
   * The transaction the callback is about: the `CheckoutRequestID` (STK), the `TransID` (C2B), or the
   * `OriginatorConversationID` (initiator results and queue timeouts).
   */
  readonly transactionId: string;
  /** Where it was POSTed. */
  readonly url: string;
  /** Which copy this was: 1, or 2 and more for duplicated callbacks. */
  readonly copy: number;
  /** When the attempt started. */
  readonly time: Date;
  /** True when the receiver answered with a 2xx status. */
  readonly ok: boolean;
  /** The receiver's HTTP status; `undefined` when it never answered. */
  readonly status: number | undefined;
  /** Why it failed: `HTTP 500`, `ECONNREFUSED`, `timeout`, …; `undefined` when it succeeded. */
  readonly error: string | undefined;
  /** The start of the receiver's answer (at most 2,000 characters). */
  readonly responseText: string | undefined;
  /** How long the attempt took. */
  readonly durationMs: number;
  /** The JSON body that was sent. */
  readonly body: unknown;
}

/** @internal One callback to deliver. */
export interface CallbackJob {
  operation: string;
  transactionId: string;
  url: string;
  body: unknown;
  /** Extra request headers, e.g. Daraja's `BusinessShortCode`. */
  headers?: Record<string, string>;
}

const MAX_RESPONSE_TEXT = 2000;

function failureReason(error: unknown): string {
  let e: unknown = error;
  for (let i = 0; i < 4 && typeof e === 'object' && e !== null; i++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    if (name === 'TimeoutError') return 'timeout';
    if (name === 'AbortError') return 'aborted';
    e = (e as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * @internal
 * POSTs callbacks the way Daraja does (JSON, `application/json;charset=UTF-8`, no authentication) and
 * records every attempt. A failure (refused, timeout, non-2xx) is recorded and logged, never thrown.
 * Daraja does not document whether it retries a failed callback, so a failed callback is not retried.
 */
export class CallbackSender {
  readonly #scheduler: Scheduler;
  readonly #log: Log;
  readonly #timeoutMs: number;
  readonly #records: SimulatorCallbackRecord[];

  constructor(scheduler: Scheduler, log: Log, timeoutMs: number, records: SimulatorCallbackRecord[]) {
    this.#scheduler = scheduler;
    this.#log = log;
    this.#timeoutMs = timeoutMs;
    this.#records = records;
  }

  /**
   * Deliver `copies` copies of the callback after `delayMs` (at the same moment, to reproduce Daraja's
   * duplicates racing each other).
   *
   * @returns Cancels the delivery if it has not started.
   */
  schedule(job: CallbackJob, delayMs: number, copies = 1): () => void {
    return this.#scheduler.schedule(delayMs, () =>
      Promise.all(Array.from({ length: copies }, (_, i) => this.#deliver(job, i + 1, this.#timeoutMs))),
    );
  }

  /**
   * Deliver one copy now and return its record, with the receiver's answer (C2B validation reads it).
   * Call it from scheduled work, so `idle()` waits for it.
   *
   * @param timeoutMs - How long the receiver gets to answer. @defaultValue `callbackTimeoutMs`
   */
  send(job: CallbackJob, timeoutMs = this.#timeoutMs): Promise<SimulatorCallbackRecord> {
    return this.#deliver(job, 1, timeoutMs);
  }

  async #deliver(job: CallbackJob, copy: number, timeoutMs: number): Promise<SimulatorCallbackRecord> {
    const time = new Date();
    const started = performance.now();
    let status: number | undefined;
    let responseText: string | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(job.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json;charset=UTF-8', ...job.headers },
        body: JSON.stringify(job.body),
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#scheduler.signal]),
      });
      status = response.status;
      responseText = (await response.text()).slice(0, MAX_RESPONSE_TEXT);
      if (!response.ok) error = `HTTP ${status}`;
    } catch (cause) {
      error = failureReason(cause);
    }
    const durationMs = Math.round(performance.now() - started);
    const record: SimulatorCallbackRecord = {
      operation: job.operation,
      transactionId: job.transactionId,
      url: job.url,
      copy,
      time,
      ok: error === undefined,
      status,
      error,
      responseText,
      durationMs,
      body: job.body,
    };
    this.#records.push(record);
    // Only the origin is logged: callback URLs often carry a secret path token. A CheckoutRequestID
    // holds the payer's number, so it is logged masked.
    const fields = {
      operation: job.operation,
      transactionId: loggableId(job.transactionId),
      to: originOf(job.url),
      copy,
    };
    if (error === undefined) this.#log.info('sim: callback delivered', { ...fields, status, durationMs });
    else this.#log.warn('sim: callback delivery failed', { ...fields, status, error, durationMs });
    return record;
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '[invalid URL]';
  }
}
