/**
 * @internal
 * RSA public-key encryption with PKCS#1 v1.5 padding (RFC 8017 §7.2.1) from an X.509 certificate, in
 * portable TypeScript: a minimal DER reader finds the key (Certificate → tbsCertificate →
 * subjectPublicKeyInfo → rsaEncryption → RSAPublicKey n, e), the padding's random bytes come from
 * `crypto.getRandomValues`, and the modular exponentiation uses BigInt. No `node:crypto`, so the main entry
 * builds a SecurityCredential on every runtime.
 */
import { fromBase64Url, utf8Text } from '../../core/utils/bytes.js';

/** An RSA public key: modulus, public exponent, and the modulus length in bytes. */
export interface RsaPublicKey {
  readonly n: bigint;
  readonly e: bigint;
  readonly size: number;
}

/** One DER element: its tag, and where its contents start and end in the input. */
interface Der {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** The DER element at `offset` of `bytes` (ending at or before `limit`); throws on malformed input. */
function element(bytes: Uint8Array, offset: number, limit: number): Der {
  if (offset + 2 > limit) throw new Error('truncated');
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw new Error('bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    start += count;
  }
  if (start + length > limit) throw new Error('truncated');
  return { tag, start, end: start + length };
}

/** The elements directly inside a constructed element. */
function children(bytes: Uint8Array, parent: Der): Der[] {
  const out: Der[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = element(bytes, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

const SEQUENCE = 0x30;

function expectTag(der: Der | undefined, tag: number): Der {
  if (!der || der.tag !== tag) throw new Error('unexpected element');
  return der;
}

/** A DER OBJECT IDENTIFIER's contents in dotted form. */
function oidText(bytes: Uint8Array, der: Der): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = der.start; i < der.end; i++) {
    value = value * 128 + (bytes[i]! & 0x7f);
    if (!(bytes[i]! & 0x80)) {
      if (parts.length === 0)
        parts.push(Math.min(2, Math.floor(value / 40)), value - Math.min(2, Math.floor(value / 40)) * 40);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** An unsigned big-endian integer. */
function bigintOf(bytes: Uint8Array, from: number, to: number): bigint {
  let n = 0n;
  for (let i = from; i < to; i++) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/** Node's names for the key types a certificate may hold instead, for the error message. */
const KEY_TYPES: Record<string, string> = {
  '1.2.840.10045.2.1': 'ec',
  '1.2.840.113549.1.1.10': 'rsa-pss',
  '1.2.840.10040.4.1': 'dsa',
  '1.3.101.110': 'x25519',
  '1.3.101.111': 'x448',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
};

/**
 * The public key of a DER-encoded X.509 certificate: the RSA key, or the name of the other key type it
 * holds. Throws when `der` is not a certificate.
 */
export function certificatePublicKey(der: Uint8Array): RsaPublicKey | { type: string } {
  const certificate = expectTag(element(der, 0, der.length), SEQUENCE);
  if (certificate.end !== der.length) throw new Error('trailing data');
  const tbs = expectTag(children(der, certificate)[0], SEQUENCE);
  const fields = children(der, tbs);
  // [0] version is optional; then serial, signature, issuer, validity, subject, subjectPublicKeyInfo.
  const spki = expectTag(fields[fields[0]?.tag === 0xa0 ? 6 : 5], SEQUENCE);
  const [algorithm, bitString] = children(der, spki);
  const oid = expectTag(children(der, expectTag(algorithm, SEQUENCE))[0], 0x06);
  const type = oidText(der, oid);
  if (type !== RSA_ENCRYPTION) return { type: KEY_TYPES[type] ?? type };
  const bits = expectTag(bitString, 0x03);
  if (der[bits.start] !== 0) throw new Error('unused bits');
  const rsaKey = expectTag(element(der, bits.start + 1, bits.end), SEQUENCE);
  const [nDer, eDer] = children(der, rsaKey).map((d) => expectTag(d, 0x02));
  if (!nDer || !eDer) throw new Error('no RSA key');
  const n = bigintOf(der, nDer.start, nDer.end);
  const e = bigintOf(der, eDer.start, eDer.end);
  if (n <= 0n || e <= 0n) throw new Error('bad RSA key');
  return { n, e, size: Math.ceil(n.toString(16).length / 2) };
}

const PEM = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----/;

/** The DER bytes of a PEM certificate (text or bytes) or of DER bytes; throws when there are none. */
export function certificateDer(input: string | Uint8Array): Uint8Array {
  const text = typeof input === 'string' ? input : input[0] === SEQUENCE ? undefined : utf8Text(input);
  if (text === undefined) return input as Uint8Array;
  const body = PEM.exec(text)?.[1]?.replace(/\s+/g, '');
  const der = body ? fromBase64Url(body) : undefined;
  if (!der || der.length === 0) throw new Error('not PEM');
  return der;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/**
 * Encrypt `message` with `key`, PKCS#1 v1.5 (EME-PKCS1-v1_5: 00 02, at least 8 non-zero random bytes,
 * 00, message). Throws a RangeError when the message is longer than the key's size minus 11 bytes.
 */
export function rsaEncryptPkcs1(key: RsaPublicKey, message: Uint8Array): Uint8Array {
  const k = key.size;
  if (message.length > k - 11) throw new RangeError('message too long');
  const block = new Uint8Array(k);
  block[1] = 0x02;
  const padding = block.subarray(2, k - message.length - 1);
  crypto.getRandomValues(padding);
  for (let i = 0; i < padding.length; i++) {
    while (padding[i] === 0) crypto.getRandomValues(padding.subarray(i, i + 1));
  }
  block.set(message, k - message.length);
  let c = modPow(bigintOf(block, 0, k), key.e, key.n);
  const out = new Uint8Array(k);
  for (let i = k - 1; i >= 0; i--, c >>= 8n) out[i] = Number(c & 0xffn);
  return out;
}
