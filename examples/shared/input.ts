/**
 * Checks on what a browser sends, before anything reaches the database or Daraja. PostgreSQL refuses a
 * NUL byte in text, and no id, key or phone number has a control character: such input is a 400 naming
 * the field, never a 500.
 */

/** The payment ids the SDK issues: `pay_` and base64url (22 characters today; bounded, with room). */
export const PAYMENT_ID = /^pay_[A-Za-z0-9_-]{1,64}$/;

/** Whether a string holds a C0 control character (U+0000–U+001F: NUL, tab, line breaks…) or DEL (U+007F). */
export function hasControlCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
