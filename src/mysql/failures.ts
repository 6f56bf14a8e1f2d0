import { DarajaConfigError } from '../core/errors.js';

type DbError = { errno?: unknown; code?: unknown; message?: unknown; sql?: unknown; sqlMessage?: unknown };

/** The message of a duplicate-key error (`ER_DUP_ENTRY`, 1062; it names the key), else undefined. */
export function duplicateKey(error: unknown): string | undefined {
  const e = error as DbError | null;
  if (e?.errno !== 1062 && e?.code !== 'ER_DUP_ENTRY') return undefined;
  return String(e?.sqlMessage ?? e?.message ?? '');
}

/** A deadlock (1213) or a lock wait timeout (1205): the transaction was rolled back and may be run again. */
export function isRetryable(error: unknown): boolean {
  const errno = (error as DbError | null)?.errno;
  return errno === 1213 || errno === 1205;
}

/**
 * A failure of the connection rather than an answer of the server: mysql2's fatal errors, its timeout
 * (`PROTOCOL_SEQUENCE_TIMEOUT`) and socket errors (`ECONNRESET`…). The server's errors are `ER_…`.
 */
export function isTransportError(error: unknown): boolean {
  const e = error as (DbError & { fatal?: unknown }) | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  return e?.fatal === true || code.startsWith('PROTOCOL_') || /^E[A-Z]+$/.test(code);
}

/**
 * mysql2 puts the statement on its errors (`sql`), with the parameters inlined by `query`: a phone number
 * would reach logs. The error loses that property; its code, number and message stay.
 */
export function withoutStatement(error: unknown): unknown {
  if (error && typeof error === 'object' && 'sql' in error) {
    try {
      delete (error as DbError).sql;
    } catch {
      // A frozen error keeps it; nothing better to do.
    }
  }
  return error;
}

/**
 * A query that failed because the schema is not there (`ER_NO_SUCH_TABLE`, 1146) or older than this code
 * (`ER_BAD_FIELD_ERROR`, 1054): a setup step was missed, not an outage. Becomes a
 * {@link DarajaConfigError} saying to migrate, with the database's error as its `cause`.
 */
export function schemaError(error: unknown): DarajaConfigError | undefined {
  const errno = (error as DbError | null)?.errno;
  if (errno !== 1146 && errno !== 1054) return undefined;
  const what =
    errno === 1146
      ? 'the tables of MySqlPaymentStore do not exist (the database says: no such table)'
      : 'the tables of MySqlPaymentStore are older than this version of daraja-sdk (unknown column)';
  return new DarajaConfigError(
    [
      {
        field: 'store',
        message: `${what}. Call await store.migrate() once at start-up, before the first payment. It is safe on every start and from several instances.`,
      },
    ],
    { cause: error },
  );
}
