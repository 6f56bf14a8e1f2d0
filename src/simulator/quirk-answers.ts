import { createHash } from 'node:crypto';
import type {
  ActiveStkQueryQuirks,
  CallbackPhoneNumberForm,
  SpikeArrestRate,
  StkQueryQuirkName,
} from './quirks.js';
import type { RouteResponse } from './routes.js';

// The quirks at work: which one answers a query, the seeded random numbers, the gateway's rate limit,
// and the phone number of a success callback.

/** @internal What the quirk rules look at for one query. */
export interface QueryContext {
  /** The prompt is still open. */
  pending: boolean;
  /** How long ago the push was accepted, in ms. */
  ageMs: number;
  /** This query's number among the queries of the same `CheckoutRequestID`, from 1. */
  queryNumber: number;
}

// The order in which the quirks get a chance to answer; open-prompt quirks skip decided transactions.
const ORDER: ReadonlyArray<[StkQueryQuirkName, 'any' | 'pending']> = [
  ['intermittentError', 'any'],
  ['invalidCheckoutRequestId', 'pending'],
  ['stillProcessing', 'pending'],
  ['emptyErrorMessage', 'pending'],
];

/**
 * @internal
 * The quirk that answers this query, if any. Random numbers are drawn only for a rule whose other
 * conditions hold, so deterministic rules never consume them.
 */
export function pickQueryQuirk(
  quirks: ActiveStkQueryQuirks,
  query: QueryContext,
  random: () => number,
): StkQueryQuirkName | undefined {
  for (const [name, when] of ORDER) {
    const rule = quirks[name];
    if (rule === false || (when === 'pending' && !query.pending)) continue;
    if (rule.withinMs !== undefined && query.ageMs >= rule.withinMs) continue;
    if (query.queryNumber % (rule.every ?? 1) !== 0) continue;
    const p = rule.probability ?? 1;
    if (p >= 1 || (p > 0 && random() < p)) return name;
  }
  return undefined;
}

/**
 * @internal
 * Deterministic random numbers in [0, 1) from a 32-bit seed (mulberry32): the simulator's quirks must
 * repeat exactly under the same seed, which `Math.random` cannot.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * @internal
 * Apigee's SpikeArrest as a generic cell rate algorithm: one message per `periodMs / messagesPerPeriod`,
 * with up to `burst` at once. A rejected message does not count.
 */
export class SpikeArrest {
  readonly rate: Required<SpikeArrestRate>;
  #theoreticalArrival = Number.NEGATIVE_INFINITY;

  constructor(rate: Required<SpikeArrestRate>) {
    this.rate = rate;
  }

  /** Let a message through at `now` (ms), or refuse it. */
  take(now: number): boolean {
    const interval = this.rate.periodMs / this.rate.messagesPerPeriod;
    const tolerance = (this.rate.burst - 1) * interval;
    const arrival = Math.max(this.#theoreticalArrival, now);
    if (arrival - now > tolerance) return false;
    this.#theoreticalArrival = arrival + interval;
    return true;
  }

  /** Forget the messages seen so far. */
  reset(): void {
    this.#theoreticalArrival = Number.NEGATIVE_INFINITY;
  }
}

/** @internal The gateway's HTTP 429 answer: an Apigee fault naming the rate. */
export function spikeArrestViolation(rate: Required<SpikeArrestRate>): RouteResponse {
  const messageRate =
    `MessageRate{messagesPerPeriod=${rate.messagesPerPeriod}, periodInMicroseconds=${rate.periodMs * 1000}, ` +
    `maxBurstMessageCount=${rate.burst.toFixed(1)}}`;
  return {
    status: 429,
    body: {
      fault: {
        faultstring: `Spike arrest violation. Allowed rate : ${messageRate}`,
        detail: { errorcode: 'policies.ratelimit.SpikeArrestViolation' },
      },
    },
  };
}

/**
 * @internal
 * The `PhoneNumber` item of a success callback in the given form, or `undefined` to leave it out.
 *
 * @param msisdn - The payer's number, `2547XXXXXXXX`.
 */
export function callbackPhoneNumberItem(
  form: CallbackPhoneNumberForm,
  msisdn: string,
): { Name: 'PhoneNumber'; Value: number | string } | undefined {
  switch (form) {
    case 'omitted':
      return undefined;
    case 'masked':
      return { Name: 'PhoneNumber', Value: `${msisdn.slice(0, 4)}****${msisdn.slice(-4)}` };
    case 'hashed':
      return { Name: 'PhoneNumber', Value: createHash('sha256').update(msisdn).digest('hex') };
    default:
      return { Name: 'PhoneNumber', Value: Number(msisdn) };
  }
}
