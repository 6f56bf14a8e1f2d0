// The one way the resources check their parameters: each field goes through a checker of this file,
// which returns the value to send (trimmed, normalised) or throws a DarajaValidationError naming the
// field and saying how to fix it. The limits checked against live in `../limits.ts`.
import { DarajaValidationError } from '../errors.js';
import { STK_MAX_AMOUNT } from '../limits.js';
import { validateCallbackUrl } from './url.js';

/** @internal Throw the {@link DarajaValidationError} of a field: what is wrong and how to fix it. */
export function invalid(field: string, fix: string): never {
  throw new DarajaValidationError(field, fix);
}

/** @internal Check that `params` is an object before reading fields from it. */
export function requireParams<T>(params: T, shape: string): T & object {
  if (typeof params !== 'object' || params === null) invalid('params', `pass an object: ${shape}.`);
  return params;
}

/**
 * @internal
 * A whole number of shillings from `min` (1 unless given) to `max`. Daraja has no cents, and a float here
 * is almost always a bug (e.g. a price in cents, or a tax computed without rounding).
 */
export function wholeShillings(
  field: string,
  value: unknown,
  max = Number.MAX_SAFE_INTEGER,
  min = 1,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    invalid(field, `must be a number of shillings, got ${typeof value}.`);
  if (!Number.isInteger(value))
    invalid(
      field,
      `must be a whole number of shillings (M-Pesa has no cents), got ${value}. Round it, e.g. Math.ceil(${value}).`,
    );
  if (value < min || value > max)
    invalid(field, `must be between ${min} and ${max.toLocaleString('en-US')} shillings, got ${value}.`);
  return value;
}

/** @internal Check an STK amount: a whole number of shillings from 1 to 250,000. */
export function validateAmount(amount: unknown, field = 'amount'): number {
  return wholeShillings(field, amount, STK_MAX_AMOUNT);
}

// C0 controls and DEL: never meaningful in these fields, and PostgreSQL refuses NUL in text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** @internal Does `text` hold a C0 control character or DEL? */
export function hasControlCharacter(text: string): boolean {
  return CONTROL_CHARACTER.test(text);
}

/** @internal How a text field is checked by {@link text}. */
export interface TextRule {
  /** Fewest characters (after trimming); `0` lets an empty text through. */
  min: number;
  /** Most characters. */
  max: number;
  /**
   * A field shown to a customer or stored by the payment flow: control characters are refused, and an
   * empty text is told it is required, with `purpose`.
   */
  plain?: { purpose: string };
}

/** @internal Check a text field's type, characters and length; returns it trimmed. */
export function text(field: string, value: unknown, rule: TextRule): string {
  const { min, max, plain } = rule;
  const bounds = plain ? `at most ${max}` : `${min} to ${max}`;
  if (typeof value !== 'string')
    invalid(field, `must be a string of ${bounds} characters, got ${typeof value}.`);
  const trimmed = value.trim();
  if (plain && hasControlCharacter(trimmed))
    invalid(
      field,
      'must not contain control characters (such as a NUL byte, tab or line break). Remove them.',
    );
  if (plain && min > 0 && trimmed.length === 0)
    invalid(field, `is required: ${min} to ${max} characters (${plain.purpose}).`);
  if (trimmed.length < min || trimmed.length > max)
    invalid(
      field,
      `is ${trimmed.length} characters; Daraja ${plain ? 'allows' : 'accepts'} ${bounds}. ${trimmed.length > max ? 'Shorten' : 'Lengthen'} it.`,
    );
  return trimmed;
}

/** @internal {@link text} for an optional field: `undefined` when absent or empty. */
export function optionalText(field: string, value: unknown, rule: TextRule): string | undefined {
  return value === undefined || value === '' ? undefined : text(field, value, rule);
}

/** @internal A trimmed string of `min`–`max` characters (a field sent to Daraja). */
export function textField(field: string, value: unknown, min: number, max: number): string {
  return text(field, value, { min, max });
}

/**
 * @internal
 * A text of at most `max` characters without control characters (customer-facing STK fields, the
 * payment flow's own fields); `required` refuses an empty one.
 */
export function validateText(field: string, value: unknown, max: number, required: boolean): string {
  return text(field, value, {
    min: required ? 1 : 0,
    max,
    plain: { purpose: "shown on the customer's prompt" },
  });
}

/** @internal A numeric code (shortcode, till, PayBill number) of `min`–`max` digits, as a string. */
export function digitsField(field: string, value: unknown, min: number, max: number, what: string): string {
  const digits = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '';
  if (!new RegExp(`^\\d{${min},${max}}$`).test(digits))
    invalid(field, `must be ${what}: ${min} to ${max} digits, e.g. "600992".`);
  return digits;
}

/** @internal A whole number from `min` to `max`; `fix` says what is expected. */
export function wholeNumber(field: string, value: unknown, min: number, max: number, fix: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    invalid(field, fix);
  return value;
}

/** @internal A string matching `pattern`; `fix` says what is expected. */
export function matching(field: string, value: unknown, pattern: RegExp, fix: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) invalid(field, fix);
  return value;
}

/** @internal One of a fixed set of strings (command ids, identifier types). */
export function oneOf<T extends string>(
  field: string,
  value: unknown,
  allowed: readonly T[],
  fix = `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}.`,
): T {
  const candidate = typeof value === 'number' ? String(value) : value;
  if (typeof candidate !== 'string' || !(allowed as readonly string[]).includes(candidate))
    invalid(field, fix);
  return candidate as T;
}

/**
 * @internal
 * An absolute http(s) URL Daraja will accept (HTTPS in production; with `publicOnly`, one reachable from
 * the internet).
 */
export function urlField(field: string, value: unknown, production: boolean, publicOnly = false): string {
  const problem = validateCallbackUrl(value, production, publicOnly);
  if (problem) invalid(field, problem);
  return value as string;
}

/** @internal An M-Pesa transaction id (receipt), e.g. `NEF61H8J60`. */
export function transactionIdField(field: string, value: unknown): string {
  return matching(
    field,
    typeof value === 'string' ? value.trim() : '',
    /^[A-Za-z0-9]{6,20}$/,
    'must be an M-Pesa transaction id (the receipt number), e.g. "NEF61H8J60": 6 to 20 letters and digits.',
  );
}
