import { sleep } from '../core/http/retry.js';
/** How many STK queries the payment flow may send: `limit` per `intervalMs`, at most `burst` at once. */
export interface QueryBudget {
  /** Queries per interval. */
  limit: number;
  /** The interval, in ms. */
  intervalMs: number;
  /** Queries that may go out back to back (the bucket's size). @defaultValue 1 */
  burst?: number;
}

/**
 * A budget that keeps the sandbox's STK query limit quiet. The sandbox was observed to allow about 5
 * queries per 60 s with a burst of 1 (Apigee SpikeArrest: HTTP 429 beyond it, i.e. one every 12 s); this
 * sends at most 4 per 60 s, one every 15 s, so network jitter cannot push two within 12 s.
 */
export const SANDBOX_QUERY_BUDGET: Readonly<QueryBudget> = Object.freeze({
  limit: 4,
  intervalMs: 60_000,
  burst: 1,
});

/**
 * The default STK query budget anywhere but the sandbox (production, the simulator): 5 per second, up to
 * 10 at once. Safaricom provisions production limits per app; set your own if yours differ.
 */
export const DEFAULT_QUERY_BUDGET: Readonly<QueryBudget> = Object.freeze({
  limit: 5,
  intervalMs: 1_000,
  burst: 10,
});

/** @internal A token bucket on the real clock, with a pause after a rate-limit answer. */
export class QueryLimiter {
  readonly #perMs: number;
  readonly #capacity: number;
  #tokens: number;
  #at: number;
  #blockedUntil = 0;

  constructor(budget: QueryBudget) {
    this.#perMs = budget.limit / budget.intervalMs;
    this.#capacity = Math.max(1, budget.burst ?? 1);
    this.#tokens = this.#capacity;
    this.#at = Date.now();
  }

  #refill(now: number): void {
    if (now <= this.#at) return;
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
  }

  /** Take a token now if there is one. */
  tryTake(): boolean {
    const now = Date.now();
    if (now < this.#blockedUntil) return false;
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** How many queries could go out within `ms` from now (for sizing a batch). */
  within(ms: number): number {
    const now = Date.now();
    this.#refill(now);
    const from = Math.max(now, this.#blockedUntil);
    const usable = ms - (from - now);
    if (usable < 0) return 0;
    return Math.floor(Math.min(this.#capacity, this.#tokens) + usable * this.#perMs);
  }

  /** Wait for a token, up to `maxWaitMs`; false when none comes in time. */
  async take(maxWaitMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      if (signal?.aborted) return false;
      if (this.tryTake()) return true;
      const now = Date.now();
      const wait =
        now < this.#blockedUntil ? this.#blockedUntil - now : Math.ceil((1 - this.#tokens) / this.#perMs);
      if (now + wait > deadline) return false;
      await sleep(Math.max(1, wait));
    }
  }

  /** After a 429 / spike arrest: send nothing for `ms`, and start again from an empty bucket. */
  block(ms: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, Date.now() + ms);
    this.#tokens = 0;
    this.#at = this.#blockedUntil;
  }
}
