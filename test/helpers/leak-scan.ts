import {
  CONSUMER_KEY,
  CONSUMER_SECRET,
  DOC_SECURITY_CREDENTIALS,
  INITIATOR_PASSWORD,
  PASSKEY,
  SECURITY_CREDENTIAL,
  SHORTCODE,
  TOKEN_PREFIX,
} from '../fixtures/constants.js';

/** One secret or personal value found in a log line. */
export interface Leak {
  kind: string;
  line: number;
}

// base64(shortcode + passkey) for the first 69 characters (a multiple of 3): every STK password built
// from the test passkey starts with this, whatever the timestamp.
const passwordPrefix = Buffer.from(`${SHORTCODE}${PASSKEY}`.slice(0, 69)).toString('base64');
const basic = Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64');

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const RULES: Array<[string, RegExp]> = [
  ['full phone number', /(?<![\d*])(?:\+?254|0)[17]\d{8}(?![\d*])/],
  ['consumer key', new RegExp(CONSUMER_KEY)],
  ['consumer secret', new RegExp(CONSUMER_SECRET)],
  ['passkey', new RegExp(PASSKEY)],
  ['STK password', new RegExp(passwordPrefix.replace(/[+/]/g, '\\$&'))],
  ['basic credentials', new RegExp(basic.replace(/[+/=]/g, '\\$&'))],
  ['access token', new RegExp(TOKEN_PREFIX)],
  ['authorization header', /\b(?:Bearer|Basic) [A-Za-z0-9+/=._-]{8,}/],
  ['callback URL token', /token=[A-Za-z0-9_-]{16,}/],
  ['initiator password', new RegExp(literal(INITIATOR_PASSWORD))],
  ['security credential', new RegExp(literal(SECURITY_CREDENTIAL))],
  ...DOC_SECURITY_CREDENTIALS.map((c): [string, RegExp] => ['security credential', new RegExp(literal(c))]),
  // Any RSA-2048 credential (344 base64 characters), such as one the tests encrypt with a generated certificate.
  ['security credential', /[A-Za-z0-9+/]{300,}={0,2}/],
];

/** Find secrets, tokens and full phone numbers in captured log lines. */
export function scanForLeaks(lines: readonly string[]): Leak[] {
  const leaks: Leak[] = [];
  lines.forEach((text, index) => {
    for (const [kind, pattern] of RULES) if (pattern.test(text)) leaks.push({ kind, line: index });
  });
  return leaks;
}
