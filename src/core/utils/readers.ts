// Readers for the JSON bodies Daraja POSTs to you, the one set every parser uses: the STK callback
// (`inbound/stk-callback.ts`), the initiator results (`inbound/result.ts`), the C2B validation and
// confirmation payloads (`inbound/c2b-payload.ts`) and the Pull Transactions answer (`resources/c2b/pull.ts`).
// They sit in the core, below both `resources/` and `inbound/`, so neither folder reaches into the other
// (`inbound/index.ts` re-exports the C2B helpers; ARCHITECTURE.md has the layer rule). Pure, no I/O.
import { DarajaCallbackError } from '../errors.js';

/** @internal A JSON object as read from a body. */
export type Json = Record<string, unknown>;

/** @internal A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @internal The object's own property `key`: `__proto__` or `constructor` keys read nothing inherited. */
export function own(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** @internal Throw a {@link daraja-sdk!DarajaCallbackError} with a `reason` and, for one field, its `path`. */
export function fail(reason: string, message: string, path?: string): never {
  throw new DarajaCallbackError(message, { reason, path });
}

/** @internal How a parser words what is wrong with a whole body (see {@link readBody}). */
export interface BodyRules {
  /** Text longer than this many characters is refused (`too_large`). @defaultValue no limit */
  readonly maxChars?: number;
  /** The reason and message for text that is not JSON. @defaultValue `invalid_body`, "the body is not JSON." */
  readonly notJson?: readonly [reason: string, message: string];
  /** The message for JSON that is not an object. @defaultValue one naming what it is */
  readonly notObject?: string;
  /**
   * Keep a leading byte-order mark of bytes (`JSON.parse` then refuses them), as `Buffer#toString` does.
   * @defaultValue false: a byte-order mark is dropped, as `TextDecoder` does
   */
  readonly keepBom?: boolean;
}

const UTF8 = new TextDecoder();
const UTF8_KEEP_BOM = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * @internal
 * The body of a callback as an object: accepts a parsed object, JSON text or its bytes (for frameworks
 * without a JSON body parser). JSON.parse defines `__proto__` keys as own properties, so a hostile body
 * cannot change any prototype.
 */
export function readBody(body: unknown, rules: BodyRules = {}): Json {
  let value = body;
  if (value instanceof Uint8Array) value = (rules.keepBom ? UTF8_KEEP_BOM : UTF8).decode(value);
  if (typeof value === 'string') {
    const max = rules.maxChars;
    if (max !== undefined && value.length > max) fail('too_large', `the body is larger than ${max} bytes.`);
    try {
      value = JSON.parse(value);
    } catch {
      const [reason, message] = rules.notJson ?? ['invalid_body', 'the body is not JSON.'];
      fail(reason, message);
    }
  }
  if (!isRecord(value))
    fail(
      'invalid_body',
      rules.notObject ??
        `the body must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}.`,
    );
  return value;
}

/**
 * @internal
 * A value Daraja sends as text: a string as sent, a finite number as its digits, anything else
 * `undefined`.
 */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * @internal
 * A text field ({@link textOf}): absent (`undefined` or `null`) is `undefined`; any other value that is not
 * text is a {@link daraja-sdk!DarajaCallbackError} naming `path` (and, with `sayType`, what it is).
 */
export function readText(value: unknown, path: string, sayType = false): string | undefined {
  const text = textOf(value);
  if (text !== undefined || value === undefined || value === null) return text;
  return fail('invalid_field', `${path} must be a string${sayType ? `, got ${typeof value}` : ''}.`, path);
}

/**
 * @internal
 * The own property `key` as a non-blank string of at most `max` characters (numbers are refused):
 * `missing_field` or `invalid_field` naming `path` otherwise.
 */
export function requireString(obj: Json, key: string, path: string, max = 200): string {
  const v = own(obj, key);
  if (typeof v !== 'string' || v.trim() === '')
    fail('missing_field', `${path} must be a non-empty string.`, path);
  if (v.length > max) fail('invalid_field', `${path} is longer than ${max} characters.`, path);
  return v;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * @internal
 * The number of an amount sent as a number (`1.00`) or a decimal string (`"5.00"`, `" 300 "`,
 * `"-1540.00"`); `NaN` for anything else, blank included.
 */
export function amountOf(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value === 'string' && DECIMAL.test(value.trim())) return Number(value.trim());
  return Number.NaN;
}

/**
 * @internal
 * An amount sent as a number (`1.00`) or a string (`"5.00"`, `"300"`, `"-1540.00"`). Absent or blank is
 * `undefined`; anything else is a {@link daraja-sdk!DarajaCallbackError} naming `path`.
 */
export function readAmount(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const amount = amountOf(value);
  if (Number.isNaN(amount))
    fail('invalid_field', `${path} is not an amount (a number or a numeric string).`, path);
  return amount;
}

/**
 * @internal
 * A payment's amount: a number or a decimal string above 0 and at most 1e9 shillings; anything else,
 * absent included, is a {@link daraja-sdk!DarajaCallbackError} naming `path`.
 */
export function readPositiveAmount(value: unknown, path: string): number {
  const amount = amountOf(value);
  if (!(amount > 0 && amount <= 1e9)) fail('invalid_field', `${path} must be a positive amount.`, path);
  return amount;
}

/** @internal A value Daraja sends as an object or an array of objects (`ResultParameter`, `ReferenceItem`). */
export function asList(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value;
  if (isRecord(value)) return [value];
  return fail('invalid_field', `${path} must be an object or an array.`, path);
}
