import { inspect } from 'node:util';
import {
  APP_KEY,
  CONSUMER_KEY,
  CONSUMER_SECRET,
  DOC_APP_KEY,
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
  // Daraja's current CheckoutRequestID ends with the payer's nine national digits (7…/1…): unmasked, it is a phone number.
  ['phone number in a CheckoutRequestID', /ws_CO_\d{15,17}[17]\d{8}(?!\d)/],
  ['initiator password', new RegExp(literal(INITIATOR_PASSWORD))],
  ['security credential', new RegExp(literal(SECURITY_CREDENTIAL))],
  ...DOC_SECURITY_CREDENTIALS.map((c): [string, RegExp] => ['security credential', new RegExp(literal(c))]),
  ['Bill Manager app key', new RegExp(APP_KEY)],
  ['Bill Manager app key', new RegExp(DOC_APP_KEY)],
  // The app keys the simulator's Bill Manager issues.
  ['Bill Manager app key', /simapp_[0-9a-f]{24}/],
  // Any RSA-2048 credential (344 base64 characters), such as one the tests encrypt with a generated certificate.
  ['security credential', /[A-Za-z0-9+/]{300,}={0,2}/],
];

/** Find secrets, tokens and full phone numbers in captured log lines (or rendered errors). */
export function scanForLeaks(lines: readonly string[]): Leak[] {
  const leaks: Leak[] = [];
  lines.forEach((line, index) => {
    for (const [kind, pattern] of RULES) if (pattern.test(line)) leaks.push({ kind, line: index });
  });
  return leaks;
}

/**
 * Every way a user might print a thrown error: `util.inspect` at unlimited depth with hidden properties
 * (what `console.error`, `%o` and debuggers show), JSON (what pino and error trackers store) and `String()`.
 */
export function errorRenderings(error: unknown): string[] {
  return [
    inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    JSON.stringify(error) ?? '',
    String(error),
  ];
}

const PLAIN_CAUSE_KEYS = new Set(['stack', 'message', 'name', 'code', 'cause']);

/**
 * What is wrong with an error's `cause` chain: every cause must be a Daraja error or a plain error holding
 * only `name`, `message`, `code` (and its own sanitised `cause`), never a request, response or options.
 * Returns one line per offending cause; empty when the chain is clean.
 */
export function causeChainProblems(error: unknown): string[] {
  const problems: string[] = [];
  let cause = (error as { cause?: unknown } | null)?.cause;
  for (let depth = 1; cause !== undefined && depth <= 10; depth++) {
    if (!(cause instanceof Error)) {
      problems.push(`cause ${depth} is not an Error: ${inspect(cause, { depth: 0 })}`);
      break;
    }
    if (!/^Daraja\w*Error$/.test(cause.name)) {
      const extra = Reflect.ownKeys(cause)
        .map(String)
        .filter((k) => !PLAIN_CAUSE_KEYS.has(k));
      if (extra.length > 0) problems.push(`cause ${depth} (${cause.name}) keeps ${extra.join(', ')}`);
    }
    cause = cause.cause;
  }
  return problems;
}

const RENDERING_NAMES = ['util.inspect(depth ∞, showHidden)', 'JSON.stringify', 'String'];

/**
 * Everything secret or personal in a thrown error, as readable lines (`"access token in JSON.stringify"`),
 * plus {@link causeChainProblems}. Empty when the error is clean.
 */
export function errorLeaks(error: unknown): string[] {
  const renderings = errorRenderings(error);
  return [
    ...scanForLeaks(renderings).map((l) => `${l.kind} in ${RENDERING_NAMES[l.line]}`),
    ...causeChainProblems(error),
  ];
}

/**
 * A diagnostics message (the `DarajaHttpEvent` of `src/core/http/hooks.ts`, which the client's hooks get
 * too, the very same object) as a line to scan: its channel, its JSON and its `util.inspect`.
 */
export function eventRendering(channel: string, message: unknown): string {
  return `${channel} ${JSON.stringify(message)} ${inspect(message, { depth: Number.POSITIVE_INFINITY, showHidden: true })}`;
}
