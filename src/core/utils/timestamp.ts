const NAIROBI_OFFSET_MS = 3 * 60 * 60 * 1000; // East Africa Time, UTC+3, no daylight saving

/**
 * Format a moment as Daraja's `YYYYMMDDHHmmss` timestamp in Nairobi time (UTC+3), whatever the server's
 * time zone.
 *
 * @param date - The moment to format; defaults to now.
 * @returns e.g. `20210628092408`.
 *
 * @example
 * ```ts
 * darajaTimestamp(new Date('2021-06-28T06:24:08Z')); // '20210628092408'
 * ```
 */
export function darajaTimestamp(date: Date = new Date()): string {
  const d = new Date(date.getTime() + NAIROBI_OFFSET_MS);
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  return (
    String(d.getUTCFullYear()) +
    pad(d.getUTCMonth() + 1) +
    pad(d.getUTCDate()) +
    pad(d.getUTCHours()) +
    pad(d.getUTCMinutes()) +
    pad(d.getUTCSeconds())
  );
}

/**
 * Parse a Daraja `YYYYMMDDHHmmss` timestamp (Nairobi time) into a `Date`. Accepts a string or a number,
 * as Daraja sends both.
 *
 * @param value - e.g. `20191219102115` or `"20191219102115"`.
 * @returns The moment, or `undefined` when the value is not a valid timestamp.
 */
export function parseDarajaTimestamp(value: string | number): Date | undefined {
  const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : '') : value.trim();
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - NAIROBI_OFFSET_MS;
  const check = new Date(ms + NAIROBI_OFFSET_MS);
  // Reject impossible dates such as 20210231 rather than rolling them over.
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return new Date(ms);
}
