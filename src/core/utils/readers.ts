// Readers for the JSON bodies Daraja POSTs to you: the initiator results (`results/result.ts`), the C2B
// validation and confirmation payloads (`c2b/payload.ts`) and the Pull Transactions answer (`c2b/pull.ts`).
// They sit in the core, below both `c2b/` and `results/`, so neither folder reaches into the other
// (`results/index.ts` re-exports the C2B helpers; ARCHITECTURE.md has the layer rule). Pure, no I/O.
import { DarajaCallbackError } from '../errors.js';

/** @internal A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @internal
 * The body of a callback as an object: accepts a parsed object, JSON text or its bytes (for frameworks
 * without a JSON body parser). JSON.parse defines `__proto__` keys as own properties, so a hostile body
 * cannot change any prototype.
 */
export function readBody(body: unknown): Record<string, unknown> {
  let value = body;
  if (value instanceof Uint8Array) value = new TextDecoder().decode(value);
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new DarajaCallbackError('the body is not JSON.', { reason: 'invalid_body' });
    }
  }
  if (!isRecord(value))
    throw new DarajaCallbackError(
      `the body must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}.`,
      { reason: 'invalid_body' },
    );
  return value;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * @internal
 * An amount sent as a number (`1.00`) or a string (`"5.00"`, `"300"`, `"-1540.00"`). Absent or blank is
 * `undefined`; anything else is a {@link daraja-sdk!DarajaCallbackError} naming `path`.
 */
export function readAmount(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && DECIMAL.test(value.trim())) return Number(value.trim());
  throw new DarajaCallbackError(`${path} is not an amount (a number or a numeric string).`, {
    reason: 'invalid_field',
    path,
  });
}

/** @internal A value Daraja sends as an object or an array of objects (`ResultParameter`, `ReferenceItem`). */
export function asList(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value;
  if (isRecord(value)) return [value];
  throw new DarajaCallbackError(`${path} must be an object or an array.`, { reason: 'invalid_field', path });
}
