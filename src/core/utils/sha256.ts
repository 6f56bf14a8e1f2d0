/**
 * @internal
 * Synchronous SHA-256 and HMAC-SHA-256 on every runtime. Where the runtime offers `node:crypto` without a
 * static import (`process.getBuiltinModule`: Node >= 20.16, Bun, Deno) its native hash is used, loaded once
 * at the first call; elsewhere (workerd, browsers) a small pure-TypeScript SHA-256 (FIPS 180-4) does the
 * work, so the main entry needs no Node built-in. Both paths are tested against the same vectors.
 */
import { utf8Bytes } from './bytes.js';

type Data = string | Uint8Array;

interface NativeHash {
  update(data: Data): NativeHash;
  digest(): Uint8Array;
}
interface NativeCrypto {
  createHash(algorithm: 'sha256'): NativeHash;
  createHmac(algorithm: 'sha256', key: Data): NativeHash;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

let native: NativeCrypto | null | undefined;

/** `node:crypto` when the runtime has it (loaded without a static import, once), else `null`. */
export function nativeCrypto(): NativeCrypto | null {
  if (native !== undefined) return native;
  native = null;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('node:crypto') as Partial<NativeCrypto> | undefined;
    if (typeof mod?.createHash === 'function' && typeof mod.createHmac === 'function')
      native = mod as NativeCrypto;
  } catch {
    // No native crypto here: the pure path is used.
  }
  return native;
}

/** The first `count` primes. */
function primes(count: number): number[] {
  const out: number[] = [];
  for (let n = 2; out.length < count; n++) if (out.every((p) => n % p !== 0)) out.push(n);
  return out;
}

/** The first 32 bits of the fractional part of `x`. */
const frac32 = (x: number) => ((x - Math.floor(x)) * 2 ** 32) | 0;

let constants: { k: Int32Array; h0: Int32Array } | undefined;

/**
 * FIPS 180-4's constants, computed at the first pure hash (fewer bytes to ship than the table): K, the
 * fractional parts of the cube roots of the first 64 primes; H0, of the square roots of the first 8. The
 * NIST vectors in the tests pin them.
 */
function sha256Constants(): { k: Int32Array; h0: Int32Array } {
  if (!constants) {
    const p = primes(64);
    constants = {
      k: Int32Array.from(p, (n) => frac32(Math.cbrt(n))),
      h0: Int32Array.from(p.slice(0, 8), (n) => frac32(Math.sqrt(n))),
    };
  }
  return constants;
}

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** One 64-byte block of `data` at `offset` into the state `h`. */
function compress(h: Int32Array, w: Int32Array, data: Uint8Array, offset: number, K: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!;
    const b = w[i - 2]!;
    const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
    const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let e = h[4]!;
  let f = h[5]!;
  let g = h[6]!;
  let hh = h[7]!;
  for (let i = 0; i < 64; i++) {
    const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  const out = [a, b, c, d, e, f, g, hh];
  for (let i = 0; i < 8; i++) h[i] = (h[i]! + out[i]!) | 0;
}

/** SHA-256 of `data` in pure TypeScript (the path used where `node:crypto` is absent). */
export function pureSha256(data: Data): Uint8Array {
  const bytes = typeof data === 'string' ? utf8Bytes(data) : data;
  const { k, h0 } = sha256Constants();
  const h = Int32Array.from(h0);
  const w = new Int32Array(64);
  const full = bytes.length - (bytes.length % 64);
  for (let off = 0; off < full; off += 64) compress(h, w, bytes, off, k);
  // The last block(s): the rest, 0x80, zeros, and the bit length (big-endian, 64 bits).
  const tail = new Uint8Array(bytes.length % 64 < 56 ? 64 : 128);
  tail.set(bytes.subarray(full));
  tail[bytes.length - full] = 0x80;
  const view = new DataView(tail.buffer);
  view.setUint32(tail.length - 8, Math.floor(bytes.length / 0x20000000));
  view.setUint32(tail.length - 4, (bytes.length * 8) >>> 0);
  for (let off = 0; off < tail.length; off += 64) compress(h, w, tail, off, k);
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setInt32(i * 4, h[i]!);
  return out;
}

/** HMAC-SHA-256 (RFC 2104) of `data` under `key`, in pure TypeScript. */
export function pureHmacSha256(key: Data, data: Data): Uint8Array {
  let k = typeof key === 'string' ? utf8Bytes(key) : key;
  if (k.length > 64) k = pureSha256(k);
  const message = typeof data === 'string' ? utf8Bytes(data) : data;
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    const b = k[i] ?? 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(pureSha256(inner), 64);
  return pureSha256(outer);
}

/** Compare two byte strings in time that depends only on their lengths (no early exit). */
export function pureTimingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** SHA-256 of `data` (text as UTF-8): native where the runtime has it, else pure. */
export function sha256(data: Data): Uint8Array {
  const n = nativeCrypto();
  return n ? n.createHash('sha256').update(data).digest() : pureSha256(data);
}

/** HMAC-SHA-256 of `data` under `key` (text as UTF-8): native where the runtime has it, else pure. */
export function hmacSha256(key: Data, data: Data): Uint8Array {
  const n = nativeCrypto();
  return n ? n.createHmac('sha256', key).update(data).digest() : pureHmacSha256(key, data);
}

/** Constant-time equality of two byte strings of the same length (false for different lengths). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = nativeCrypto();
  if (n && a.length === b.length) return n.timingSafeEqual(a, b);
  return pureTimingSafeEqual(a, b);
}
