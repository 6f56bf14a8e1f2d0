import { fromBase64Url, toBase64Url, toHex } from '../core/utils/bytes.js';
import { ipVersion as isIP } from '../core/utils/ip.js';
import { hmacSha256, sha256, timingSafeEqual } from '../core/utils/sha256.js';

/**
 * Addresses Safaricom's callbacks are known to come from: the union of the lists that developers
 * circulate as "Safaricom's published list", including `196.201.212.69`, seen sending sandbox STK
 * callbacks. Safaricom publishes no official list in the Daraja 3.0 pages, so keep it configurable.
 */
export const SAFARICOM_CALLBACK_IPS: readonly string[] = Object.freeze([
  '196.201.214.200',
  '196.201.214.206',
  '196.201.213.114',
  '196.201.214.207',
  '196.201.214.208',
  '196.201.213.44',
  '196.201.212.127',
  '196.201.212.128',
  '196.201.212.129',
  '196.201.212.132',
  '196.201.212.136',
  '196.201.212.138',
  '196.201.212.69',
  '196.201.212.74',
]);

const TOKEN_CONTEXT = 'daraja-sdk:stk-callback:';
const NO_TOKEN = new Uint8Array(32);

/**
 * @internal
 * The per-payment callback token: base64url HMAC-SHA256 of the payment id under the flow's secret.
 */
export function callbackToken(secret: string, paymentId: string): string {
  return toBase64Url(hmacSha256(secret, TOKEN_CONTEXT + paymentId));
}

/**
 * @internal
 * Check a callback token in constant time against every accepted secret (the first signs new URLs; the
 * others are previous secrets kept during a rotation). Only the canonical base64url text of a 32-byte
 * digest is a token; whether the given text is one depends on it alone (no secret), and anything else is
 * compared as 32 zero bytes and refused, so a wrong length neither throws nor returns early. One HMAC per
 * secret.
 */
export function verifyCallbackToken(secrets: readonly string[], paymentId: string, token: string): boolean {
  const decoded = fromBase64Url(token);
  const canonical = decoded?.length === 32 && toBase64Url(decoded) === token;
  const given = canonical ? decoded : NO_TOKEN;
  let ok = false;
  for (const secret of secrets) {
    const expected = hmacSha256(secret, TOKEN_CONTEXT + paymentId);
    // Non-short-circuiting: every secret is compared.
    ok = timingSafeEqual(given, expected) || ok;
  }
  return ok && canonical;
}

/** @internal Normalise an address: trim, strip the IPv6 zone and the IPv4-mapped prefix. */
export function normalizeIp(address: string | undefined | null): string | undefined {
  if (!address) return undefined;
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.includes(']')) a = a.slice(1, a.indexOf(']'));
  a = a.replace(/%.*$/, '');
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  return isIP(a) ? a : undefined;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

/** @internal Does `ip` match an entry: an exact address, or an IPv4 CIDR block such as `196.201.212.0/24`? */
export function ipMatches(list: readonly string[], ip: string | undefined): boolean {
  if (!ip) return false;
  for (const entry of list) {
    const [base, bitsText] = entry.split('/');
    if (bitsText === undefined) {
      if (normalizeIp(base) === ip) return true;
      continue;
    }
    const bits = Number(bitsText);
    if (isIP(ip) !== 4 || isIP(base ?? '') !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32)
      continue;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((ipv4ToInt(ip) & mask) === (ipv4ToInt(base!) & mask)) return true;
  }
  return false;
}

