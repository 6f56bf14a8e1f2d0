import type { CallbackJob, CallbackSender } from './callbacks.js';
import type { Log } from './log.js';
import type { Scheduler } from './scheduler.js';

// One lifecycle for every asynchronous Daraja API the simulator serves (STK push, the initiator
// operations, C2B): a request is accepted, its outcome is decided (a queued outcome, the test's
// resolve() in manual mode, or the API's rule), it stays pending, then it settles (the result is
// written and the ledger moves), and its callback goes out as the outcome's delivery says. Each API
// file brings only its rules, its routes and its bodies.

/**
 * How the simulator decides STK outcomes and initiator results:
 *
 * - `auto`: every request is decided `callbackDelayMs` after it is accepted, by its rule (for STK the
 *   `outcomeRule`, by default the phone-number rule {@link STK_OUTCOME_RULES}).
 * - `manual`: every prompt stays open ("The transaction is being processed") until the test calls
 *   {@link Simulator.resolve} (or {@link Simulator.resolveResult}), or until `promptTimeoutMs` passes
 *   (then the prompt ends as `timeout`, 1037).
 *
 * Outcomes queued with {@link Simulator.nextOutcome} take precedence in both modes.
 */
export type SimulatorMode = 'auto' | 'manual';

/** @internal How a settled result reaches its URL; the initiator APIs add `queue-timeout` on top. */
export type Delivery = 'once' | 'none' | 'duplicate' | 'late';

/** @internal The timing and the machinery every API's lifecycle shares. */
export interface EngineConfig {
  scheduler: Scheduler;
  callbacks: CallbackSender;
  log: Log;
  callbackDelayMs: number;
  lateCallbackDelayMs: number;
  duplicateCallbackCount: number;
}

/** @internal POST a callback as its delivery says: not at all, once, late, or several copies at once. */
export function deliver(config: EngineConfig, job: CallbackJob, delivery: Delivery): void {
  if (delivery === 'none') return;
  if (delivery === 'duplicate') config.callbacks.schedule(job, 0, config.duplicateCallbackCount);
  else config.callbacks.schedule(job, delivery === 'late' ? config.lateCallbackDelayMs : 0);
}

/** @internal What the lifecycle keeps per request: the API's own record, and the pending decision. */
export interface Tracked {
  /** Cancels the pending automatic decision (or prompt timeout). */
  cancel: (() => void) | undefined;
}

/** @internal A callback to send once a request settles, and how. */
export interface Settled {
  job: CallbackJob;
  delivery: Delivery;
}

/** @internal What one API plugs into the lifecycle. */
export interface LifecycleRules<E extends Tracked, P> {
  /** The mode in effect. */
  mode(): SimulatorMode;
  /** The outcome of a new request in `auto` mode, by the API's rule. It may throw: nothing is stored then. */
  rule(entry: E): P;
  /** A request was accepted with this plan: log it, arm a prompt timeout… */
  accepted(entry: E, plan: P | 'manual'): void;
  /** Write the result (and its ledger effects) into the entry; the callback to send, if any. */
  settle(entry: E, plan: P, now: Date): Settled | undefined;
}

/**
 * @internal
 * The shared lifecycle: queued outcomes, the choice of plan, the pending decision, settlement and the
 * callback. Requests are kept by id; an API may look them up by other ids through {@link Lifecycle.find}.
 */
export class Lifecycle<E extends Tracked, P> {
  readonly #config: EngineConfig;
  readonly #rules: LifecycleRules<E, P>;
  readonly #entries = new Map<string, E>();
  readonly #queue: Array<P | 'manual'> = [];

  constructor(config: EngineConfig, rules: LifecycleRules<E, P>) {
    this.#config = config;
    this.#rules = rules;
  }

  /** Queue plans for the next requests, in order. */
  enqueue(plans: ReadonlyArray<P | 'manual'>): void {
    this.#queue.push(...plans);
  }

  /** A queued plan first, then the mode: wait for resolve(), or the rule. */
  choose(entry: E): P | 'manual' {
    const queued = this.#queue.shift();
    if (queued !== undefined) return queued;
    return this.#rules.mode() === 'manual' ? 'manual' : this.#rules.rule(entry);
  }

  /** Store an accepted request and schedule its decision (none in manual: it waits for resolve()). */
  open(id: string, entry: E, plan: P | 'manual'): void {
    this.#entries.set(id, entry);
    this.#rules.accepted(entry, plan);
    if (plan !== 'manual') this.settleAfter(entry, this.#config.callbackDelayMs, plan);
  }

  /** Settle the request after `delayMs` unless decided before. */
  settleAfter(entry: E, delayMs: number, plan: P): void {
    entry.cancel = this.#config.scheduler.schedule(delayMs, () => this.settle(entry, plan));
  }

  /** Settle now: cancel the pending decision, write the result, send the callback. */
  settle(entry: E, plan: P): void {
    entry.cancel?.();
    entry.cancel = undefined;
    const settled = this.#rules.settle(entry, plan, new Date());
    if (settled) deliver(this.#config, settled.job, settled.delivery);
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** The request stored under `id`, else the first one `match` accepts. */
  find(id: string, match?: (entry: E) => boolean): E | undefined {
    return this.#entries.get(id) ?? (match ? [...this.#entries.values()].find(match) : undefined);
  }

  entries(): E[] {
    return [...this.#entries.values()];
  }

  /** Forget every request and queued plan; pending decisions are cancelled. */
  reset(): void {
    for (const entry of this.#entries.values()) entry.cancel?.();
    this.#entries.clear();
    this.#queue.length = 0;
  }
}

/** @internal One row of a rule by the last two digits: numbers ending in `suffix` get `outcome`. */
export function suffixRule<O extends string, C>(
  suffix: string,
  outcome: O,
  resultCode: C,
  description: string,
) {
  return { suffix, outcome, resultCode, description };
}

/**
 * @internal
 * An outcome given by name or as `{ result, delivery }`, spelled out with the delivery checked, or a
 * `TypeError` saying what is wrong (outcomes come from tests and the control API: checked at run time).
 * The result itself is checked by the caller.
 */
export function spellOut<R, D extends string>(
  outcome: unknown,
  named: Readonly<Record<string, { result: R; delivery: D }>>,
  deliveries: readonly D[],
  what: string,
): { result: R; delivery: D } {
  const spec =
    typeof outcome === 'string'
      ? Object.hasOwn(named, outcome)
        ? named[outcome]
        : undefined
      : typeof outcome === 'object' && outcome !== null
        ? (outcome as { result: R; delivery?: D })
        : undefined;
  if (spec === undefined) {
    throw new TypeError(
      `daraja-sim: unknown ${what} ${JSON.stringify(outcome)}; use one of ${Object.keys(named).join(', ')}, or { result, delivery }.`,
    );
  }
  const delivery = spec.delivery ?? ('once' as D);
  if (!deliveries.includes(delivery)) {
    throw new TypeError(
      `daraja-sim: unknown delivery ${JSON.stringify(delivery)}; use one of ${deliveries.join(', ')}.`,
    );
  }
  return { result: spec.result, delivery };
}
