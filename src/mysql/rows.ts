// MariaDB's and MySQL's column readers for the row mapping the two SQL stores share
// (`payments/sql-rows.ts`), and the parameters this store writes (times, durations).
import { fencingToken, fromJsonText, type Row, sqlRowMapping, toJsonText } from '../payments/sql-rows.js';

export { fencingToken, type Row, toJsonText };

/**
 * A `DATETIME(3)` column, selected as text (`CAST(… AS CHAR)`: `2026-05-01 12:00:00.123`, UTC), as a
 * `Date`; `null` stays `null`. Read as text so the pool's `timezone` and `dateStrings` settings cannot
 * shift it.
 */
export const toDate = (v: unknown): Date | null => {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  return new Date(`${String(v).replace(' ', 'T')}Z`);
};

/** A time as a `DATETIME(3)` parameter in UTC (`YYYY-MM-DD HH:MM:SS.mmm`). */
export const toDateTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

/**
 * The mapping of `daraja_payments` and `daraja_callback_events` rows (selected with `PAYMENT_COLUMNS` and
 * `EVENT_COLUMNS` of `sql.ts`) with MariaDB's and MySQL's readers: times as text, `TINYINT(1)` as 0 or 1,
 * `JSON` as text (MariaDB) or its value (MySQL).
 */
export const { toPayment, toClaim, toEvent } = sqlRowMapping({
  text: (v) => (v === null || v === undefined ? null : String(v)),
  date: toDate,
  bool: (v) => Number(v) === 1,
  json: fromJsonText,
  jsonText: fromJsonText,
});

/** A duration in whole milliseconds, never negative (a `TIMESTAMPADD` parameter). */
export const ms = (n: number): number => Math.max(0, Math.round(n));
