import { createLog, type Log } from '../../core/logger.js';
import { toBase64Url } from '../../core/utils/bytes.js';
import { RejectionSampler } from '../audit.js';
import { type CallbackJournal, MemoryCallbackJournal } from '../journal.js';
import { DEFAULT_QUERY_BUDGET, QueryLimiter, SANDBOX_QUERY_BUDGET } from '../query-budget.js';
import { SAFARICOM_CALLBACK_IPS } from '../security.js';
import type { CallbackOutcome, PaymentStore } from '../types.js';
import type { PaymentFlowOptions } from './options.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const PAYMENT_ID = /^pay_[A-Za-z0-9_-]{1,64}$/;

/** The one-time warnings of a misconfiguration that makes callbacks fail. */
export type Misconfiguration = 'body' | 'remote_address' | 'allowed_ips' | 'schema';

/** What one fulfilment attempt came to (`skipped`: no claim, or nothing to fulfil). */
export type FulfilmentOutcome = 'fulfilled' | 'failed' | 'parked' | 'skipped';

/** One callback to process: as received, or replayed from the journal. */
export interface CallbackInput {
  eventId: string;
  receivedAt: Date;
  /** The body as kept for audit (JSON, or the text). */
  body: unknown;
  url: string | null;
  /** The URL's query, when already parsed (else read from `url`). */
  query?: URLSearchParams;
  address: string | null;
  fingerprint: { bytes: number; sha256: string };
}

/** What processing a callback decided, and the work it leaves for after the answer. */
export interface Processed {
  outcome: Exclude<CallbackOutcome, 'deferred'>;
  reason: string | null;
  paymentId: string | null;
  after?: () => Promise<unknown>;
}

/** The flow's durations, resolved from the options and their defaults. */
export interface FlowTimings {
  lease: number;
  retry: number;
  maxAttempts: number;
  recheck: number;
  maxRecheck: number;
  giveUp: number;
  giveUpUnknown: number;
  statusQuery: number;
  ack: number;
  /** The part of the ack deadline the store gets; the rest is the journal's. */
  storeDeadline: number;
}

/** The state every step of one flow shares: its options, collaborators and memory. */
export interface FlowContext {
  readonly o: PaymentFlowOptions;
  readonly store: PaymentStore;
  readonly journal: CallbackJournal;
  readonly secrets: readonly string[];
  readonly verifyToken: boolean;
  readonly allowedIps: readonly string[] | false;
  readonly trustedProxies: readonly string[];
  readonly log: Log;
  readonly now: () => Date;
  readonly lastQuery: Map<string, number>;
  readonly limiter: QueryLimiter | undefined;
  readonly sampler: RejectionSampler;
  /** The journal replay under way, if any (one at a time). */
  replaying?: Promise<{ applied: number; lateSuccesses: number }> | undefined;
  /** Journal entries that failed while others applied, by id: set aside after three such replays. */
  readonly poisoned: Map<string, number>;
  /** Set when this process journaled something (or at start): the next callback triggers a replay. */
  replayDue: boolean;
  /** The misconfiguration warnings already given (each once per flow). */
  readonly warned: Set<Misconfiguration>;
  /** Callbacks rejected by `allowedIps` so far, and whether any address passed it. */
  ipRejections: number;
  allowListPassed: boolean;
  readonly t: FlowTimings;
}

/** The shared state of a flow whose options passed validation (`secrets` from `validateFlowOptions`). */
export function createFlowContext(o: PaymentFlowOptions, secrets: readonly string[]): FlowContext {
  const sandbox = o.daraja.baseUrl === 'https://sandbox.safaricom.co.ke';
  const budget = o.queryBudget;
  const chosen = budget === undefined ? (sandbox ? SANDBOX_QUERY_BUDGET : DEFAULT_QUERY_BUDGET) : budget;
  return {
    o,
    store: o.store,
    journal: o.journal ?? new MemoryCallbackJournal(),
    secrets,
    verifyToken: o.verifyCallbackToken !== false,
    allowedIps: o.allowedIps === undefined ? SAFARICOM_CALLBACK_IPS : o.allowedIps,
    trustedProxies: o.trustedProxies ?? [],
    log: createLog(o.logger ?? undefined, { component: 'payment-flow' }),
    now: o.now ?? (() => new Date()),
    lastQuery: new Map<string, number>(),
    limiter: chosen === false ? undefined : new QueryLimiter(chosen),
    sampler: new RejectionSampler(),
    poisoned: new Map<string, number>(),
    replayDue: true,
    warned: new Set<Misconfiguration>(),
    ipRejections: 0,
    allowListPassed: false,
    t: {
      lease: o.fulfilmentLeaseMs ?? 5 * MINUTE,
      retry: o.fulfilmentRetryDelayMs ?? 30_000,
      maxAttempts: o.maxFulfilmentAttempts ?? 10,
      recheck: o.recheckIntervalMs ?? 30_000,
      maxRecheck: o.maxRecheckIntervalMs ?? HOUR,
      giveUp: o.giveUpAfterMs ?? 24 * HOUR,
      giveUpUnknown: o.unknownOutcomeGiveUpAfterMs ?? 15 * MINUTE,
      statusQuery: o.statusQueryIntervalMs ?? 5_000,
      ack: o.ackDeadlineMs ?? 3_000,
      storeDeadline: ((o.ackDeadlineMs ?? 3_000) * 2) / 3,
    },
  };
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 1000);
  return String(error).slice(0, 1000);
}

const ID_BYTES = 12;
const idPool = new Uint8Array(ID_BYTES * 256);
let idOffset = idPool.length;

/**
 * A random id (`prefix` and 12 random bytes, base64url), drawn from a pool filled 256 ids at a time: one
 * call into the system's random source per 256 callbacks instead of one each. Ids are not secrets.
 */
export function randomId(prefix: string): string {
  if (idOffset + ID_BYTES > idPool.length) {
    crypto.getRandomValues(idPool);
    idOffset = 0;
  }
  idOffset += ID_BYTES;
  return prefix + toBase64Url(idPool.subarray(idOffset - ID_BYTES, idOffset));
}

export const TIMED_OUT = Symbol('timed out');

/** Race `promise` against `ms`; the promise goes on (its rejection is observed) after a timeout. */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
