import { toBase64, utf8Bytes } from './bytes.js';

/**
 * Build the STK push / query `Password`: base64 of shortcode + passkey + timestamp. The timestamp must be
 * the same one sent in the request's `Timestamp` field, or Daraja answers "Wrong credentials".
 *
 * The result reveals the passkey (it is only base64), so never log it.
 *
 * @param shortcode - The `BusinessShortCode`, e.g. `174379`.
 * @param passkey - The Lipa na M-Pesa Online passkey.
 * @param timestamp - A `YYYYMMDDHHmmss` timestamp from {@link darajaTimestamp}.
 * @returns The base64 password.
 *
 * @example
 * ```ts
 * stkPassword('174379', passkey, '20210628092408'); // 'MTc0Mzc5YmZi…'
 * ```
 */
export function stkPassword(shortcode: string | number, passkey: string, timestamp: string): string {
  return toBase64(utf8Bytes(`${shortcode}${passkey}${timestamp}`));
}
