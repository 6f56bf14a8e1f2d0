// PostgreSQL's column readers for the row mapping the two SQL stores share (`payments/sql-rows.ts`):
// `pg` gives `timestamptz` as a `Date`, `jsonb` as its value and `boolean` as a boolean; each reader also
// takes the text form (PGlite may give text).
import { fencingToken, fromJsonText, type Row, sqlRowMapping, toJsonText } from '../payments/sql-rows.js';

export { fencingToken, type Row, toJsonText };

/** A `timestamptz` column as a `Date` (`pg` gives a `Date`, PGlite may give text); `null` stays `null`. */
export const toDate = (v: unknown): Date | null =>
  v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v));

/** The mapping of `daraja_payments` and `daraja_callback_events` rows with PostgreSQL's readers. */
export const { toPayment, toClaim, toEvent } = sqlRowMapping({
  text: (v) => (v as string | null) ?? null,
  date: toDate,
  bool: (v) => v === true || v === 't',
  json: (v) => (typeof v === 'string' ? JSON.parse(v) : v) as unknown,
  jsonText: fromJsonText,
});
