import { DarajaValidationError } from '../errors.js';
import { validateCallbackUrl } from './url.js';

/** @internal Check that `params` is an object before reading fields from it. */
export function requireParams<T>(params: T, shape: string): T & object {
  if (typeof params !== 'object' || params === null)
    throw new DarajaValidationError('params', `pass an object: ${shape}.`);
  return params;
}

/**
 * @internal
 * A whole number of shillings from 1 to `max`. Daraja has no cents, and a float here is almost always a
 * bug (e.g. a price in cents, or a tax computed without rounding).
 */
export function wholeShillings(field: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new DarajaValidationError(field, `must be a number of shillings, got ${typeof value}.`);
  if (!Number.isInteger(value))
    throw new DarajaValidationError(
      field,
      `must be a whole number of shillings (M-Pesa has no cents), got ${value}. Round it, e.g. Math.ceil(${value}).`,
    );
  if (value < 1 || value > max)
    throw new DarajaValidationError(
      field,
      `must be between 1 and ${max.toLocaleString('en-US')} shillings, got ${value}.`,
    );
  return value;
}

/** @internal A trimmed string of `min`–`max` characters; `undefined` when optional and absent or empty. */
export function textField(field: string, value: unknown, min: number, max: number): string;
export function textField(
  field: string,
  value: unknown,
  min: number,
  max: number,
  optional: true,
): string | undefined;
export function textField(
  field: string,
  value: unknown,
  min: number,
  max: number,
  optional = false,
): string | undefined {
  if (optional && (value === undefined || value === '')) return undefined;
  if (typeof value !== 'string')
    throw new DarajaValidationError(
      field,
      `must be a string of ${min} to ${max} characters, got ${typeof value}.`,
    );
  const text = value.trim();
  if (text.length < min || text.length > max)
    throw new DarajaValidationError(
      field,
      `is ${text.length} characters; Daraja accepts ${min} to ${max}. ${text.length > max ? 'Shorten' : 'Lengthen'} it.`,
    );
  return text;
}

/** @internal A numeric code (shortcode, till, PayBill number) of `min`–`max` digits, as a string. */
export function digitsField(field: string, value: unknown, min: number, max: number, what: string): string {
  const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '';
  if (!new RegExp(`^\\d{${min},${max}}$`).test(text))
    throw new DarajaValidationError(field, `must be ${what}: ${min} to ${max} digits, e.g. "600992".`);
  return text;
}

/** @internal One of a fixed set of strings (command ids, identifier types). */
export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !(allowed as readonly string[]).includes(text))
    throw new DarajaValidationError(field, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}.`);
  return text as T;
}

/** @internal An absolute http(s) URL Daraja will accept (HTTPS in production). */
export function urlField(field: string, value: unknown, production: boolean): string {
  const problem = validateCallbackUrl(value, production);
  if (problem) throw new DarajaValidationError(field, problem);
  return value as string;
}

/** @internal An M-Pesa transaction id (receipt), e.g. `NEF61H8J60`. */
export function transactionIdField(field: string, value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!/^[A-Za-z0-9]{6,20}$/.test(text))
    throw new DarajaValidationError(
      field,
      'must be an M-Pesa transaction id (the receipt number), e.g. "NEF61H8J60": 6 to 20 letters and digits.',
    );
  return text;
}
