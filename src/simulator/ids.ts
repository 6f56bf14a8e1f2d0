import { randomBytes, randomInt } from 'node:crypto';
import { darajaTimestamp } from '../utils/timestamp.js';

// Identifiers in Daraja's shapes. Every one is random (crypto), so tests cannot lean on guessable values.

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
const hex = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** @internal An access token: 28 URL-safe characters, like Daraja's. */
export function accessToken(): string {
  return randomBytes(21).toString('base64url');
}

/** @internal A request id like `1c5b-4ba8-815c-ac45c57a3db01495926` (error envelopes). */
export function requestId(): string {
  return `${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}${digits(7)}`;
}

/** @internal A `MerchantRequestID` like `2654-4b64-97ff-b827b542881d3130`. */
export function merchantRequestId(): string {
  return `${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}${digits(4)}`;
}

/**
 * @internal
 * A `CheckoutRequestID` like `ws_CO_1007202409152617172396192`: `ws_CO_`, the Nairobi time as
 * DDMMYYYYHHmmss, then random digits.
 */
export function checkoutRequestId(now: Date): string {
  const t = darajaTimestamp(now); // YYYYMMDDHHmmss
  return `ws_CO_${t.slice(6, 8)}${t.slice(4, 6)}${t.slice(0, 4)}${t.slice(8)}${digits(11)}`;
}

/** @internal An M-Pesa receipt number: 10 uppercase letters and digits, starting with a letter. */
export function receiptNumber(): string {
  let out = ALNUM[randomInt(26)]!;
  for (let i = 1; i < 10; i++) out += ALNUM[randomInt(ALNUM.length)]!;
  return out;
}

/** @internal A `ConversationID` like `AG_20240706_20106e9209f64bebd05b`: `AG_`, the Nairobi date, 20 hex digits. */
export function conversationId(now: Date): string {
  return `AG_${darajaTimestamp(now).slice(0, 8)}_${hex(20)}`;
}

/**
 * @internal
 * An `OriginatorConversationID` Daraja makes up for requests that do not bring one, like
 * `16917-22577599-3` (also the shape of C2B's `OriginatorCoversationID` and QR's `RequestID`).
 */
export function originatorConversationId(): string {
  return `${1000 + randomInt(90_000)}-${digits(8)}-${1 + randomInt(9)}`;
}
