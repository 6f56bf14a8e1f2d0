import { DarajaConfigError } from '../core/errors.js';

/** The constraint and message of a unique violation (`23505`), else undefined. */
export function uniqueViolation(error: unknown): string | undefined {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown; detail?: unknown };
  if (e?.code !== '23505') return undefined;
  return `${String(e.constraint ?? '')} ${String(e.message ?? '')} ${String(e.detail ?? '')}`;
}

/**
 * A query that failed because the schema is not there (`42P01` undefined_table) or older than this code
 * (`42703` undefined_column): a setup step was missed, not an outage. Becomes a {@link DarajaConfigError}
 * saying to migrate, with the database's error as its (sanitised) `cause`.
 */
export function schemaError(error: unknown): DarajaConfigError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== '42P01' && code !== '42703') return undefined;
  const what =
    code === '42P01'
      ? 'the tables of PostgresPaymentStore do not exist (the database says: undefined table)'
      : 'the tables of PostgresPaymentStore are older than this version of daraja-sdk (undefined column)';
  return new DarajaConfigError(
    [
      {
        field: 'store',
        message:
          `${what}. Call await store.migrate() once at start-up, before the first payment (or run ` +
          'npx daraja-sdk migrate with DATABASE_URL set). It is safe on every start and from several instances.',
      },
    ],
    { cause: error },
  );
}
