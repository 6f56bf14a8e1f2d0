/**
 * Mask a phone number for logs and error messages, keeping the first four and last four digits of a
 * full number (`254712345678` → `2547****5678`). Shorter values keep less: a value of eight digits or
 * fewer keeps only its last two. Non-digit characters are kept as they are.
 *
 * @param value - A phone number in any form.
 * @returns The masked form, safe to log.
 *
 * @example
 * ```ts
 * maskPhoneNumber('254712345678'); // '2547****5678'
 * maskPhoneNumber('0712345678');   // '0712**5678'
 * ```
 */
export function maskPhoneNumber(value: string | number): string {
  const text = String(value);
  const digits = text.replace(/\D/g, '').length;
  const keepStart = digits > 8 ? 4 : 0;
  const keepEnd = digits > 8 ? 4 : 2;
  let seen = 0;
  let out = '';
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') {
      out += seen < keepStart || seen >= digits - keepEnd ? ch : '*';
      seen += 1;
    } else {
      out += ch;
    }
  }
  return out;
}

// Kenyan mobile numbers in the forms they appear in text: 2547…/2541… (optionally +), 07…/01….
const PHONE_IN_TEXT = /(?<!\d)(?:\+?254|0)[17]\d{8}(?!\d)/g;

/**
 * Mask every Kenyan mobile number found in a piece of text, including the payer's digits that Daraja's
 * current `CheckoutRequestID` ends with (`ws_CO_…712345678` → `ws_CO_…7****5678`).
 *
 * @param text - Any text, e.g. a log message or an error body.
 * @returns The text with each phone number masked by {@link maskPhoneNumber}.
 */
export function maskPhoneNumbersInText(text: string): string {
  return text
    .replace(PHONE_IN_TEXT, (m) => maskPhoneNumber(m))
    .replace(
      PHONE_IN_CHECKOUT_ID,
      (_m, head: string, national: string) => `ws_CO_${head}${national[0]}****${national.slice(5)}`,
    );
}

// Daraja's current CheckoutRequestID: ws_CO_ + DDMMYYYYHHmmss + milliseconds + the payer's last nine digits.
const PHONE_IN_CHECKOUT_ID = /ws_CO_(\d{15,17})([17]\d{8})(?!\d)/g;

const PHONE_NUMBER = /^(?:254|0)[17]\d{8}$/;
const SECRET_KEY = /pass(word|key)|secret|token|authori[sz]ation|credential|consumer_?key|app_?key/i;
const MAX_DEPTH = 6;

/**
 * @internal
 * Does this object key name a secret (password, passkey, secret, token, authorization, credential,
 * consumer key, Bill Manager app key)? {@link redact} replaces the values of such keys.
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Return a copy of a value that is safe to log: keys that look secret (password, passkey, secret, token,
 * authorization, credential, consumer key, app key) are replaced by `'[redacted]'`, and phone numbers in strings and numbers are
 * masked. The input is never mutated.
 *
 * @param value - Any value, e.g. log fields or a response body.
 * @returns A redacted copy.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhoneNumbersInText(value);
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && PHONE_NUMBER.test(String(value)) ? maskPhoneNumber(value) : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: maskPhoneNumbersInText(value.message) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}
