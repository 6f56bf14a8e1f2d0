import { DarajaValidationError } from '../errors.js';
import { maskPhoneNumber } from './mask.js';

const SEPARATORS = /[\s\-().]/g;
// After separators, a leading `+` or `00` and the country code are removed, a Kenyan mobile number is
// nine digits starting with 7 or 1 (07xx…, 01xx…), optionally behind a trunk `0`.
const KENYAN_MOBILE = /^(?:254|0)?([17]\d{8})$/;

/**
 * Normalise a Kenyan mobile number to the `2547XXXXXXXX` / `2541XXXXXXXX` form Daraja expects.
 *
 * Accepts every common form: `0712345678`, `0112345678`, `712345678`, `+254712345678`,
 * `254712345678`, `00254712345678`, with spaces, dashes, dots or brackets, and numbers.
 *
 * @param input - The phone number as typed by a customer.
 * @param field - The argument name used in the error message.
 * @returns The 12-digit `254…` form.
 * @throws {@link DarajaValidationError} when the input is not a Kenyan mobile number. The message shows
 * only a masked form of the input.
 *
 * @example
 * ```ts
 * normalizePhoneNumber('0712 345 678'); // '254712345678'
 * normalizePhoneNumber('+254 112 345 678'); // '254112345678'
 * ```
 */
export function normalizePhoneNumber(input: string | number, field = 'phoneNumber'): string {
  const normalized = tryNormalizePhoneNumber(input);
  if (normalized !== undefined) return normalized;
  const shown =
    typeof input === 'string' || typeof input === 'number'
      ? `"${maskPhoneNumber(String(input))}"`
      : typeof input;
  throw new DarajaValidationError(
    field,
    `${shown} is not a Kenyan mobile number. Use a number starting 07, 01, 7, 1, +254 or 254, ` +
      'e.g. 07XXXXXXXX, 01XXXXXXXX or +2547XXXXXXXX.',
  );
}

/**
 * Like {@link normalizePhoneNumber}, but returns `undefined` instead of throwing.
 *
 * @param input - The phone number to normalise.
 * @returns The `254…` form, or `undefined` when the input is not a Kenyan mobile number.
 */
export function tryNormalizePhoneNumber(input: unknown): string | undefined {
  let value: string;
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) return undefined;
    value = String(input);
  } else if (typeof input === 'string') {
    value = input.trim().replace(SEPARATORS, '');
  } else {
    return undefined;
  }
  if (value.startsWith('+')) value = value.slice(1);
  else if (value.startsWith('00')) value = value.slice(2);
  if (value.startsWith('2540')) value = `254${value.slice(4)}`; // "+254 (0)712…"
  const match = KENYAN_MOBILE.exec(value);
  return match ? `254${match[1]}` : undefined;
}
