import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttemptFailure,
  backoffDelay,
  type RetryPolicy,
  shouldRetry,
  sleep,
} from '../../../../src/core/http/retry.js';

const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 8_000 };

describe('shouldRetry ladder', () => {
  const http = (status: number, errorCode?: string): AttemptFailure => ({ kind: 'http', status, errorCode });
  const table: Array<[string, AttemptFailure, boolean, boolean]> = [
    // name, failure, money-moving?, expected
    ['not sent, push', { kind: 'not_sent' }, true, true],
    ['not sent, query', { kind: 'not_sent' }, false, true],
    ['no answer, push', { kind: 'no_answer' }, true, false],
    ['no answer, query', { kind: 'no_answer' }, false, true],
    ['429 push', http(429), true, false],
    ['429 query', http(429), false, true],
    ['503 push', http(503), true, false],
    ['503 query', http(503), false, true],
    ['being processed', http(500, '500.001.1001'), false, false],
    ['duplicate', http(500, '500.002.1001'), false, false],
    ['spike arrest', http(500, '500.003.02'), false, true],
    ['400', http(400, '400.002.02'), false, false],
    ['404', http(404), false, false],
  ];
  it.each(table)('%s → %s', (_n, failure, money, expected) => {
    expect(shouldRetry(failure, 0, policy, money)).toBe(expected);
  });
  const idempotent: Array<[string, AttemptFailure, boolean]> = [
    // money-moving with an idempotency key (B2C): ambiguous failures are retried, business answers are not
    ['no answer', { kind: 'no_answer' }, true],
    ['503', http(503), true],
    ['429', http(429), true],
    ['duplicate', http(500, '500.002.1001'), false],
    ['Daraja 500.001', http(500, '500.001.1001'), false],
    ['400', http(400, '400.002.02'), false],
  ];
  it.each(idempotent)('idempotent money-moving: %s → %s', (_n, failure, expected) => {
    expect(shouldRetry(failure, 0, policy, true, true)).toBe(expected);
    expect(shouldRetry(failure, 0, policy, true, false)).toBe(false);
  });
  it('stops when retries are used up', () => {
    expect(shouldRetry({ kind: 'not_sent' }, 3, policy, false)).toBe(false);
    expect(shouldRetry({ kind: 'no_answer' }, 2, policy, false)).toBe(true);
  });
});

describe('backoffDelay', () => {
  it('stays within [base/2, cap] and grows exponentially before the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, r) => {
          const d = backoffDelay(attempt, policy, null, () => r);
          const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
          expect(d).toBeGreaterThanOrEqual(policy.baseDelayMs / 2);
          expect(d).toBeLessThanOrEqual(policy.maxDelayMs);
          expect(d).toBeGreaterThanOrEqual(Math.floor(exp * 0.5));
          expect(d).toBeLessThanOrEqual(Math.ceil(exp));
        },
      ),
    );
  });
  it('has jitter', () => {
    expect(backoffDelay(2, policy, null, () => 0)).toBe(1000);
    expect(backoffDelay(2, policy, null, () => 0.999999)).toBe(2000);
  });
  it('honours Retry-After in seconds or as a date, capped', () => {
    expect(backoffDelay(0, policy, '3', () => 0)).toBe(3000);
    expect(backoffDelay(0, policy, '120', () => 0)).toBe(8000);
    expect(backoffDelay(0, policy, new Date(Date.now() + 5_000).toUTCString(), () => 0)).toBeGreaterThan(
      3_500,
    );
    expect(backoffDelay(0, policy, 'garbage', () => 0)).toBe(250);
  });
});

describe('sleep', () => {
  // A wait of a minute that had to run out would time this test out: each must end at once.
  it('rejects at once with the reason of a signal aborted before the wait, or during it', async () => {
    const before = new AbortController();
    before.abort(new Error('stopped before'));
    await expect(sleep(60_000, before.signal)).rejects.toThrow('stopped before');
    const during = new AbortController();
    const wait = sleep(60_000, during.signal);
    during.abort(new Error('stopped during'));
    await expect(wait).rejects.toThrow('stopped during');
  });

  it('resolves at once for no wait, and after the wait otherwise', async () => {
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(1, new AbortController().signal)).resolves.toBeUndefined();
  });
});
