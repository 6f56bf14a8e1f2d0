import { createHmac, randomBytes } from 'node:crypto';
import { tryNormalizePhoneNumber } from 'daraja-sdk';
import type { User } from './auth.js';
import type { AppConfig } from './config.js';
import { hasControlCharacters } from './input.js';
import type { Reply } from './service.js';

/**
 * One limit on starting payments, for an adapter to hand to its framework's rate-limit package
 * (`express-rate-limit`, `@fastify/rate-limit`). The numbers come from {@link AppConfig.initiateRateLimit}.
 */
export interface InitiateLimit {
  /** `user`: payments one signed-in user starts; `phone`: STK prompts one phone number is sent. */
  readonly name: 'user' | 'phone';
  /** Requests allowed per window. */
  readonly max: number;
  readonly windowMs: number;
  /** What this request counts under, or `undefined` when the limit does not apply (no valid phone number). */
  key(user: User, body: unknown): string | undefined;
}

/**
 * The phone number a request to start a payment names, normalised (`0712 345 678` and `+254712345678`
 * are one phone), or `undefined` when it names none (the service then answers 400).
 */
export function requestedPhone(body: unknown): string | undefined {
  const phone =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['phoneNumber'] : undefined;
  if (typeof phone === 'string' && hasControlCharacters(phone)) return undefined;
  return tryNormalizePhoneNumber(phone);
}

// The phone limit counts under a keyed hash of the normalised number, so neither the limiter's memory
// nor any debug output of the rate-limit package holds a phone number. The key lives only in this process,
// as the counts do.
const PHONE_KEY = randomBytes(32);
const phoneKey = (phone: string) =>
  `phone:${createHmac('sha256', PHONE_KEY).update(phone).digest('base64url')}`;

/** The enabled limits on `POST /api/subscription/initiate-mpesa`, per user first, then per phone. */
export function initiateLimits(config: Pick<AppConfig, 'initiateRateLimit'>): InitiateLimit[] {
  const { perUser, perPhone, windowMs } = config.initiateRateLimit;
  const limits: InitiateLimit[] = [];
  if (perUser > 0) limits.push({ name: 'user', max: perUser, windowMs, key: (user) => `user:${user.id}` });
  if (perPhone > 0) {
    limits.push({
      name: 'phone',
      max: perPhone,
      windowMs,
      key: (_user, body) => {
        const phone = requestedPhone(body);
        return phone === undefined ? undefined : phoneKey(phone);
      },
    });
  }
  return limits;
}

/** Whole seconds until a limit's window ends: at least 1. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** The 429 answer: `{ error: 'rate_limited', message, retryAfterSeconds }` with a `Retry-After` header. */
export function rateLimitedReply(limit: InitiateLimit, seconds: number): Reply {
  const wait =
    seconds === 1 ? 'a second' : seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
  const message =
    limit.name === 'user'
      ? `You have started too many payments in a short time. Try again in ${wait}.`
      : `Too many payment prompts were sent to this phone number in a short time. Try again in ${wait}.`;
  return {
    status: 429,
    headers: { 'retry-after': String(seconds) },
    body: { error: 'rate_limited', message, retryAfterSeconds: seconds },
  };
}
