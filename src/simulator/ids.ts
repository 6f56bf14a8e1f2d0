import { randomBytes, randomInt } from 'node:crypto';
import { nairobiTimestamp } from '../wire/time.js';

// Identifiers in Daraja's shapes. Every one is random (crypto), so tests cannot lean on guessable values.

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
const hex = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

// A Kenyan mobile number as it appears in text (07…/01…, 2547…/2541…), on digit boundaries.
const PHONE_LIKE = /(?<!\d)(?:254|0)[17]\d{8}(?!\d)/;

/**
 * Draw a random id until it holds no run of digits shaped like a phone number. Daraja's random ids can
 * (about 1 request id in 500 holds one, such as `…b0181472829`); the SDK keeps ids as they are, since they are not
 * personal data, but the test suite's leak scan cannot tell such a run from a payer's number, so the
 * simulator never makes one.
 */
function notPhoneLike(draw: () => string): string {
  for (;;) {
    const id = draw();
    if (!PHONE_LIKE.test(id)) return id;
  }
}

/** @internal An access token: 28 URL-safe characters, like Daraja's. */
export function accessToken(): string {
  return randomBytes(21).toString('base64url');
}

/** @internal A request id like `1c5b-4ba8-815c-ac45c57a3db01495926` (error envelopes). */
export function requestId(): string {
  return notPhoneLike(() => `${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}${digits(7)}`);
}

/** @internal A `MerchantRequestID` like `2654-4b64-97ff-b827b542881d3130`. */
export function merchantRequestId(): string {
  return notPhoneLike(() => `${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}${digits(4)}`);
}

/**
 * @internal
 * A `CheckoutRequestID` in Daraja's current shape (seen since 2024): `ws_CO_`, the Nairobi time as
 * DDMMYYYYHHmmss, the 3-digit milliseconds, then the last 9 digits of the customer's MSISDN: 32
 * characters, e.g. `ws_CO_21072024125243250722943992`. Two pushes to the same number in the same
 * millisecond would get the same id: the caller keeps ids unique (see `StkSimulation`).
 *
 * @param msisdn - The push's `PhoneNumber`, `2547XXXXXXXX`.
 */
export function checkoutRequestId(now: Date, msisdn: string): string {
  const t = nairobiTimestamp(now); // YYYYMMDDHHmmss
  const ms = String(now.getUTCMilliseconds()).padStart(3, '0');
  return `ws_CO_${t.slice(6, 8)}${t.slice(4, 6)}${t.slice(0, 4)}${t.slice(8)}${ms}${msisdn.slice(-9)}`;
}

/**
 * @internal
 * A `CheckoutRequestID` fit for logs. The current shape ends in the last 9 digits of the customer's
 * MSISDN, which is the whole national number (`712345678` of `254712345678`): logs keep its last four
 * digits only (`ws_CO_21072024125243250*****3992`). Other ids are returned as they are.
 */
export function loggableId(id: string): string {
  const m = /^(ws_CO_\d{17})\d{5}(\d{4})$/.exec(id);
  return m ? `${m[1]}*****${m[2]}` : id;
}

/** @internal An M-Pesa receipt number: 10 uppercase letters and digits, starting with a letter. */
export function receiptNumber(): string {
  let out = ALNUM[randomInt(26)]!;
  for (let i = 1; i < 10; i++) out += ALNUM[randomInt(ALNUM.length)]!;
  return out;
}

/** @internal A `ConversationID` like `AG_20240706_20106e9209f64bebd05b`: `AG_`, the Nairobi date, 20 hex digits. */
export function conversationId(now: Date): string {
  return notPhoneLike(() => `AG_${nairobiTimestamp(now).slice(0, 8)}_${hex(20)}`);
}

/**
 * @internal
 * An `OriginatorConversationID` Daraja makes up for requests that do not bring one, like
 * `16917-22577599-3` (also the shape of C2B's `OriginatorCoversationID` and QR's `RequestID`).
 */
export function originatorConversationId(): string {
  return `${1000 + randomInt(90_000)}-${digits(8)}-${1 + randomInt(9)}`;
}