/**
 * @internal
 * The address a request came from. `X-Forwarded-For` is honoured only when the connection comes from a
 * trusted proxy, and then read from the right: each trusted hop is skipped and the first untrusted
 * address is the client. (The leftmost value is whatever the client wrote, so it is never trusted.)
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: readonly string[],
): string | undefined {
  let address = normalizeIp(remoteAddress);
  if (!address || !forwardedFor || !ipMatches(trustedProxies, address)) return address;
  const hops = forwardedFor.split(',').map((h) => h.trim());
  while (address && ipMatches(trustedProxies, address) && hops.length > 0) {
    address = normalizeIp(hops.pop());
  }
  return address;
}

/** Bring a (possibly masked) number to the `254…` form: `+254`, `00254`, `0…` and bare `7…`/`1…`. */
function toInternational(raw: string): string {
  let v = raw.replace(/[\s-]/g, '');
  if (v.startsWith('+')) v = v.slice(1);
  if (v.startsWith('00254')) v = v.slice(2);
  if (v.startsWith('0') && !v.startsWith('00')) v = `254${v.slice(1)}`;
  else if (v.length === 9 && /^[17*]/.test(v)) v = `254${v}`;
  return v;
}

/**
 * @internal
 * The payer's number when a callback carries it in full (not masked, not hashed), in the `254…` form:
 * then {@link comparePhone} matches exactly this number (so a store can compare it).
 */
export function fullPhone(fromCallback: string | undefined): string | null {
  if (fromCallback === undefined) return null;
  const raw = fromCallback.trim();
  if (/^[0-9a-f]{64}$/i.test(raw)) return null;
  const candidate = toInternational(raw);
  return /^\d{6,}$/.test(candidate) ? candidate : null;
}

/** Visible subscriber digits (of the 9 after `254`) a masked number must show to count as a match. */
const MIN_VISIBLE_DIGITS = 3;

/**
 * @internal
 * Compare the phone number of a callback with the payment's (`2547…`): `match`, `mismatch`, or
 * `unverifiable`. Compared on the digits Daraja actually shows:
 *
 * - a full number (`2547…`, `07…`, `+2547…`, `002547…`) must be the same number;
 * - a masked one (`2547****5678`, `0715***123`) must agree on every visible digit and show at least three
 *   of the subscriber's nine digits, otherwise it proves nothing (`"*"`, `"2547*"`: unverifiable);
 * - a SHA-256 hash (64 hex) matches when it is the hash of one of the number's usual forms; otherwise it
 *   is unverifiable (it may be salted, or of another form);
 * - absent, or anything else: unverifiable.
 */
export function comparePhone(
  expected: string,
  fromCallback: string | undefined,
): 'match' | 'mismatch' | 'unverifiable' {
  if (fromCallback === undefined) return 'unverifiable';
  const raw = fromCallback.trim();
  if (/^[0-9a-f]{64}$/i.test(raw)) {
    const local = `0${expected.slice(3)}`;
    const forms = [expected, local, `+${expected}`, expected.slice(3)];
    return forms.some((f) => toHex(sha256(f)) === raw.toLowerCase()) ? 'match' : 'unverifiable';
  }
  const candidate = toInternational(raw);
  if (!/^[0-9*]+$/.test(candidate) || !/\d/.test(candidate)) return 'unverifiable';
  if (candidate.length === expected.length) {
    let visible = 0;
    for (let i = 0; i < candidate.length; i++) {
      const c = candidate[i]!;
      if (c === '*') continue;
      if (c !== expected[i]) return 'mismatch';
      if (i >= 3) visible += 1;
    }
    return visible >= MIN_VISIBLE_DIGITS ? 'match' : 'unverifiable';
  }
  if (!candidate.includes('*')) return 'mismatch'; // a full number of another length
  // Masked with a different number of stars: compare what is visible at each end.
  const prefix = candidate.slice(0, candidate.indexOf('*'));
  const suffix = candidate.slice(candidate.lastIndexOf('*') + 1);
  if (prefix.length + suffix.length > expected.length) return 'mismatch';
  if (!expected.startsWith(prefix) || !expected.endsWith(suffix)) return 'mismatch';
  const visible = Math.max(0, prefix.length - 3) + suffix.length;
  return visible >= MIN_VISIBLE_DIGITS ? 'match' : 'unverifiable';
}
