/**
 * @internal
 * A `Retry-After` header value in ms: delay-seconds (`"30"`, fractions accepted) or an HTTP date (the
 * time until it, never negative). `undefined` when absent or unreadable. Read by the retry ladder
 * (`retry.ts`) and by the error factory for `DarajaRateLimitError.retryAfterMs` (`api-errors.ts`).
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
